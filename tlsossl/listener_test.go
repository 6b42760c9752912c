//go:build h2kit_openssl && cgo

package tlsossl

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/h2kit/h2kit/internal/testpki"
)

// TestNewListener: Accept returns *Conn servers; a Go client completes
// the handshake with ALPN and data flows.
func TestNewListener(t *testing.T) {
	pki := testpki.NewPKI("listener")
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, &Config{Certificates: []tls.Certificate{pki.Server.TLS}, NextProtos: []string{"h2"}})
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			err = c.(*Conn).Handshake(testCtx(t))
		}
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	gc, err := tls.Dial("tcp", inner.Addr().String(), &tls.Config{RootCAs: pki.CA.Pool(), ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	sc, ok := (<-accepted).(*Conn)
	if !ok {
		t.Fatal("Accept did not return a *Conn")
	}
	defer sc.Close()
	if p := gc.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q", p)
	}
	echo(t, gc, sc)
}
