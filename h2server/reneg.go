package h2server

// MS-HTTP2E (Microsoft's HTTP/2 extension for TLS renegotiation), server
// side: a handler asks for the client's certificate in the middle of a
// connection, and the server renegotiates TLS 1.2 to get it, when
// both endpoints sent TLS_RENEG_PERMITTED with bit 0x02 (server-initiated
// renegotiation permitted) and the TLS backend can renegotiate
// (Renegotiator: crypto/tls cannot, h2kit's tlsossl can). Otherwise the
// handler resets the stream with HTTP_1_1_REQUIRED (RequireHTTP11) and the
// client retries over HTTP/1.1 (RFC 9113, Section 9.2.1), where the
// same RequestClientCert renegotiates for the request (ServeTLSConns).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// Renegotiator is a TLSConn whose backend runs a server-initiated TLS 1.2
// renegotiation (RFC 5246, Section 7.4.1.1; RFC 5746) that asks for a
// client certificate and verifies it; h2kit's tlsossl.Conn is one.
// Renegotiate returns once the new handshake is over, ConnectionState
// then describes it (PeerCertificates, VerifiedChains). While it runs the
// connection's Write must wait (clients such as Go's fail on application
// data interleaved with the handshake) and its Read must go on returning
// the data that arrives. A failed handshake leaves the connection broken.
// CanRenegotiate reports, after the first handshake, whether Renegotiate
// can run at all (TLS 1.2, the client's RFC 5746 support, CAs to verify
// with): only then does the server advertise TLS_RENEG_PERMITTED 0x02.
type Renegotiator interface {
	TLSConn
	CanRenegotiate() bool
	Renegotiate(ctx context.Context, requireClientCert bool) error
}

// ErrRenegotiationNotPermitted is RequestClientCert's error when the
// connection cannot renegotiate: the HTTP/2 client did not send
// TLS_RENEG_PERMITTED with bit 0x02, the connection is TLS 1.3 (which has
// no renegotiation), or its TLS backend cannot (crypto/tls, or a
// Renegotiator whose CanRenegotiate said no). The returned error wraps it
// with the reason. Over HTTP/2, answer with RequireHTTP11; over HTTP/1.1
// nothing more can be done (403, say).
var ErrRenegotiationNotPermitted = errors.New("h2server: TLS renegotiation not permitted on this connection")

// ErrNoClientCertificate is RequestClientCert's error when the
// renegotiation completed but the client sent no certificate.
var ErrNoClientCertificate = errors.New("h2server: the client sent no certificate")

// RequestClientCert returns the verified certificate chains of the
// client of r, asking for them first when the connection has none: it
// runs a server-initiated TLS renegotiation that requests a certificate
// (once per connection; concurrent calls on one connection wait for the
// first), and sets r.TLS to the new connection state (later requests on
// the connection get it too). The chains are verified against the CAs
// of the TLS backend's configuration (tlsossl.Config.ClientCAs).
//
// Over HTTP/2 it renegotiates only when both endpoints sent
// TLS_RENEG_PERMITTED with bit 0x02 (MS-HTTP2E) on a TLS 1.2 connection
// of a Renegotiator, once the client acknowledged the server's SETTINGS
// (which carry the permission: the HelloRequest must not overtake them);
// over HTTP/1.1, on a TLS 1.2 connection of a Renegotiator served by
// ServeTLSConns. Otherwise it returns an error
// wrapping ErrRenegotiationNotPermitted, without touching the
// connection. While the handshake runs, no frame is written on the
// connection (the other streams' output waits, then resumes); frames
// that arrive are processed.
//
// ctx bounds the handshake, and so do 30 seconds and the Server's
// WriteTimeout, if any. A client that sends no certificate gives ErrNoClientCertificate
// (the connection goes on). A handshake that fails (an untrusted
// certificate, a client that refuses the HelloRequest, ctx done) ends the
// connection: RequestClientCert returns why, and the Server's Logger
// records it.
func RequestClientCert(ctx context.Context, r *http.Request) ([][]*x509.Certificate, error) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return r.TLS.VerifiedChains, nil
	}
	ct, _ := r.Context().Value(connTLSKey{}).(*connTLS)
	if ct == nil {
		switch {
		case r.TLS == nil:
			return nil, fmt.Errorf("%w: not a TLS connection", ErrRenegotiationNotPermitted)
		case r.TLS.Version != tls.VersionTLS12:
			return nil, fmt.Errorf("%w: %s has no renegotiation", ErrRenegotiationNotPermitted, tls.VersionName(r.TLS.Version))
		}
		return nil, fmt.Errorf("%w: the connection's TLS backend cannot renegotiate (crypto/tls), or it was not served by ServeTLSConns", ErrRenegotiationNotPermitted)
	}
	chains, st, err := ct.requestClientCert(ctx)
	if st != nil {
		r.TLS = st
	}
	return chains, err
}

