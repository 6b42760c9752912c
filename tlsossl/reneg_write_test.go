//go:build h2kit_openssl && cgo

package tlsossl

import (
	"crypto/tls"
	"io"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpki"
)

// TestWriteWaitsForRenegotiation: a Write made while Renegotiate runs,
// before the client has even answered the HelloRequest, waits until the
// handshake is over. libssl alone would send the data right after the
// HelloRequest, and Go's client, which reads the ServerHello next, would
// fail with "unexpected message".
func TestWriteWaitsForRenegotiation(t *testing.T) {
	pki := testpki.NewPKI("wait")
	cnc, snc := pair(t)
	sc := serverConn(t, snc, pki, 0)
	gc := goRenegClient(cnc, pki, &pki.Client.TLS)
	defer gc.Close()
	go gc.HandshakeContext(testCtx(t))
	if err := sc.Handshake(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	renegDone := make(chan error, 1)
	go func() { renegDone <- sc.Renegotiate(testCtx(t), true) }()
	// Renegotiate has queued its HelloRequest once it waits for the
	// client; the client does not read yet, so the handshake cannot end.
	time.Sleep(50 * time.Millisecond)
	wrote := make(chan error, 1)
	go func() {
		_, err := sc.Write([]byte("after the handshake"))
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("Write returned (%v) while the renegotiation had not started on the client", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The client's Read runs the renegotiation, then returns the data.
	got := make([]byte, len("after the handshake"))
	if _, err := io.ReadFull(gc, got); err != nil {
		t.Fatalf("client read: %v", err)
	}
	if string(got) != "after the handshake" {
		t.Fatalf("client read %q", got)
	}
	if err := <-renegDone; err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if n := len(sc.ConnectionState().PeerCertificates); n == 0 {
		t.Fatal("no client certificate after the renegotiation")
	}
}

// TestCanRenegotiate: true only for a server after its first handshake on
// TLS 1.2 with ClientCAs set; false before the handshake, on TLS 1.3,
// without ClientCAs, and after a failure.
func TestCanRenegotiate(t *testing.T) {
	pki := testpki.NewPKI("can")
	for _, c := range []struct {
		name       string
		maxVersion uint16
		noCAs      bool
		want       bool
	}{
		{"TLS 1.2", tls.VersionTLS12, false, true},
		{"TLS 1.3", 0, false, false},
		{"no ClientCAs", tls.VersionTLS12, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cnc, snc := pair(t)
			sc := serverConn(t, snc, pki, c.maxVersion)
			if c.noCAs {
				cfg := *sc.cfg
				cfg.ClientCAs = nil
				sc.cfg = &cfg
			}
			if sc.CanRenegotiate() {
				t.Fatal("CanRenegotiate before the handshake")
			}
			gc := goRenegClient(cnc, pki, &pki.Client.TLS) // TLS 1.2
			if c.maxVersion == 0 {
				gc = tls.Client(cnc, &tls.Config{RootCAs: pki.CA.Pool(), ServerName: "localhost", NextProtos: []string{"h2"}})
			}
			defer gc.Close()
			go gc.HandshakeContext(testCtx(t))
			if err := sc.Handshake(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if got := sc.CanRenegotiate(); got != c.want {
				t.Fatalf("CanRenegotiate = %v", got)
			}
			if c.want {
				gc.Close() // the next Read fails: no renegotiation after that
				sc.Read(make([]byte, 1))
				if sc.CanRenegotiate() {
					t.Error("CanRenegotiate after the connection failed")
				}
			}
		})
	}
}
