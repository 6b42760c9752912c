package h2server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// TLSConn is what h2server needs of a TLS connection: *tls.Conn has it,
// and so does a connection of another TLS backend (h2kit's tlsossl, on
// the system's OpenSSL). Serve, ServeConn and ServeTLSConns take such a
// connection as TLS: they complete its handshake, check that it
// negotiated "h2" with ALPN and is secure enough for HTTP/2 (RFC 9113,
// Section 9.2), and give its ConnectionState to requests as
// http.Request.TLS. A TLSConn that is also a Renegotiator lets handlers
// ask for a client certificate (RequestClientCert).
type TLSConn interface {
	net.Conn
	// HandshakeContext runs the TLS handshake if it has not run.
	HandshakeContext(ctx context.Context) error
	// ConnectionState describes the connection as crypto/tls does;
	// HandshakeComplete tells whether the handshake is over.
	ConnectionState() tls.ConnectionState
}

// ServeTLSConns accepts connections on l, whose Accept returns TLSConns
// (a listener of a TLS backend other than crypto/tls, which net/http's
// TLSNextProto does not recognise), and serves each by the protocol its
// handshake chose with ALPN: "h2" with this Server, anything else
// ("http/1.1", or no ALPN) with hs's HTTP/1.1, as ConfigureServer does
// for crypto/tls. The handshake is bounded by ReadHeaderTimeout (the
// Server's, else hs's). Connections that are not TLSConns are closed.
//
// HTTP/1.1 requests get http.Request.TLS from their connection's current
// state (net/http takes a snapshot when the connection starts, stale
// after a renegotiation), and RequestClientCert works on them: ServeTLSConns wraps hs.Handler and hs.ConnContext for that,
// the first time it is given hs (it may be called with the same hs for
// several listeners). HTTP/2 requests go to s.Handler, or hs's Handler
// when that is nil. ServeTLSConns returns ErrServerClosed after
// s.Shutdown or s.Close; stop hs with its own Shutdown or Close.
func (s *Server) ServeTLSConns(l net.Listener, hs *http.Server) error {
	if hs == nil {
		hs = new(http.Server)
	}
	h2handler := configureTLSConns(hs, s)
	return s.serveWithH1(l, hs, func(_ net.Listener, h1 *chanListener, timeout time.Duration) func(net.Conn) {
		return func(c net.Conn) {
			tc, ok := c.(TLSConn)
			if !ok {
				s.logger().Warn("h2server: ServeTLSConns: the listener gave a connection that is not TLS", "remote", c.RemoteAddr())
				c.Close()
				return
			}
			if !s.handshakeTimeout(tc, timeout) {
				return
			}
			if tc.ConnectionState().NegotiatedProtocol == NextProtoTLS {
				s.ServeConn(c, &ServeConnOpts{BaseConfig: hs, Handler: h2handler})
				return
			}
			select {
			case h1.ch <- c:
			case <-h1.done:
				c.Close()
			}
		}
	})
}

// tlsConnsMu guards the check-and-wrap of configureTLSConns: several
// ServeTLSConns may start at once with the same http.Server.
var tlsConnsMu sync.Mutex

// configureTLSConns wraps hs.Handler (h1TLSHandler) and hs.ConnContext
// once, and returns the handler of HTTP/2 requests.
func configureTLSConns(hs *http.Server, s *Server) http.Handler {
	tlsConnsMu.Lock()
	defer tlsConnsMu.Unlock()
	h, wrapped := hs.Handler.(*h1TLSHandler)
	if !wrapped {
		h = &h1TLSHandler{h: hs.Handler, srv: s}
		hs.Handler = h
		prev := hs.ConnContext
		hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			if prev != nil {
				ctx = prev(ctx, c)
			}
			if tc, ok := c.(TLSConn); ok {
				st := tc.ConnectionState()
				ctx = context.WithValue(ctx, connTLSKey{}, newConnTLS(tc, &st, false, h.srv))
			}
			return ctx
		}
	}
	if s.Handler != nil {
		return s.Handler
	}
	if h.h != nil {
		return h.h
	}
	return http.DefaultServeMux
}

// h1TLSHandler is hs.Handler under ServeTLSConns: it sets the
// http.Request.TLS of HTTP/1.1 requests to their connection's current
// state.
type h1TLSHandler struct {
	h   http.Handler // nil: http.DefaultServeMux
	srv *Server
}

func (h *h1TLSHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ct, ok := r.Context().Value(connTLSKey{}).(*connTLS); ok {
		r.TLS = ct.state.Load() // the current state, after a renegotiation too
	}
	hh := h.h
	if hh == nil {
		hh = http.DefaultServeMux
	}
	hh.ServeHTTP(w, r)
}

// handshakeTimeout completes a TLS handshake, bounded by timeout when
// positive.
func (s *Server) handshakeTimeout(tc TLSConn, timeout time.Duration) bool {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		s.logger().Debug("h2server: TLS handshake failed", "remote", tc.RemoteAddr(), "err", err)
		tc.Close()
		return false
	}
	return true
}
