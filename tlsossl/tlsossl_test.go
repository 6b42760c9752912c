//go:build h2kit_openssl && cgo

package tlsossl

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
	"github.com/h2kit/h2kit/internal/testpki"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		ch <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.Fatal("accept failed")
	}
	deadline := time.Now().Add(20 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serverConn wraps the server end in a tlsossl Server.
func serverConn(t *testing.T, nc net.Conn, pki *testpki.PKI, maxVersion uint16) *Conn {
	t.Helper()
	sc, err := Server(nc, &Config{
		Certificates: []tls.Certificate{pki.Server.TLS},
		ClientCAs:    pki.CA.Pool(),
		NextProtos:   []string{"h2", "http/1.1"},
		MaxVersion:   maxVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// TestServerGoClient: a Go crypto/tls client against the tlsossl server,
// TLS 1.2 and 1.3, ALPN h2 chosen over http/1.1; both sides see the same
// version, cipher suite, protocol and tls-unique, and data flows both ways.
func TestServerGoClient(t *testing.T) {
	pki := testpki.NewPKI("srv")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			cnc, snc := pair(t)
			sc := serverConn(t, snc, pki, v)
			gc := tls.Client(cnc, &tls.Config{
				RootCAs:    pki.CA.Pool(),
				ServerName: "localhost",
				NextProtos: []string{"http/1.1", "h2"}, // the server's preference wins
			})
			defer gc.Close()
			errc := make(chan error, 1)
			go func() { errc <- gc.HandshakeContext(testCtx(t)) }()
			if err := sc.Handshake(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			got, want := sc.ConnectionState(), gc.ConnectionState()
			if got.Version != v || want.Version != v {
				t.Errorf("version: server %x, client %x, want %x", got.Version, want.Version, v)
			}
			if got.CipherSuite != want.CipherSuite {
				t.Errorf("cipher suite: server %s, client %s", tls.CipherSuiteName(got.CipherSuite), tls.CipherSuiteName(want.CipherSuite))
			}
			if got.NegotiatedProtocol != "h2" || want.NegotiatedProtocol != "h2" {
				t.Errorf("ALPN: server %q, client %q, want h2", got.NegotiatedProtocol, want.NegotiatedProtocol)
			}
			if !got.HandshakeComplete || got.ServerName != "localhost" || len(got.PeerCertificates) != 0 {
				t.Errorf("server state: complete %v, server name %q, %d peer certificates", got.HandshakeComplete, got.ServerName, len(got.PeerCertificates))
			}
			if !bytes.Equal(got.TLSUnique, want.TLSUnique) {
				t.Errorf("tls-unique: server %x, client %x", got.TLSUnique, want.TLSUnique)
			}
			echo(t, gc, sc)
		})
	}
}

// echo sends a message each way between a and b.
func echo(t *testing.T, a, b net.Conn) {
	t.Helper()
	for _, d := range []struct{ from, to net.Conn }{{a, b}, {b, a}} {
		msg := []byte("hello " + d.from.LocalAddr().String())
		go d.from.Write(msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(d.to, buf); err != nil || !bytes.Equal(buf, msg) {
			t.Fatalf("read %q, %v; want %q", buf, err, msg)
		}
	}
}

// TestClientGoServer: the tlsossl client against a Go crypto/tls server
// that requires a client certificate, TLS 1.2 and 1.3.
func TestClientGoServer(t *testing.T) {
	pki := testpki.NewPKI("cli")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			cnc, snc := pair(t)
			gs := tls.Server(snc, &tls.Config{
				Certificates: []tls.Certificate{pki.Server.TLS},
				ClientCAs:    pki.CA.Pool(),
				ClientAuth:   tls.RequireAndVerifyClientCert,
				NextProtos:   []string{"h2", "http/1.1"},
				MaxVersion:   v,
			})
			defer gs.Close()
			cc, err := Client(cnc, &Config{
				Certificates: []tls.Certificate{pki.Client.TLS},
				RootCAs:      pki.CA.Pool(),
				ServerName:   "localhost",
				NextProtos:   []string{"h2", "http/1.1"},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			errc := make(chan error, 1)
			go func() { errc <- gs.HandshakeContext(testCtx(t)) }()
			if err := cc.Handshake(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			got, want := cc.ConnectionState(), gs.ConnectionState()
			if got.Version != want.Version || got.CipherSuite != want.CipherSuite || got.NegotiatedProtocol != "h2" || want.NegotiatedProtocol != "h2" {
				t.Errorf("client sees %x %s %q, server %x %s %q", got.Version, tls.CipherSuiteName(got.CipherSuite), got.NegotiatedProtocol,
					want.Version, tls.CipherSuiteName(want.CipherSuite), want.NegotiatedProtocol)
			}
			if len(got.PeerCertificates) != 2 || !bytes.Equal(got.PeerCertificates[0].Raw, pki.Server.TLS.Certificate[0]) {
				t.Errorf("client's peer certificates: %d", len(got.PeerCertificates))
			}
			if len(got.VerifiedChains) == 0 || !got.VerifiedChains[0][len(got.VerifiedChains[0])-1].Equal(pki.CA.Leaf) {
				t.Errorf("verified chains: %v", got.VerifiedChains)
			}
			if pc := want.PeerCertificates; len(pc) == 0 || !bytes.Equal(pc[0].Raw, pki.Client.TLS.Certificate[0]) {
				t.Errorf("the Go server did not get the client certificate")
			}
			if !bytes.Equal(got.TLSUnique, want.TLSUnique) {
				t.Errorf("tls-unique: client %x, server %x", got.TLSUnique, want.TLSUnique)
			}
			echo(t, cc, gs)
		})
	}
}

// TestClientRejectsUntrustedServer: the server's certificate is checked
// with crypto/x509 against RootCAs and ServerName.
func TestClientRejectsUntrustedServer(t *testing.T) {
	pki, other := testpki.NewPKI("a"), testpki.NewPKI("b")
	cnc, snc := pair(t)
	gs := tls.Server(snc, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}})
	go gs.HandshakeContext(testCtx(t))
	defer gs.Close()
	cc, err := Client(cnc, &Config{RootCAs: other.CA.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	err = cc.Handshake(testCtx(t))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("handshake: %v, want an x509.UnknownAuthorityError", err)
	}
}

// goRenegClient is the client h2kit's h2client uses: Go's crypto/tls on
// TLS 1.2 accepting one server-initiated renegotiation, presenting cert
// (none when nil) when asked.
func goRenegClient(nc net.Conn, pki *testpki.PKI, cert *tls.Certificate) *tls.Conn {
	return tls.Client(nc, &tls.Config{
		RootCAs:       pki.CA.Pool(),
		ServerName:    "localhost",
		NextProtos:    []string{"h2"},
		MaxVersion:    tls.VersionTLS12,
		Renegotiation: tls.RenegotiateOnceAsClient,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
	})
}

// TestRenegotiateGoClient is the seed's TLS exchange (MS-HTTP2E §4): after
// the first handshake, without a client certificate, the server
// renegotiates requiring one; the Go client presents it, the server sees
// it verified, and application data sent around the renegotiation arrives
// in order. Once with a concurrent server Read (which then receives the
// handshake), once with Renegotiate reading the network itself.
func TestRenegotiateGoClient(t *testing.T) {
	pki := testpki.NewPKI("reneg")
	for _, concurrentRead := range []bool{true, false} {
		name := "Renegotiate reads"
		if concurrentRead {
			name = "concurrent Read"
		}
		t.Run(name, func(t *testing.T) {
			cnc, snc := pair(t)
			sc := serverConn(t, snc, pki, 0)
			gc := goRenegClient(cnc, pki, &pki.Client.TLS)
			defer gc.Close()
			go gc.HandshakeContext(testCtx(t))
			if err := sc.Handshake(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			before := sc.ConnectionState()
			if len(before.PeerCertificates) != 0 || before.Version != tls.VersionTLS12 {
				t.Fatalf("before: %d peer certificates, version %x", len(before.PeerCertificates), before.Version)
			}
			// The client sends a request and then waits for the answer
			// (its Read runs the renegotiation).
			clientGot := make(chan string, 1)
			go func() {
				gc.Write([]byte("GET /protected_resource\n"))
				line, err := bufio.NewReader(gc).ReadString('\n')
				if err != nil {
					line = "error: " + err.Error()
				}
				clientGot <- line
			}()
			br := bufio.NewReader(sc)
			var serverGot chan string
			if concurrentRead {
				if line, err := br.ReadString('\n'); err != nil || line != "GET /protected_resource\n" {
					t.Fatalf("server read %q, %v", line, err)
				}
				serverGot = make(chan string, 1)
				go func() {
					line, err := br.ReadString('\n')
					if err != nil {
						line = "error: " + err.Error()
					}
					serverGot <- line
				}()
				time.Sleep(10 * time.Millisecond) // let the Read block
			}
			if err := sc.Renegotiate(testCtx(t), true); err != nil {
				t.Fatal(err)
			}
			after := sc.ConnectionState()
			if len(after.PeerCertificates) == 0 || !bytes.Equal(after.PeerCertificates[0].Raw, pki.Client.TLS.Certificate[0]) {
				t.Fatalf("after: %d peer certificates", len(after.PeerCertificates))
			}
			if len(after.VerifiedChains) == 0 || after.VerifiedChains[0][0].Subject.CommonName != "reneg client" {
				t.Errorf("verified chains: %v", after.VerifiedChains)
			}
			if bytes.Equal(before.TLSUnique, after.TLSUnique) {
				t.Errorf("tls-unique unchanged (%x) after the renegotiation", after.TLSUnique)
			}
			if after.NegotiatedProtocol != "h2" {
				t.Errorf("ALPN %q after the renegotiation", after.NegotiatedProtocol)
			}
			if !concurrentRead {
				// The request arrived before or during the handshake: buffered.
				if line, err := br.ReadString('\n'); err != nil || line != "GET /protected_resource\n" {
					t.Fatalf("server read %q, %v", line, err)
				}
			}
			if _, err := sc.Write([]byte("200 OK\n")); err != nil {
				t.Fatal(err)
			}
			if got := <-clientGot; got != "200 OK\n" {
				t.Fatalf("client got %q", got)
			}
			if cs := gc.ConnectionState(); !bytes.Equal(cs.TLSUnique, after.TLSUnique) {
				t.Errorf("tls-unique: client %x, server %x", cs.TLSUnique, after.TLSUnique)
			}
			gc.Write([]byte("next\n"))
			if concurrentRead {
				if got := <-serverGot; got != "next\n" {
					t.Fatalf("server's concurrent Read got %q", got)
				}
			} else if line, err := br.ReadString('\n'); err != nil || line != "next\n" {
				t.Fatalf("server read %q, %v", line, err)
			}
		})
	}
}

// TestRenegotiateNoClientCert: a client without a certificate when one is
// required fails the handshake; Renegotiate says why and the connection is
// over on both sides. When the certificate is only requested, the
// renegotiation completes without one.
func TestRenegotiateNoClientCert(t *testing.T) {
	pki := testpki.NewPKI("nocert")
	for _, require := range []bool{true, false} {
		t.Run(map[bool]string{true: "required", false: "requested"}[require], func(t *testing.T) {
			cnc, snc := pair(t)
			sc := serverConn(t, snc, pki, 0)
			gc := goRenegClient(cnc, pki, nil)
			defer gc.Close()
			go gc.HandshakeContext(testCtx(t))
			if err := sc.Handshake(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			clientErr := make(chan error, 1)
			go func() {
				_, err := gc.Read(make([]byte, 1))
				clientErr <- err
			}()
			err := sc.Renegotiate(testCtx(t), require)
			if !require {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(sc.ConnectionState().PeerCertificates); n != 0 {
					t.Fatalf("%d peer certificates", n)
				}
				sc.Write([]byte("x"))
				if err := <-clientErr; err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "peer did not return a certificate") {
				t.Fatalf("Renegotiate: %v, want an error saying the peer sent no certificate", err)
			}
			if _, err := sc.Write([]byte("x")); err == nil {
				t.Error("Write after a failed renegotiation succeeded")
			}
			if err := <-clientErr; err == nil {
				t.Error("the client's Read succeeded")
			}
		})
	}
}

// TestRenegotiateUntrustedClientCert: a client certificate from another CA
// fails the renegotiation with crypto/x509's reason.
func TestRenegotiateUntrustedClientCert(t *testing.T) {
	pki, other := testpki.NewPKI("a"), testpki.NewPKI("b")
	cnc, snc := pair(t)
	sc := serverConn(t, snc, pki, 0)
	gc := goRenegClient(cnc, pki, &other.Client.TLS)
	defer gc.Close()
	go gc.HandshakeContext(testCtx(t))
	go gc.Read(make([]byte, 1))
	err := sc.Renegotiate(testCtx(t), true)
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("Renegotiate: %v, want an x509.UnknownAuthorityError", err)
	}
}

// TestRenegotiateTLS13: TLS 1.3 has no renegotiation; Renegotiate refuses
// without touching the connection, which goes on working.
func TestRenegotiateTLS13(t *testing.T) {
	pki := testpki.NewPKI("tls13")
	cnc, snc := pair(t)
	sc := serverConn(t, snc, pki, 0)
	gc := tls.Client(cnc, &tls.Config{RootCAs: pki.CA.Pool(), ServerName: "localhost", NextProtos: []string{"h2"}})
	defer gc.Close()
	go gc.HandshakeContext(testCtx(t))
	err := sc.Renegotiate(testCtx(t), true)
	if !errors.Is(err, ErrRenegotiationUnsupported) {
		t.Fatalf("Renegotiate on TLS 1.3: %v", err)
	}
	echo(t, gc, sc)
}

// TestRenegotiateClientSide: a Client cannot start a renegotiation.
func TestRenegotiateClientSide(t *testing.T) {
	cnc, _ := pair(t)
	cc, err := Client(cnc, &Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := cc.Renegotiate(testCtx(t), false); !errors.Is(err, ErrRenegotiationUnsupported) {
		t.Fatalf("Renegotiate on a client: %v", err)
	}
}

// sClient is openssl s_client connected over TLS 1.2, with ALPN h2 and
// a client certificate, to a tlsossl server whose handshake is done. The
// process is killed when the test ends.
type sClient struct {
	server *Conn          // the server's end (serverConn)
	stdin  io.WriteCloser // what s_client sends; without -quiet a line "R" renegotiates
	stdout io.Reader      // what s_client prints: with -quiet, only the data it received
	stderr *testpeer.Output
}

// startSClient starts s_client with pki's client certificate and args
// added, accepts its connection with serverConn and completes the
// handshake.
func startSClient(t *testing.T, pki *testpki.PKI, args ...string) *sClient {
	t.Helper()
	bin := testpeer.Path(t, "openssl")
	certFile, keyFile, err := pki.Client.WriteFiles(t.TempDir(), "client")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
	cmd := exec.CommandContext(testCtx(t), bin, append([]string{"s_client", "-connect", l.Addr().String(),
		"-tls1_2", "-alpn", "h2", "-cert", certFile, "-key", keyFile}, args...)...)
	s := &sClient{stderr: new(testpeer.Output)}
	s.stdin, _ = cmd.StdinPipe()
	s.stdout, _ = cmd.StdoutPipe()
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	snc, err := l.Accept()
	if err != nil {
		t.Fatalf("%v; s_client: %s", err, s.stderr)
	}
	snc.SetDeadline(time.Now().Add(20 * time.Second))
	s.server = serverConn(t, snc, pki, 0)
	if err := s.server.Handshake(testCtx(t)); err != nil {
		t.Fatalf("%v; s_client: %s", err, s.stderr)
	}
	return s
}

// TestRenegotiateOpenSSLClient: openssl s_client over TLS 1.2 with ALPN h2
// and a client certificate; the server renegotiates and gets it.
func TestRenegotiateOpenSSLClient(t *testing.T) {
	pki := testpki.NewPKI("s_client")
	s := startSClient(t, pki, "-quiet")
	sc, ctx := s.server, testCtx(t)
	if cs := sc.ConnectionState(); cs.NegotiatedProtocol != "h2" || cs.Version != tls.VersionTLS12 {
		t.Fatalf("ALPN %q, version %x", cs.NegotiatedProtocol, cs.Version)
	}
	if err := sc.Renegotiate(ctx, true); err != nil {
		t.Fatalf("%v; s_client: %s", err, s.stderr)
	}
	pc := sc.ConnectionState().PeerCertificates
	if len(pc) == 0 || !bytes.Equal(pc[0].Raw, pki.Client.TLS.Certificate[0]) {
		t.Fatalf("%d peer certificates after the renegotiation", len(pc))
	}
	sc.Write([]byte("after renegotiation\n"))
	line, err := bufio.NewReader(s.stdout).ReadString('\n')
	if err != nil || line != "after renegotiation\n" {
		t.Fatalf("s_client printed %q, %v; stderr: %s", line, err, s.stderr)
	}
	s.stdin.Write([]byte("from s_client\n"))
	if line, err := bufio.NewReader(sc).ReadString('\n'); err != nil || line != "from s_client\n" {
		t.Fatalf("server read %q, %v", line, err)
	}
}

// TestClientInitiatedRenegotiationRefused: a client that renegotiates on
// its own (openssl s_client's R command) is refused, as MS-HTTP2E wants
// when the server did not send bit 0x01: libssl answers no_renegotiation
// (OpenSSL 3 without SSL_OP_ALLOW_CLIENT_RENEGOTIATION), the client gives
// up the connection and the server's Read reports it; no certificate was
// exchanged.
func TestClientInitiatedRenegotiationRefused(t *testing.T) {
	s := startSClient(t, testpki.NewPKI("client-reneg"))
	sc := s.server
	s.stdin.Write([]byte("R\n"))
	n, err := sc.Read(make([]byte, 100))
	if err == nil {
		t.Fatalf("server read %d bytes, want an error; s_client: %s", n, s.stderr)
	}
	t.Logf("server's Read: %v", err)
	if pc := sc.ConnectionState().PeerCertificates; len(pc) != 0 {
		t.Errorf("%d peer certificates after a refused renegotiation", len(pc))
	}
}

// lazyConn sleeps before each Read so that records the peer sends in a
// burst arrive in one read of the socket.
type lazyConn struct{ net.Conn }

func (c lazyConn) Read(p []byte) (int, error) {
	time.Sleep(30 * time.Millisecond)
	return c.Conn.Read(p)
}

// TestClientReadsDataAfterTicket: a Go TLS 1.3 server sends its
// NewSessionTicket and the first application data back to back. When both
// arrive in one read, libssl (without SSL_MODE_AUTO_RETRY) stops after the
// ticket with WANT_READ; the data still in the read BIO must be delivered,
// not left waiting for more bytes from the network.
func TestClientReadsDataAfterTicket(t *testing.T) {
	pki := testpki.NewPKI("ticket")
	cnc, snc := pair(t)
	gs := tls.Server(snc, &tls.Config{
		Certificates: []tls.Certificate{pki.Server.TLS},
		ClientCAs:    pki.CA.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
		NextProtos:   []string{"h2"},
	})
	defer gs.Close()
	cc, err := Client(lazyConn{cnc}, &Config{
		Certificates: []tls.Certificate{pki.Client.TLS},
		RootCAs:      pki.CA.Pool(),
		ServerName:   "localhost",
		NextProtos:   []string{"h2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	go func() {
		if gs.HandshakeContext(testCtx(t)) == nil {
			gs.Write([]byte("x"))
		}
	}()
	if err := cc.Handshake(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if v := cc.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("version %x, want TLS 1.3", v)
	}
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 1)
	if _, err := io.ReadFull(cc, b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q, %v; want \"x\"", b, err)
	}
}
