// Package h2server serves any http.Handler over HTTP/2 (RFC 9113) with the
// h2kit engine.
//
// The three ways to start HTTP/2 of RFC 7540, Section 3 are covered:
//
//   - TLS with ALPN "h2": ConfigureServer adds HTTP/2 to an *http.Server
//     (which keeps serving HTTP/1.1 to clients that offer only
//     "http/1.1"), or Serve accepts on a TLS listener;
//   - cleartext with prior knowledge (h2c): ServeH2C sniffs the connection
//     preface on a port that also serves HTTP/1.1, and Serve takes plain
//     connections as HTTP/2 directly;
//   - cleartext Upgrade ("Upgrade: h2c"): ServeH2C, or the handler H2C
//     returns, answers 101 Switching Protocols and serves the request
//     on stream 1.
//
// Each connection is driven by one goroutine that owns the engine
// (internal/connloop); each request runs its handler in its own
// goroutine, with net/http semantics: streaming bodies with flow control,
// trailers, 1xx responses, push, http.ResponseController.
//
// A pushed response is sent after the head of the response that promised
// it (its header section and first 16 KiB of body, or what its handler
// wrote before calling Flush), or once that stream is over, whichever
// handler is done first.
//
// A handler may answer without reading the whole request body: the rest
// is then read and discarded, up to 256 KiB and for up to a second, after
// which (or at once, when the declared content-length says more is left)
// RST_STREAM NO_ERROR asks the client to stop sending (RFC 9113,
// Section 8.1).
//
// # What is taken from the http.Server
//
// With ConfigureServer, ServeH2C or ServeConnOpts.BaseConfig, the
// http.Server's Handler, IdleTimeout, ReadTimeout, ReadHeaderTimeout and
// WriteTimeout apply when the Server's own are zero; its ConnState,
// BaseContext and ConnContext are called for HTTP/2 connections as
// net/http calls them for its own: StateNew, StateActive and StateIdle as
// streams open and close, StateClosed (net/http itself reports StateNew
// and StateClosed of the TLS connections it hands over; h2server those
// of the HTTP/2 connections ServeH2C accepts, and StateClosed of one
// taken over by an h2c Upgrade, which net/http reported StateHijacked).
// A request whose header list exceeds
// MaxHeaderListSize gets 431 Request Header Fields Too Large, as
// net/http answers one over HTTP/1.1.
//
// # Extended CONNECT and WebSockets over HTTP/2
//
// With Server.EnableConnectProtocol the server advertises RFC 8441's
// SETTINGS_ENABLE_CONNECT_PROTOCOL, and clients (browsers among them)
// open WebSockets as streams of the HTTP/2 connection. The handler of
// such a request sees:
//
//   - r.Method == "CONNECT" and r.Proto == "HTTP/2.0";
//   - the protocol in r.Header.Get(":protocol") ("websocket"): this
//     pseudo-header entry is the one place it is given, as in the proposal
//     for Go's own server (golang/go#53208); a plain CONNECT (RFC 9113,
//     Section 8.5) has none;
//   - r.URL.Path and r.URL.RawQuery from :path, r.Host from :authority,
//     and the other header fields (sec-websocket-version, origin, ...) in
//     r.Header.
//
// The stream is then full duplex for as long as the handler wants: it
// answers with WriteHeader(200) and Flush (http.Flusher or
// http.ResponseController), which sends the HEADERS at once, without
// END_STREAM and without Content-Length; it then reads r.Body while it
// writes to w and flushes, in the same or in different goroutines. No
// Hijack is needed (nor possible). The stream ends as RFC 8441, Section 5
// maps a TCP connection's end:
//
//   - the client's END_STREAM (its orderly close) is io.EOF from r.Body;
//     its RST_STREAM (CANCEL, the abortive close) fails Read and Write and
//     cancels r.Context();
//   - the handler's return is the server's orderly close: END_STREAM
//     after what it wrote. If the client has not ended its side by then,
//     the rest it sends is read and discarded as for any request body
//     (above): up to 256 KiB or a second, then RST_STREAM NO_ERROR
//     (RFC 9113, Section 8.1);
//   - r.Body.Close stops reading only (later bytes are discarded, their
//     window given back); the handler may go on writing;
//   - a handler that panics, or whose request context is cancelled by
//     the server closing, resets the stream (INTERNAL_ERROR, CANCEL).
//
// A request with :protocol is reset with PROTOCOL_ERROR when the setting
// is off, as is one with :protocol on another method, or an extended
// CONNECT without :scheme, :path or :authority (RFC 8441, Section 4;
// RFC 9113, Section 8.1.1); the handler never sees those.
package h2server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// Server holds the HTTP/2 configuration. The zero value serves
// http.DefaultServeMux with safe defaults. A Server must not be copied
// after first use.
type Server struct {
	// Handler answers requests; nil means http.DefaultServeMux. With
	// ConfigureServer, the http.Server's Handler is used instead.
	Handler http.Handler

	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS: requests
	// in flight per connection. Default 250. It also bounds the handlers
	// running per connection: a stream reset while its handler runs on
	// leaves the protocol's count at once, so later requests wait for
	// such handlers to return (rapid reset, CVE-2023-44487).
	MaxConcurrentStreams uint32
	// MaxHeaderListSize is SETTINGS_MAX_HEADER_LIST_SIZE. Default 64 KiB.
	// A request whose header list is larger is answered 431 Request
	// Header Fields Too Large (RFC 6585, Section 5) without reaching the
	// handler; the connection goes on. Such requests count against
	// Limits.LocalResets.
	MaxHeaderListSize uint32
	// HeaderTableSize is SETTINGS_HEADER_TABLE_SIZE, the HPACK dynamic
	// table the client may use. Default 4096.
	HeaderTableSize uint32
	// MaxFrameSize is SETTINGS_MAX_FRAME_SIZE. Default 16384.
	MaxFrameSize uint32
	// InitialWindowSize is each stream's receive window
	// (SETTINGS_INITIAL_WINDOW_SIZE), which is also the most request body
	// bytes buffered per stream before the handler reads them.
	// Default 1 MiB.
	InitialWindowSize uint32
	// ConnectionWindow is the connection's receive window. Default 1 MiB.
	ConnectionWindow uint32
	// EnableConnectProtocol advertises SETTINGS_ENABLE_CONNECT_PROTOCOL
	// (RFC 8441): clients may then send extended CONNECT requests, which
	// is how WebSockets run over HTTP/2 (see the package documentation).
	// Off by default: browsers take the setting as a promise that
	// WebSockets work on this connection, and open theirs there instead
	// of a new HTTP/1.1 connection; a server whose handlers do not answer
	// extended CONNECT would break every WebSocket of its pages.
	EnableConnectProtocol bool

	// Limits bound what a client may make the server do (flood and reset
	// limits, CONTINUATION count, ...). Zero fields get the engine's defaults.
	Limits h2kit.Limits

	// IdleTimeout closes (gracefully) a connection without a stream for
	// this long. Zero: the http.Server's IdleTimeout when there is one
	// (ConfigureServer, ServeH2C, ServeConnOpts.BaseConfig), else
	// ReadTimeout (as net/http), else none. The same fallback to the
	// http.Server applies to ReadTimeout, ReadHeaderTimeout and
	// WriteTimeout.
	IdleTimeout time.Duration
	// ReadTimeout bounds reading a request's body, counted from the
	// request's arrival: past it, reads of r.Body fail with an error
	// wrapping os.ErrDeadlineExceeded (as net/http's HTTP/2 applies
	// http.Server.ReadTimeout; ResponseController.SetReadDeadline moves
	// it). With IdleTimeout zero it is also the idle timeout, as in
	// net/http. Zero: the http.Server's ReadTimeout, else none.
	ReadTimeout time.Duration
	// ReadHeaderTimeout closes a connection whose first request's headers
	// did not arrive this long after it was accepted. Zero: none.
	ReadHeaderTimeout time.Duration
	// WriteTimeout bounds writing a response, counted from the request's
	// arrival: past it the handler's writes fail and the stream is reset.
	// It also bounds each socket write. Zero: none.
	WriteTimeout time.Duration
	// KeepAlive, if positive, sends a PING after this much silence from
	// the client; no answer within PingTimeout closes the connection.
	KeepAlive time.Duration
	// PingTimeout: see KeepAlive. Default 15s.
	PingTimeout time.Duration
	// ShutdownTimeout bounds the wait for the PING that separates the two
	// GOAWAYs of a graceful shutdown. Default 1s.
	ShutdownTimeout time.Duration

	// PermitProhibitedCipherSuites allows TLS 1.2 cipher suites that
	// RFC 9113, Section 9.2.2 prohibits; by default such a connection gets
	// GOAWAY INADEQUATE_SECURITY.
	PermitProhibitedCipherSuites bool
	// MaxUpgradeBodySize bounds the body of an h2c Upgrade request, read
	// in full before switching. A larger request is served over HTTP/1.1
	// without upgrading. Default 64 KiB.
	MaxUpgradeBodySize int64

	// NewTracer, if set, returns a frame tracer for each new connection.
	NewTracer func(net.Conn) h2kit.Tracer
	// Logger receives handler panics and connection errors. Default
	// slog.Default().
	Logger *slog.Logger

	drainTimeout time.Duration // tests: drainTimeout when set
	// Tests: reqCacheIdle when set, and the RequestCaches connections
	// dropped for idleness.
	reqCacheIdle  time.Duration
	reqCacheDrops atomic.Int64

	mu        sync.Mutex
	conns     map[*serverConn]struct{}
	listeners map[*net.Listener]struct{}
	connsDone chan struct{} // closed and replaced when conns empties
	shutting  atomic.Bool
}