// RequireHTTP11 resets the stream of an HTTP/2 response with
// HTTP_1_1_REQUIRED (RFC 9113, Section 9.2.1): the client should retry
// the request over HTTP/1.1. For a handler that needs a client
// certificate where RequestClientCert returned
// ErrRenegotiationNotPermitted; the handler should return after it. It
// fails when w is not an HTTP/2 response of h2server (nor wraps one with
// an Unwrap method) or the response header was sent already.
func RequireHTTP11(w http.ResponseWriter) error {
	for {
		if rw, ok := w.(*responseWriter); ok {
			return rw.resetHTTP11()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return errors.New("h2server: RequireHTTP11: not an HTTP/2 response (already HTTP/1.1?)")
		}
		w = u.Unwrap()
	}
}

// resetHTTP11 asks the owner to reset the stream with HTTP_1_1_REQUIRED
// (handler goroutine).
func (w *responseWriter) resetHTTP11() error {
	st := w.st
	if st == nil {
		return errHandlerDone
	}
	if st.committed {
		return errors.New("h2server: RequireHTTP11 after the response header was sent")
	}
	st.mu.Lock()
	err := st.err
	if err == nil && !st.rstReq {
		st.rstReq = true
		st.rstCode = frame.ErrCodeHTTP11Required
	}
	st.mu.Unlock()
	st.sc.markDirty(st)
	return err
}

// renegTimeout bounds a renegotiation when ctx does not end sooner
// (a variable for tests).
var renegTimeout = 30 * time.Second

// connTLSKey is the context key of a connection's *connTLS: in the base
// context of an HTTP/2 connection that can renegotiate, in the
// connection context of every HTTP/1.1 connection of ServeTLSConns.
type connTLSKey struct{}

// connTLS is the TLS side of one connection, as RequestClientCert and
// the requests' http.Request.TLS see it.
type connTLS struct {
	conn  TLSConn
	reneg Renegotiator // nil: the connection cannot renegotiate
	h2    bool
	srv   *Server
	// state is the connection state given to requests, replaced after
	// a renegotiation.
	state atomic.Pointer[tls.ConnectionState]
	// permitted: both SETTINGS carried TLS_RENEG_PERMITTED bit 0x02
	// (HTTP/2; stored by the owner, see renegSettings).
	permitted atomic.Bool
	// acked is closed once the client acknowledged our SETTINGS (HTTP/2;
	// by the owner, see renegAcked): they are then on its side of the
	// connection, before any HelloRequest.
	acked        chan struct{}
	ackOnce      sync.Once
	writeTimeout time.Duration

	mu     sync.Mutex // held by the one RequestClientCert that renegotiates
	asked  bool       // a renegotiation completed (clients accept one)
	failed error      // a renegotiation failed: the connection is over
}

// newConnTLS returns the connTLS of tc, whose state is st.
func newConnTLS(tc TLSConn, st *tls.ConnectionState, h2 bool, srv *Server) *connTLS {
	ct := &connTLS{conn: tc, h2: h2, srv: srv}
	ct.state.Store(st)
	ct.reneg = renegotiator(tc, st)
	return ct
}

// renegotiator returns tc as a Renegotiator if it can renegotiate (on
// TLS 1.2, CanRenegotiate), else nil.
func renegotiator(tc TLSConn, st *tls.ConnectionState) Renegotiator {
	if r, ok := tc.(Renegotiator); ok && st.Version == tls.VersionTLS12 && r.CanRenegotiate() {
		return r
	}
	return nil
}

