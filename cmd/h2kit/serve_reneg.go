package main

// This file holds h2kit serve's client certificates: --tls-backend,
// --client-ca and --client-cert-path, and the handler that asks for a
// certificate under the path (MS-HTTP2E): by TLS renegotiation over
// HTTP/2 when the client permits it (TLS_RENEG_PERMITTED 0x02) and the
// backend can (OpenSSL, serve_ossl.go), else by HTTP_1_1_REQUIRED and a
// renegotiation over HTTP/1.1.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/h2kit/h2kit/h2server"
)

// serveDefaultCertPath is --client-cert-path's default: the demo's page.
const serveDefaultCertPath = "/protected_resource"

// clientCertOptions are serve's client certificate flags.
type clientCertOptions struct {
	backend  string // --tls-backend: "go" (crypto/tls) or "openssl"
	caFile   string // --client-ca
	path     string // --client-cert-path
	caPool   *x509.CertPool
	pathSet  bool
	disabled bool // --client-cert-path ""
}

// register adds the flags to fs.
func (c *clientCertOptions) register(fs flags) {
	c.backend, c.path = "go", serveDefaultCertPath
	fs.str(&c.backend, "", "tls-backend")
	fs.str(&c.caFile, "", "client-ca")
	fs.str(&c.path, "", "client-cert-path")
}

// check validates the flags once parsed (given: the flags given) and
// reads the CA file.
func (c *clientCertOptions) check(h2c bool, given map[string]bool) error {
	switch c.backend {
	case "go", "openssl":
	default:
		return fmt.Errorf("--tls-backend %q: want go (crypto/tls) or openssl", c.backend)
	}
	if h2c && (given["tls-backend"] || given["client-ca"]) {
		return errors.New("--h2c serves cleartext: --tls-backend and --client-ca do not apply")
	}
	c.pathSet = given["client-cert-path"]
	if c.path == "" {
		c.disabled = true
	} else if !strings.HasPrefix(c.path, "/") {
		return fmt.Errorf("--client-cert-path %q: want a path starting with /", c.path)
	}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return fmt.Errorf("--client-ca: %w", err)
		}
		c.caPool = x509.NewCertPool()
		if !c.caPool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--client-ca %s: no PEM certificate in the file", c.caFile)
		}
	}
	return nil
}

// configureTLS sets up TLS for hs and srv with cert: on crypto/tls,
// hs.TLSConfig and ConfigureServer (a client certificate given in the
// handshake is verified against --client-ca), and wrap is nil; on
// OpenSSL, hs.TLSConfig too (for the demo's HTTP/1.1 origin) and wrap
// turns a listener's connections into OpenSSL ones, for
// srv.ServeTLSConns. It returns lines for the banner.
func (c *clientCertOptions) configureTLS(hs *http.Server, srv *h2server.Server, cert tls.Certificate) (wrap func(net.Listener) net.Listener, banner []string, err error) {
	hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if c.backend == "openssl" {
		wrap, banner, err = opensslListener(cert, c.caPool)
		if err != nil {
			return nil, nil, err
		}
	} else {
		if c.caPool != nil {
			hs.TLSConfig.ClientCAs = c.caPool
			hs.TLSConfig.ClientAuth = tls.VerifyClientCertIfGiven
		}
		if err := h2server.ConfigureServer(hs, srv); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case c.disabled:
	case c.caPool == nil:
		banner = append(banner, fmt.Sprintf("%s...: 403, no --client-ca to verify client certificates with", c.path))
	case c.backend == "openssl":
		banner = append(banner, fmt.Sprintf("%s...: client certificate (from %s) asked by TLS 1.2 renegotiation: over HTTP/2 when the client sends TLS_RENEG_PERMITTED 0x02, else after HTTP_1_1_REQUIRED over HTTP/1.1", c.path, c.caFile))
	default:
		banner = append(banner, fmt.Sprintf("%s...: client certificate (from %s) taken from the handshake only (crypto/tls cannot renegotiate: --tls-backend openssl can)", c.path, c.caFile))
	}
	return wrap, banner, nil
}

// underPath reports whether a request path is under the protected prefix
// (the prefix itself, or below it when it ends with a slash or the next
// character is one).
func underPath(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || strings.HasSuffix(prefix, "/") || p[len(prefix)] == '/'
}

// guards reports whether a request for the path p needs a client
// certificate (protect).
func (c *clientCertOptions) guards(p string) bool {
	return !c.disabled && underPath(p, c.path)
}

// protect asks for a client certificate for the requests under the path:
// h answers them once it verified (h2server.RequestClientCert); without
// one, 403; over HTTP/2 without permission to renegotiate, RST_STREAM
// HTTP_1_1_REQUIRED so that the client retries over HTTP/1.1 (RFC 9113,
// Section 9.2.1), where the OpenSSL backend renegotiates.
func (c *clientCertOptions) protect(h http.Handler) http.Handler {
	if c.disabled {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.guards(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		if c.caPool == nil {
			http.Error(w, "client certificate required, but this server has no --client-ca to verify it with", http.StatusForbidden)
			return
		}
		_, err := h2server.RequestClientCert(r.Context(), r)
		switch {
		case err == nil:
			h.ServeHTTP(w, r)
		case errors.Is(err, h2server.ErrRenegotiationNotPermitted) && r.ProtoMajor == 2 && h2server.RequireHTTP11(w) == nil:
			// Reset with HTTP_1_1_REQUIRED.
		default:
			http.Error(w, "client certificate required: "+err.Error(), http.StatusForbidden)
		}
	})
}

// handleProtected is the demo's /protected_resource (MS-HTTP2E's
// example): the verified client certificate's subject, as
// application/octet-stream like the example's file. protect has asked
// for the certificate; a request that comes here without one (the path
// not protected) gets 403.
func handleProtected(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		http.Error(w, "no verified client certificate (see h2kit serve --client-ca and --client-cert-path)", http.StatusForbidden)
		return
	}
	leaf := r.TLS.VerifiedChains[0][0]
	body := fmt.Sprintf("client certificate subject: %s\nissuer: %s\nprotocol: %s, %s\n",
		leaf.Subject, leaf.Issuer, r.Proto, tls.VersionName(r.TLS.Version))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write([]byte(body))
}

// handler wraps serve's handler: the demo's /protected_resource page
// (demo), and the client certificate asked for under the path.
func (c *clientCertOptions) handler(h http.Handler, demo bool) http.Handler {
	if demo {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == serveDefaultCertPath {
				w.Header().Set("Server", "h2kit")
				handleProtected(w, r)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	return c.protect(h)
}
