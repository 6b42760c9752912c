package testpki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// handshake runs a TLS handshake between a crypto/tls server with srv and
// a crypto/tls client with cli over a loopback TCP connection, sends one
// message from the client, and returns the server's view of the
// connection and the server's and the client's errors.
func handshake(t *testing.T, srv, cli *tls.Config) (state tls.ConnectionState, srvErr, cliErr error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type result struct {
		err   error
		state tls.ConnectionState
	}
	done := make(chan result, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		sc := tls.Server(nc, srv)
		if err := sc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		msg, err := io.ReadAll(io.LimitReader(sc, 5))
		if err == nil && string(msg) != "hello" {
			err = errors.New("server read " + string(msg))
		}
		done <- result{err: err, state: sc.ConnectionState()}
	}()
	nc, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	cc := tls.Client(nc, cli)
	cliErr = cc.Handshake()
	if cliErr == nil {
		_, cliErr = cc.Write([]byte("hello"))
	}
	if cliErr != nil {
		nc.Close() // the server is not left waiting for the message
	}
	r := <-done
	return r.state, r.err, cliErr
}

// TestPKIMutualTLS: the server certificate verifies for localhost and for
// 127.0.0.1 against the CA's pool, and the server that asks for a client
// certificate gets the client's, verified against the same pool, with
// the whole chain.
func TestPKIMutualTLS(t *testing.T) {
	p := NewPKI("mutual")
	for _, name := range []string{"localhost", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			srv := &tls.Config{Certificates: []tls.Certificate{p.Server.TLS},
				ClientCAs: p.CA.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
			cli := &tls.Config{ServerName: name, RootCAs: p.CA.Pool(), Certificates: []tls.Certificate{p.Client.TLS}}
			st, srvErr, cliErr := handshake(t, srv, cli)
			if srvErr != nil || cliErr != nil {
				t.Fatalf("server: %v; client: %v", srvErr, cliErr)
			}
			pc := st.PeerCertificates
			if len(pc) != 2 || !pc[0].Equal(p.Client.Leaf) || !pc[1].Equal(p.CA.Leaf) {
				t.Fatalf("the server saw %d certificates, want the client's and the CA's", len(pc))
			}
			if got := pc[0].Subject.String(); got != "CN=mutual client,O=h2kit tests" {
				t.Errorf("client subject %q", got)
			}
		})
	}
}

// TestPKIOtherCA: certificates of one PKI do not verify in another's
// pool, in either direction.
func TestPKIOtherCA(t *testing.T) {
	p, other := NewPKI("a"), NewPKI("b")
	t.Run("server", func(t *testing.T) {
		srv := &tls.Config{Certificates: []tls.Certificate{other.Server.TLS}}
		cli := &tls.Config{ServerName: "localhost", RootCAs: p.CA.Pool()}
		_, _, cliErr := handshake(t, srv, cli)
		var ua x509.UnknownAuthorityError
		if !errors.As(cliErr, &ua) {
			t.Fatalf("client: %v, want an unknown authority", cliErr)
		}
	})
	t.Run("client", func(t *testing.T) {
		srv := &tls.Config{Certificates: []tls.Certificate{p.Server.TLS},
			ClientCAs: p.CA.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
		// crypto/tls offers only certificates the server's CA list names;
		// GetClientCertificate presents the other PKI's anyway.
		cli := &tls.Config{ServerName: "localhost", RootCAs: p.CA.Pool(),
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &other.Client.TLS, nil }}
		_, srvErr, _ := handshake(t, srv, cli)
		var ua x509.UnknownAuthorityError
		if !errors.As(srvErr, &ua) {
			t.Fatalf("server: %v, want an unknown authority", srvErr)
		}
	})
}

// TestUsages: a client certificate does not verify as a server's, nor a
// server certificate as a client's; a client certificate names no host.
func TestUsages(t *testing.T) {
	p := NewPKI("usage")
	verify := func(c *Cert, usage x509.ExtKeyUsage, host string) error {
		_, err := c.Leaf.Verify(x509.VerifyOptions{Roots: p.CA.Pool(), DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
	if err := verify(p.Server, x509.ExtKeyUsageServerAuth, "localhost"); err != nil {
		t.Errorf("server as server: %v", err)
	}
	if err := verify(p.Client, x509.ExtKeyUsageClientAuth, ""); err != nil {
		t.Errorf("client as client: %v", err)
	}
	if err := verify(p.Client, x509.ExtKeyUsageServerAuth, ""); err == nil {
		t.Error("the client certificate verified for server authentication")
	}
	if err := verify(p.Server, x509.ExtKeyUsageClientAuth, ""); err == nil {
		t.Error("the server certificate verified for client authentication")
	}
	if len(p.Client.Leaf.DNSNames)+len(p.Client.Leaf.IPAddresses) != 0 {
		t.Errorf("client certificate names %v %v", p.Client.Leaf.DNSNames, p.Client.Leaf.IPAddresses)
	}
	if p.CA.Leaf.Subject.CommonName != "usage CA" || !p.CA.Leaf.IsCA || p.Server.Leaf.IsCA || p.Client.Leaf.IsCA {
		t.Errorf("CA %q (IsCA %v), server IsCA %v, client IsCA %v",
			p.CA.Leaf.Subject.CommonName, p.CA.Leaf.IsCA, p.Server.Leaf.IsCA, p.Client.Leaf.IsCA)
	}
}

// TestLocalhost: the shared self-signed certificate is made once and
// serves a TLS connection to 127.0.0.1 that trusts only it.
func TestLocalhost(t *testing.T) {
	c := Localhost()
	if Localhost() != c {
		t.Fatal("Localhost made a second certificate")
	}
	if len(c.TLS.Certificate) != 1 || c.Leaf.Subject.CommonName != "h2kit test" {
		t.Fatalf("%d certificates, subject %v", len(c.TLS.Certificate), c.Leaf.Subject)
	}
	srv := &tls.Config{Certificates: []tls.Certificate{c.TLS}}
	cli := &tls.Config{ServerName: "127.0.0.1", RootCAs: c.Pool()}
	if _, srvErr, cliErr := handshake(t, srv, cli); srvErr != nil || cliErr != nil {
		t.Fatalf("server: %v; client: %v", srvErr, cliErr)
	}
	// Another self-signed certificate is not trusted by this pool.
	other := SelfSigned("h2kit test", x509.ExtKeyUsageServerAuth)
	srv = &tls.Config{Certificates: []tls.Certificate{other.TLS}}
	if _, _, cliErr := handshake(t, srv, cli); cliErr == nil {
		t.Fatal("a client trusting one self-signed certificate accepted another")
	}
}

// TestFilesAndPEM: the PEM forms and the files WriteFiles writes load back
// into the same chain and key.
func TestFilesAndPEM(t *testing.T) {
	p := NewPKI("files")
	certFile, keyFile, err := p.Client.WriteFiles(t.TempDir(), "client")
	if err != nil {
		t.Fatal(err)
	}
	fromFiles, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	fromPEM, err := tls.X509KeyPair(p.Client.CertPEM, p.Client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []tls.Certificate{fromFiles, fromPEM} {
		if len(got.Certificate) != 2 || !bytes.Equal(got.Certificate[0], p.Client.TLS.Certificate[0]) ||
			!bytes.Equal(got.Certificate[1], p.CA.TLS.Certificate[0]) {
			t.Fatalf("loaded %d certificates, want the client's then the CA's", len(got.Certificate))
		}
	}
	if _, _, err := p.Client.WriteFiles(t.TempDir()+"/missing", "client"); err == nil {
		t.Fatal("WriteFiles into a missing directory succeeded")
	}
}