// requestClientCert does RequestClientCert's work; st, when not nil, is
// the connection's new state.
func (ct *connTLS) requestClientCert(ctx context.Context) (chains [][]*x509.Certificate, st *tls.ConnectionState, err error) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	st = ct.state.Load()
	switch {
	case len(st.VerifiedChains) > 0:
		return st.VerifiedChains, st, nil // another request asked for it
	case ct.failed != nil:
		return nil, nil, ct.failed
	case ct.asked:
		return nil, st, ErrNoClientCertificate
	case ct.reneg == nil && st.Version != tls.VersionTLS12:
		return nil, nil, fmt.Errorf("%w: %s has no renegotiation", ErrRenegotiationNotPermitted, tls.VersionName(st.Version))
	case ct.reneg == nil:
		return nil, nil, fmt.Errorf("%w: the connection cannot renegotiate (its TLS backend, the client's lack of RFC 5746 secure renegotiation, or no CAs to verify a certificate with)", ErrRenegotiationNotPermitted)
	case ct.h2 && !ct.permitted.Load():
		// MS-HTTP2E: a renegotiation the client did not permit is a
		// connection error; RFC 9113, Section 9.2.1 gives the way out.
		return nil, nil, fmt.Errorf("%w: the client did not send TLS_RENEG_PERMITTED with 0x02 (MS-HTTP2E); RequireHTTP11 makes it retry over HTTP/1.1", ErrRenegotiationNotPermitted)
	}
	// A client that never answers (the HelloRequest, or our SETTINGS)
	// must not hold the connection (whose writes wait) for as long as
	// the request lives.
	timeout := renegTimeout
	if ct.writeTimeout > 0 {
		// Writes wait for the handshake, and WriteTimeout bounds them.
		timeout = min(timeout, ct.writeTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = ct.waitAck(ctx)
	if err == nil {
		err = ct.reneg.Renegotiate(ctx, false)
	}
	if err != nil {
		ct.failed = fmt.Errorf("h2server: TLS renegotiation for a client certificate failed, connection closed: %w", err)
		ct.srv.logger().Warn("h2server: TLS renegotiation failed", "remote", ct.conn.RemoteAddr(), "err", err)
		ct.conn.Close()
		return nil, nil, ct.failed
	}
	ct.asked = true
	ns := ct.conn.ConnectionState()
	ct.state.Store(&ns)
	if len(ns.VerifiedChains) == 0 {
		return nil, &ns, ErrNoClientCertificate
	}
	return ns.VerifiedChains, &ns, nil
}

// waitAck waits, over HTTP/2, for the client's ACK of our SETTINGS: they
// carry the 0x02 that permits the renegotiation, and a HelloRequest that
// overtook them (they may still wait for the connection's writer, and
// writes wait while the renegotiation runs) would reach a client that has
// not seen the permission yet. The ACK says they arrived.
func (ct *connTLS) waitAck(ctx context.Context) error {
	if !ct.h2 {
		return nil
	}
	select {
	case <-ct.acked:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no SETTINGS ACK from the client: %w", ctx.Err())
	}
}

// startTLS completes the handshake of a TLS connection, if it is one,
// and records its state; on a Renegotiator on TLS 1.2 it prepares
// RequestClientCert. False when the handshake failed (the connection is
// then closed).
func (sc *serverConn) startTLS(c net.Conn) bool {
	tc, ok := c.(TLSConn)
	if !ok {
		return true
	}
	st := tc.ConnectionState()
	if !st.HandshakeComplete {
		if !sc.srv.handshake(tc) {
			return false
		}
		st = tc.ConnectionState()
	}
	sc.tls = &st
	if renegotiator(tc, &st) != nil {
		ct := newConnTLS(tc, &st, true, sc.srv)
		ct.acked = make(chan struct{})
		ct.writeTimeout = sc.srv.WriteTimeout
		if ct.writeTimeout == 0 && sc.hs != nil {
			ct.writeTimeout = sc.hs.WriteTimeout
		}
		sc.reneg = ct
		sc.baseCtx = context.WithValue(sc.baseCtx, connTLSKey{}, ct)
	}
	return true
}

// renegSetting is the TLS_RENEG_PERMITTED value to send: 0x02 where the
// server can honour it (a Renegotiator that can, on TLS 1.2), else 0
// (MS-HTTP2E; TLS 1.3 has no renegotiation).
func (sc *serverConn) renegSetting() uint32 {
	if sc.reneg != nil {
		return uint32(h2kit.RenegServerInitiated)
	}
	return 0
}

// renegSettings records, after a SETTINGS frame of the client, whether
// server-initiated renegotiation is permitted (owner).
func (sc *serverConn) renegSettings() {
	if sc.reneg != nil {
		sc.reneg.permitted.Store(sc.eng.RenegotiationPermitted(h2kit.RenegServerInitiated))
	}
}

// renegAcked records the client's ACK of our SETTINGS (owner).
func (sc *serverConn) renegAcked() {
	if ct := sc.reneg; ct != nil {
		ct.ackOnce.Do(func() { close(ct.acked) })
	}
}

// tlsState is the http.Request.TLS of a new request (owner).
func (sc *serverConn) tlsState() *tls.ConnectionState {
	if sc.reneg != nil {
		return sc.reneg.state.Load()
	}
	return sc.tls
}
