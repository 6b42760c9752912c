//go:build h2kit_openssl && cgo

package main

// h2kit serve --tls-backend openssl: TLS on the system's OpenSSL
// (h2kit's tlsossl), which can renegotiate for a client certificate.
// Built only with the tag h2kit_openssl (serve_ossl_stub.go otherwise).

import (
	"crypto/tls"
	"crypto/x509"
	"net"

	"github.com/h2kit/h2kit/tlsossl"
)

// opensslListener returns the listener wrapper of the OpenSSL backend:
// each accepted connection becomes a tlsossl server, ALPN h2 and
// http/1.1. With client CAs, TLS 1.2 only: the client certificate is
// asked for by renegotiation, which TLS 1.3 does not have.
func opensslListener(cert tls.Certificate, clientCAs *x509.CertPool) (func(net.Listener) net.Listener, []string, error) {
	cfg := &tlsossl.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    clientCAs,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	banner := "TLS backend: OpenSSL (libssl), TLS 1.2 and 1.3"
	if clientCAs != nil {
		cfg.MaxVersion = tls.VersionTLS12
		banner = "TLS backend: OpenSSL (libssl), TLS 1.2 only (client certificates by renegotiation, which TLS 1.3 does not have)"
	}
	// A Config the backend refuses fails here, not at the first client.
	if _, err := tlsossl.Server(nopConn{}, cfg); err != nil {
		return nil, nil, err
	}
	return func(l net.Listener) net.Listener { return osslListener{l, cfg} }, []string{banner}, nil
}

// osslListener makes each accepted connection an OpenSSL server
// connection; the handshake runs later, in h2server.ServeTLSConns.
type osslListener struct {
	net.Listener
	cfg *tlsossl.Config
}

func (l osslListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, err := tlsossl.Server(c, l.cfg)
		if err != nil { // checked at start: out of memory, say
			c.Close()
			continue
		}
		return tc, nil
	}
}

// nopConn is a net.Conn that is never used: opensslListener's check of
// the Config.
type nopConn struct{ net.Conn }