// ServeConnOpts are the optional arguments of ServeConn.
type ServeConnOpts struct {
	// Context is the base of every request's context. Default
	// context.Background().
	Context context.Context
	// BaseConfig is the http.Server the connection came from, if any:
	// its Handler is used when Handler is nil, and it is passed to
	// requests in their context (http.ServerContextKey).
	BaseConfig *http.Server
	// Handler answers the requests; default the Server's Handler.
	Handler http.Handler
	// Prefix holds bytes already read from the connection.
	Prefix []byte

	// reportNew, reportClosed: the http.Server's ConnState gets
	// StateNew, StateClosed from h2server (connstate.go).
	reportNew, reportClosed bool
}

// ErrServerClosed is returned by Serve and ServeH2C after Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// engineConfig returns the engine configuration of a new connection.
func (s *Server) engineConfig(nc net.Conn) h2kit.Config {
	cfg := h2kit.Config{
		Role: h2kit.Server,
		Settings: h2kit.Settings{
			HeaderTableSize:      s.HeaderTableSize,
			MaxConcurrentStreams: s.MaxConcurrentStreams,
			InitialWindowSize:    s.InitialWindowSize,
			MaxFrameSize:         s.MaxFrameSize,
			MaxHeaderListSize:    s.MaxHeaderListSize,

			EnableConnectProtocol: s.EnableConnectProtocol,
		},
		Limits:           s.Limits,
		ConnectionWindow: s.ConnectionWindow,
		IdleTimeout:      s.IdleTimeout,
		KeepAlive:        s.KeepAlive,
		PingTimeout:      s.PingTimeout,
		ShutdownTimeout:  s.ShutdownTimeout,
	}
	if cfg.Settings.MaxConcurrentStreams == 0 {
		cfg.Settings.MaxConcurrentStreams = 250
	}
	if cfg.Settings.InitialWindowSize == 0 {
		cfg.Settings.InitialWindowSize = 1 << 20
	}
	if cfg.Limits.MaxStreamSendBuffer == 0 {
		// The engine's buffer only stages bytes for the next batch
		// (the streams' queues hold the rest, within connBudget): one
		// frame at the default SETTINGS_MAX_FRAME_SIZE is enough.
		cfg.Limits.MaxStreamSendBuffer = engineSendBuffer
	}
	if s.NewTracer != nil {
		cfg.Tracer = s.NewTracer(nc)
	}
	return cfg
}

