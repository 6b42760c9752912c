//go:build h2kit_openssl && cgo

package main

// h2kit serve --tls-backend openssl: TLS on the system's OpenSSL
// (h2kit's tlsossl), which can renegotiate for a client certificate.
// Built only with the tag h2kit_openssl (serve_ossl_stub.go otherwise).

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
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
	// A certificate or key the backend refuses fails here, at start, not
	// at the first client (the Conn is never used; a cleanup frees it).
	if _, err := tlsossl.Server(nopConn{}, cfg); err != nil {
		return nil, nil, fmt.Errorf("--tls-backend openssl: %w", err)
	}
	return func(l net.Listener) net.Listener { return tlsossl.NewListener(l, cfg) }, []string{banner}, nil
}

// nopConn is the net.Conn of opensslListener's check, never used.
type nopConn struct{ net.Conn }
