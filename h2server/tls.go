package h2server

import (
	"crypto/tls"
	"errors"
	"net/http"
	"slices"
)

// NextProtoTLS is the ALPN protocol ID of HTTP/2 over TLS (RFC 9113,
// Section 3.2).
const NextProtoTLS = "h2"

// ConfigureServer adds HTTP/2 to hs: its TLS config offers "h2" before
// "http/1.1" with ALPN and requires TLS 1.2 or later, and
// hs.TLSNextProto["h2"] hands connections that negotiated "h2" to conf
// (nil: a zero Server). Clients that offer only "http/1.1" keep getting
// net/http's HTTP/1.1. hs.Shutdown also shuts the HTTP/2 connections
// down gracefully. Call it before hs.ServeTLS or hs.ListenAndServeTLS;
// with hs.Serve, wrap the listener with tls.NewListener(l, hs.TLSConfig).
func ConfigureServer(hs *http.Server, conf *Server) error {
	if hs == nil {
		return errors.New("h2server: ConfigureServer with a nil http.Server")
	}
	if conf == nil {
		conf = new(Server)
	}
	if hs.TLSConfig == nil {
		hs.TLSConfig = new(tls.Config)
	}
	ConfigureTLS(hs.TLSConfig)
	if hs.TLSNextProto == nil {
		hs.TLSNextProto = make(map[string]func(*http.Server, *tls.Conn, http.Handler))
	}
	hs.TLSNextProto[NextProtoTLS] = func(hs *http.Server, c *tls.Conn, h http.Handler) {
		opts := &ServeConnOpts{BaseConfig: hs, Handler: h}
		if bc, ok := h.(baseContexter); ok {
			// The connection's context, from hs.BaseContext and
			// hs.ConnContext, as net/http made it (connstate.go).
			opts.Context = bc.BaseContext()
		}
		conf.ServeConn(c, opts)
	}
	hs.RegisterOnShutdown(conf.shutdownConns)
	return nil
}

// ConfigureTLS prepares a TLS config for HTTP/2: "h2" first in NextProtos
// (then "http/1.1" if absent) and MinVersion at least TLS 1.2
// (RFC 9113, Section 9.2).
func ConfigureTLS(c *tls.Config) {
	if !slices.Contains(c.NextProtos, NextProtoTLS) {
		c.NextProtos = append([]string{NextProtoTLS}, c.NextProtos...)
	}
	if !slices.Contains(c.NextProtos, "http/1.1") {
		c.NextProtos = append(c.NextProtos, "http/1.1")
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
}

// inadequateSecurity returns why a TLS connection may not carry HTTP/2,
// or "" (RFC 9113, Section 9.2).
func (s *Server) inadequateSecurity(st *tls.ConnectionState) string {
	if st.Version < tls.VersionTLS12 {
		return "TLS version below 1.2" // Section 9.2
	}
	if st.Version == tls.VersionTLS12 && !s.PermitProhibitedCipherSuites && ProhibitedCipherSuite(st.CipherSuite) {
		return "prohibited TLS 1.2 cipher suite " + tls.CipherSuiteName(st.CipherSuite) // Section 9.2.2
	}
	return ""
}

// ProhibitedCipherSuite reports whether a TLS 1.2 cipher suite is on the
// list of RFC 9113, Appendix A. The list is every suite without an
// ephemeral key exchange or without an AEAD cipher; of the suites Go
// implements, only the ECDHE ones with AES-GCM or ChaCha20-Poly1305 are
// allowed, and TLS 1.3 suites are not TLS 1.2 suites at all.
func ProhibitedCipherSuite(id uint16) bool {
	switch id {
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		// DHE with AEAD, and the PSK and CCM AEAD suites, are allowed by
		// the RFC too (Go does not implement them).
		0x009e, 0x009f, // TLS_DHE_RSA_WITH_AES_{128,256}_GCM
		0xccaa,                         // TLS_DHE_RSA_WITH_CHACHA20_POLY1305
		0xc09e, 0xc09f, 0xc0ac, 0xc0ad, // DHE/ECDHE CCM
		tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256:
		return false
	}
	return true
}