// ServeConn serves HTTP/2 on one connection that already speaks it: a
// *tls.Conn that negotiated "h2" (the handshake is done here if it was
// not), or a plain connection whose client has prior knowledge. It
// returns when the connection is over.
func (s *Server) ServeConn(c net.Conn, opts *ServeConnOpts) {
	if opts == nil {
		opts = &ServeConnOpts{}
	}
	sc := s.newConn(c, opts)
	if sc == nil {
		return
	}
	sc.run()
}

// Serve accepts connections on l and serves HTTP/2 on each: TLS
// connections must negotiate "h2" with ALPN (others are closed); plain
// ones are taken as h2c with prior knowledge. Use ConfigureServer or
// ServeH2C to serve HTTP/1.1 too. Serve always returns a non-nil error;
// after Shutdown or Close, ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	if !s.trackListener(&l, true) {
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	return s.acceptLoop(l, func(c net.Conn) {
		if tc, ok := c.(TLSConn); ok {
			if !s.handshake(tc) {
				return
			}
			if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
				s.logger().Debug("h2server: TLS client did not negotiate h2", "remote", c.RemoteAddr(), "alpn", p)
				c.Close()
				return
			}
		}
		s.ServeConn(c, nil)
	})
}

// acceptLoop accepts connections from l until it fails, handing each to
// serve on a goroutine of its own; temporary errors back off up to 1s.
// After Shutdown or Close it returns ErrServerClosed.
func (s *Server) acceptLoop(l net.Listener, serve func(net.Conn)) error {
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go serve(c)
	}
}

