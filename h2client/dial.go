package h2client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// NextProtoTLS is the ALPN protocol ID of HTTP/2 over TLS (RFC 9113,
// Section 3.2).
const NextProtoTLS = "h2"

// dialConn opens an HTTP/2 connection for key (modeTLS or modePrior).
// h1 reports a TLS server that chose HTTP/1.1: its connection is stashed
// for the fallback transport.
func (t *Transport) dialConn(ctx context.Context, key originKey, addr string, mode int) (cc *clientConn, h1 bool, err error) {
	if mode == modePrior {
		nc, err := t.dialTCP(ctx, addr)
		if err != nil {
			return nil, false, err
		}
		return t.newConn(key, nc, nil, nil, nil, nil), false, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false, err
	}
	cfg, guard := t.tlsConfig(host, !t.DisableHTTP1)
	nc, err := t.dialTLS(ctx, addr, cfg)
	if err != nil {
		if t.DisableHTTP1 && strings.Contains(err.Error(), "no application protocol") {
			err = fmt.Errorf("%w: %v", ErrNoHTTP2, err)
		}
		return nil, false, err
	}
	cs, ok := nc.(interface{ ConnectionState() tls.ConnectionState })
	if !ok {
		nc.Close()
		return nil, false, errors.New("h2client: DialTLSContext did not return a TLS connection")
	}
	state := cs.ConnectionState()
	if state.NegotiatedProtocol != NextProtoTLS {
		if t.DisableHTTP1 {
			nc.Close()
			return nil, false, ErrNoHTTP2
		}
		t.getPool().stashConn(addr, nc)
		return nil, true, nil
	}
	if guard != nil && !guard.start(&state) {
		guard = nil // TLS 1.3: no renegotiation exists, TLS_RENEG_PERMITTED = 0
	}
	return t.newConn(key, nc, &state, guard, nil, nil), false, nil
}

// tlsConfig returns the per-connection TLS configuration: a clone with
// ServerName (SNI, verification) and ALPN set, and MS-HTTP2E
// renegotiation when enabled and a client certificate is configured.
func (t *Transport) tlsConfig(host string, h1 bool) (*tls.Config, *renegGuard) {
	var cfg *tls.Config
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
	} else {
		cfg = new(tls.Config)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	protos := []string{NextProtoTLS}
	if h1 {
		protos = append(protos, "http/1.1")
	}
	for _, p := range cfg.NextProtos {
		if !slices.Contains(protos, p) && p != "http/1.1" {
			protos = append(protos, p)
		}
	}
	cfg.NextProtos = protos
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12 // RFC 9113, Section 9.2
	}
	var guard *renegGuard
	if t.AllowRenegotiation && (len(cfg.Certificates) > 0 || cfg.GetClientCertificate != nil) {
		guard = newRenegGuard(cfg)
	}
	return cfg, guard
}

func (t *Transport) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	if t.DialContext != nil {
		return t.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// errHandshakeTimeout is the cause of a TLS handshake that took longer
// than TLSHandshakeTimeout.
var errHandshakeTimeout = errors.New("h2client: TLS handshake timeout")

func (t *Transport) dialTLS(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	if t.DialTLSContext != nil {
		return t.DialTLSContext(ctx, "tcp", addr, cfg)
	}
	nc, err := t.dialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(nc, cfg)
	hctx := ctx
	to := t.tlsHandshakeTimeout()
	if to > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeoutCause(ctx, to, errHandshakeTimeout)
		defer cancel()
	}
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		if context.Cause(hctx) == errHandshakeTimeout {
			return nil, &silentError{addr: addr, what: "no TLS handshake within " + to.String(), cause: err}
		}
		return nil, err
	}
	return tc, nil
}

// h1Transport is the HTTP/1.1 fallback: the standard library's transport,
// with HTTP/2 switched off, dialing through this Transport (and taking
// first the TLS connection that chose HTTP/1.1, when there is one).
func (t *Transport) h1Transport() *http.Transport {
	t.h1Once.Do(func() {
		h1 := &http.Transport{
			DialContext:           t.DialContext,
			DialTLSContext:        t.dialH1TLS,
			TLSClientConfig:       t.TLSClientConfig,
			TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
			IdleConnTimeout:       t.IdleConnTimeout,
			ExpectContinueTimeout: t.expectContinueTimeout(),
			MaxConnsPerHost:       t.MaxConnsPerHost,
		}
		t.h1 = h1
	})
	return t.h1
}

// dialH1TLS dials a TLS connection for the HTTP/1.1 fallback.
func (t *Transport) dialH1TLS(ctx context.Context, network, addr string) (net.Conn, error) {
	if c, ok := t.getPool().takeStash(addr).(net.Conn); ok {
		return c, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg, _ := t.tlsConfig(host, true)
	cfg.NextProtos = []string{"http/1.1"}
	return t.dialTLS(ctx, addr, cfg)
}
