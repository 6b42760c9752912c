package h2client

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MS-HTTP2E (Microsoft's HTTP/2 extension for TLS 1.2 renegotiation),
// client side. A connection that may renegotiate gets its own tls.Config
// with RenegotiateOnceAsClient; crypto/tls then answers a server's
// HelloRequest by itself, inside Read. The engine says whether the
// renegotiation is permitted (both SETTINGS_TLS_RENEG_PERMITTED carried
// 0x2: RenegotiationPermitted(RenegServerInitiated)); renegGuard brings
// that answer into the handshake.
//
// crypto/tls has no callback at the start of a renegotiation, but the
// first thing a client handshake does is draw the ClientHello random from
// Config.Rand. After the first handshake, a TLS 1.2 connection with an
// AEAD cipher suite reads Config.Rand for nothing else (AEAD nonces come
// from the sequence number; only CBC suites, which RFC 9113, Section
// 9.2.2 prohibits and the per-connection config excludes, draw record
// IVs from it). So once armed, a read from the guard is a renegotiation:
// it passes when permitted and fails the handshake otherwise, before
// anything (the certificate) is sent.

// renegGuard is the Config.Rand of a connection that may renegotiate.
type renegGuard struct {
	r         io.Reader
	armed     atomic.Bool // the first handshake is over
	permitted atomic.Bool
	refused   atomic.Bool
	once      sync.Once
	ready     chan struct{} // closed once the server's first SETTINGS were handled
}

// errRenegRefused is the handshake error of a refused renegotiation.
var errRenegRefused = errors.New("h2client: TLS renegotiation not permitted by TLS_RENEG_PERMITTED (MS-HTTP2E)")

// prohibitedFree are the TLS 1.2 suites Go implements that RFC 9113,
// Appendix A allows: ephemeral key exchange and AEAD.
var prohibitedFree = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// newRenegGuard sets up cfg (a per-connection clone) for one
// server-initiated renegotiation.
func newRenegGuard(cfg *tls.Config) *renegGuard {
	g := &renegGuard{r: cfg.Rand, ready: make(chan struct{})}
	if g.r == nil {
		g.r = rand.Reader
	}
	cfg.Rand = g
	cfg.Renegotiation = tls.RenegotiateOnceAsClient
	// AEAD suites only: see the comment above.
	var suites []uint16
	for _, s := range cfg.CipherSuites {
		if isAEAD(s) {
			suites = append(suites, s)
		}
	}
	if len(suites) == 0 {
		suites = prohibitedFree
	}
	cfg.CipherSuites = suites
	return g
}

func isAEAD(s uint16) bool {
	for _, x := range prohibitedFree {
		if x == s {
			return true
		}
	}
	return false
}

// start arms the guard after the first handshake; false when the
// connection cannot renegotiate (TLS 1.3), so TLS_RENEG_PERMITTED is 0.
func (g *renegGuard) start(st *tls.ConnectionState) bool {
	if st.Version != tls.VersionTLS12 || !isAEAD(st.CipherSuite) {
		return false
	}
	g.armed.Store(true)
	return true
}

// settings records the engine's verdict after a SETTINGS frame (owner).
func (g *renegGuard) settings(permitted bool) {
	g.permitted.Store(permitted)
	g.once.Do(func() { close(g.ready) })
}

// closed releases a guard waiting for SETTINGS that will never come.
func (g *renegGuard) closed() {
	g.once.Do(func() { close(g.ready) })
}

// Read is Config.Rand. Once armed it runs on the connection's reader
// goroutine, inside tls.Conn.Read, when a HelloRequest starts a
// renegotiation. The server's SETTINGS precede its HelloRequest on the
// wire and were returned by an earlier Read, but the owner goroutine may
// not have handled them yet: wait for that (bounded) before deciding.
func (g *renegGuard) Read(p []byte) (int, error) {
	if g.armed.Load() {
		if !g.permitted.Load() {
			select {
			case <-g.ready:
			case <-time.After(5 * time.Second):
			}
		}
		if !g.permitted.Load() {
			g.refused.Store(true)
			return 0, errRenegRefused
		}
	}
	return g.r.Read(p)
}

// refusedRenegotiation reports whether err, the error that ended a
// connection's reads, is a renegotiation it did not allow: refused by the
// guard, or by crypto/tls itself (RenegotiateNever, TLS 1.3, a second
// one). g may be nil.
func (g *renegGuard) refusedRenegotiation(err error) bool {
	if g != nil && g.refused.Load() {
		return true
	}
	if errors.Is(err, errRenegRefused) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "no renegotiation") || strings.Contains(s, "unexpected renegotiation")
}