// handshake completes a TLS handshake, bounded by ReadHeaderTimeout.
func (s *Server) handshake(tc TLSConn) bool {
	return s.handshakeTimeout(tc, s.ReadHeaderTimeout)
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listeners == nil {
		s.listeners = make(map[*net.Listener]struct{})
	}
	if add {
		if s.shutting.Load() {
			return false
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) trackConn(sc *serverConn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[*serverConn]struct{})
	}
	if add {
		s.conns[sc] = struct{}{}
		return true
	}
	delete(s.conns, sc)
	if len(s.conns) == 0 && s.connsDone != nil {
		close(s.connsDone)
		s.connsDone = nil
	}
	return true
}

// Shutdown stops the server gracefully: listeners close, every connection
// gets the two-phase GOAWAY (RFC 9113, Section 6.8; new streams are
// refused), and Shutdown waits until the streams in flight are done and
// the connections closed, or ctx ends (then it returns ctx.Err() and the
// connections go on; call Close to end them).
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutting.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for sc := range s.conns {
		sc.loop.Shutdown()
	}
	var wait chan struct{}
	if len(s.conns) > 0 {
		if s.connsDone == nil {
			s.connsDone = make(chan struct{})
		}
		wait = s.connsDone
	}
	s.mu.Unlock()
	if wait == nil {
		return nil
	}
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends the server now: listeners close and every connection ends
// with GOAWAY; handlers see their requests' contexts cancelled.
func (s *Server) Close() error {
	s.shutting.Store(true)
	err := s.closeListeners()
	s.mu.Lock()
	for sc := range s.conns {
		sc.loop.Close(errServerClosing)
	}
	s.mu.Unlock()
	return err
}

// shutdownConns starts a graceful shutdown of every connection (for
// http.Server.RegisterOnShutdown).
func (s *Server) shutdownConns() {
	s.mu.Lock()
	for sc := range s.conns {
		sc.loop.Shutdown()
	}
	s.mu.Unlock()
}

var errServerClosing = errors.New("server closing")

func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for l := range s.listeners {
		if e := (*l).Close(); e != nil && err == nil {
			err = e
		}
		delete(s.listeners, l)
	}
	return err
}
