//go:build !(h2kit_openssl && cgo)

package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// opensslListener is the OpenSSL backend of h2kit serve, absent from this
// binary (see serve_ossl.go).
func opensslListener(tls.Certificate, *x509.CertPool) (func(net.Listener) net.Listener, []string, error) {
	return nil, nil, errors.New("--tls-backend openssl: this h2kit was built without the OpenSSL backend; build it with cgo, libssl-dev and -tags h2kit_openssl (go build -tags h2kit_openssl ./cmd/h2kit)")
}
