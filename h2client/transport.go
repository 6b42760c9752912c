// Package h2client is an http.RoundTripper that speaks HTTP/2 (RFC 9113)
// with the h2kit engine:
//
//	client := &http.Client{Transport: &h2client.Transport{}}
//	resp, err := client.Get("https://example.org/")
//
// Connections start the three ways of RFC 7540, Section 3:
//
//   - https URLs: TLS with ALPN "h2" (the server name is always set for
//     SNI and verification); a server that does not select "h2" gets
//     HTTP/1.1 through the standard library's http.Transport instead,
//     unless DisableHTTP1 is set;
//   - http URLs with AllowHTTP: cleartext HTTP/2 by prior knowledge (h2c);
//   - http URLs with UpgradeH2C: the first request is sent as HTTP/1.1
//     with "Upgrade: h2c" and answered over HTTP/2 if the server switches;
//     a server that ignores the Upgrade answers it over HTTP/1.1, and the
//     origin is then served over HTTP/1.1.
//
// Other http URLs are served over HTTP/1.1 by the standard library.
//
// Requests to one origin share a connection up to the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, then wait or open another connection
// (StrictMaxConcurrentStreams, MaxConnsPerHost). Requests the server never
// processed (REFUSED_STREAM, above a GOAWAY's last stream id, or sent on a
// connection that was no longer usable) are retried on another connection
// when their body can be sent again. A request the server resets with
// HTTP_1_1_REQUIRED (RFC 9113, Section 7; a server that must renegotiate
// TLS for it, Section 9.2.1) is sent again over HTTP/1.1, alone, when its
// body can be sent again, unless DisableHTTP1 is set; TLS renegotiation
// there follows TLSClientConfig.Renegotiation (AllowRenegotiation allows
// one).
//
// Each connection is driven by one goroutine that owns the engine
// (internal/connloop). A request goroutine hands it the request and, for
// a body, a writer goroutine feeds it under flow control; the response
// body is read from a per-stream buffer whose window reopens only as the
// caller reads it.
//
// # Extended CONNECT and WebSockets over HTTP/2
//
// A request with Method "CONNECT" and the ":protocol" header set (the
// place h2server shows it to handlers) is an extended CONNECT (RFC 8441),
// the way WebSockets run over HTTP/2:
//
//	pr, pw := io.Pipe()
//	req, _ := http.NewRequestWithContext(ctx, "CONNECT", "https://example.org/chat", pr)
//	req.Header.Set(":protocol", "websocket")
//	req.Header.Set("Sec-WebSocket-Version", "13")
//	resp, err := transport.RoundTrip(req)
//
// :scheme, :path and :authority come from the URL (and req.Host). On a new
// connection the request waits for the server's SETTINGS (bounded by
// SettingsTimeout and the request's context); a server that did not send
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, or an origin served over
// HTTP/1.1, fails it with an error wrapping ErrExtendedConnectDisabled;
// so does an http URL without AllowHTTP (an h2c Upgrade starts with an
// HTTP/1.1 request, which cannot carry :protocol).
// RoundTrip returns when the response's header section arrives, without
// waiting for the request body: the stream is then full duplex, what is
// written to pw is sent while resp.Body is read, both under flow
// control. Closing pw ends the client's side (END_STREAM, the orderly
// close of RFC 8441, Section 5); closing resp.Body before the server ended
// its side, or cancelling the context, resets the stream with CANCEL.
package h2client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

var _ http.RoundTripper = (*Transport)(nil)

// Transport is an HTTP/2 http.RoundTripper with a connection pool per
// origin. The zero value is usable. A Transport must not be copied after
// first use, and its fields must not change once it is in use.
type Transport struct {
	// TLSClientConfig is the TLS configuration of https connections; it
	// is cloned per connection, ServerName defaults to the URL's host and
	// NextProtos is set to "h2" (and "http/1.1" unless DisableHTTP1).
	TLSClientConfig *tls.Config
	// DialContext, if set, opens the TCP connections (for TLS too, unless
	// DialTLSContext is set). Default: a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTLSContext, if set, opens TLS connections; cfg is the prepared
	// per-connection configuration (ALPN "h2"), and the returned
	// connection should be a *tls.Conn whose handshake is done.
	DialTLSContext func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error)

	// AllowHTTP makes http URLs use cleartext HTTP/2 with prior knowledge
	// (h2c, RFC 9113, Section 3.3).
	AllowHTTP bool
	// UpgradeH2C makes http URLs start with an HTTP/1.1 "Upgrade: h2c"
	// request (RFC 7540, Section 3.2). AllowHTTP takes precedence.
	UpgradeH2C bool
	// DisableHTTP1 makes a TLS server that does not select "h2" an error
	// instead of a fallback to HTTP/1.1 (and http URLs without AllowHTTP
	// or UpgradeH2C an error too).
	DisableHTTP1 bool

	// StrictMaxConcurrentStreams makes requests wait for a free stream on
	// an existing connection when every connection to the origin is at
	// the server's SETTINGS_MAX_CONCURRENT_STREAMS, instead of opening
	// another connection.
	StrictMaxConcurrentStreams bool
	// MaxConnsPerHost bounds the connections per origin (0: no limit);
	// requests beyond it wait for a free stream.
	MaxConnsPerHost int
	// IdleConnTimeout closes (GOAWAY) a connection that had no request
	// for this long. Zero: connections stay until CloseIdleConnections.
	IdleConnTimeout time.Duration
	// ReadIdleTimeout, if positive, sends a PING after this much silence
	// from the server; without an answer within PingTimeout the connection
	// is closed as dead and later requests use a new one.
	ReadIdleTimeout time.Duration
	// PingTimeout: see ReadIdleTimeout. Default 15s.
	PingTimeout time.Duration
	// SettingsTimeout bounds how long a new connection waits for the
	// server's connection preface (its SETTINGS frame) and for the
	// acknowledgement of ours. A server silent that long has the
	// connection closed and its requests failed with an error that wraps
	// ErrServerSilent. Default 10s; negative: no limit.
	SettingsTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake of a new connection
	// (when DialTLSContext is not set); a server that does not finish it
	// in time fails the requests with an error that wraps
	// ErrServerSilent. Default 10s; negative: no limit other than the
	// 30 s bound of the whole connection attempt.
	TLSHandshakeTimeout time.Duration
	// WriteByteTimeout, if positive, bounds each write to the socket.
	WriteByteTimeout time.Duration
	// ExpectContinueTimeout is how long a request with "Expect:
	// 100-continue" waits for a 100 (Continue) response before sending its
	// body anyway. Default 1s.
	ExpectContinueTimeout time.Duration

	// InitialWindowSize is each stream's receive window
	// (SETTINGS_INITIAL_WINDOW_SIZE, like nghttp -w): the most response
	// bytes buffered per stream before the caller reads them (until
	// AutoWindow grows it, up to MaxAutoWindow). Default 256 KiB.
	InitialWindowSize uint32
	// ConnectionWindow is the connection's receive window (like nghttp -W).
	// Default 1 GiB, as Go's own client: no stream buffers more than its
	// own window (InitialWindowSize, grown by AutoWindow), so a large
	// connection window costs nothing, and a smaller one than the stream
	// windows of the responses left unread would make a caller that reads
	// its responses in its own order wait forever.
	ConnectionWindow uint32
	// DisableAutoWindow turns off the growth of both receive windows from
	// the measured bandwidth-delay product (engine Config.AutoWindow).
	DisableAutoWindow bool
	// MaxAutoWindow caps that growth. Default 16 MiB.
	MaxAutoWindow uint32
	// MaxHeaderListSize is SETTINGS_MAX_HEADER_LIST_SIZE: larger response
	// header sections fail the request. Default 64 KiB.
	MaxHeaderListSize uint32
	// HeaderTableSize is SETTINGS_HEADER_TABLE_SIZE. Default 4096.
	HeaderTableSize uint32
	// MaxFrameSize is SETTINGS_MAX_FRAME_SIZE. Default 16384.
	MaxFrameSize uint32
	// MaxConcurrentPushes is SETTINGS_MAX_CONCURRENT_STREAMS, which bounds
	// pushed streams (only meaningful with PushHandler). Default 100.
	MaxConcurrentPushes uint32
	// Limits bound what a server may make the client do; zero fields get
	// the engine's defaults.
	Limits h2kit.Limits

	// PushHandler, if set, accepts server push (RFC 9113, Section 8.4):
	// it is called, on a goroutine of its own, with each promised request
	// and its response; it must read and close resp.Body (closing it
	// unread cancels the push). When nil, push is disabled
	// (SETTINGS_ENABLE_PUSH = 0).
	PushHandler func(req *http.Request, resp *http.Response)
	// AcceptPush, if set, decides for each promise (before its response
	// arrives) whether to take it: false refuses it with RST_STREAM
	// CANCEL. It runs on the connection's goroutine and must not block.
	AcceptPush func(req *http.Request) bool

	// AllowRenegotiation enables the client side of MS-HTTP2E (Microsoft's
	// HTTP/2 TLS renegotiation extension): when TLSClientConfig has a
	// client certificate and TLS 1.2 is negotiated, the client advertises
	// TLS_RENEG_PERMITTED = 0x2 and accepts one server-initiated
	// renegotiation once the server permitted it too, presenting the
	// certificate; the response continues on the same stream. Otherwise
	// (TLS 1.3, no certificate, no permission) a renegotiation ends the
	// connection as a PROTOCOL_ERROR.
	AllowRenegotiation bool

	// PriorityAnchors are idle streams sent as PRIORITY frames at the
	// start of every new connection, for requests to depend on with
	// WithStreamPriority (RFC 7540 priorities, deprecated by RFC 9113,
	// Section 5.3.2: see Anchor).
	PriorityAnchors []Anchor

	// NewTracer, if set, returns a frame tracer for each new connection.
	NewTracer func(net.Conn) h2kit.Tracer
	// ConnEvent, if set, sees the connection-level events of every
	// connection (*h2kit.SettingsReceived, *h2kit.SettingsAcked,
	// *h2kit.PingAcked, *h2kit.GoAwayReceived,
	// *h2kit.ConnectionTerminated), on the connection's goroutine: it must
	// not block, and the event is valid only during the call. The Err of
	// ConnectionTerminated is the error the connection's requests get
	// (one wrapping ErrServerSilent for a server that stopped answering,
	// say), which wraps the engine's.
	ConnEvent func(nc net.Conn, ev h2kit.Event)

	poolOnce sync.Once
	pool     *pool
	h1Once   sync.Once
	h1       *http.Transport
}

// Errors of the transport.
var (
	// ErrNoHTTP2 is returned with DisableHTTP1 when the server does not
	// speak HTTP/2.
	ErrNoHTTP2 = errors.New("h2client: server does not support HTTP/2")
	// ErrServerSilent is wrapped by the errors of requests whose server
	// stopped answering: no TLS handshake within TLSHandshakeTimeout, no
	// SETTINGS within SettingsTimeout, no PING acknowledgement within
	// PingTimeout (with ReadIdleTimeout). Those errors are also net.Error
	// timeouts.
	ErrServerSilent = errors.New("h2client: server stopped answering")
	// errConnClosed: the connection ended before the stream did.
	errConnClosed = errors.New("h2client: connection closed")
	// errNotSent: the request never left this client (the connection
	// became unusable first); it is retried.
	errNotSent = errors.New("h2client: connection unusable before the request was sent")
	// errBodyClosed is returned by reads after Close.
	errBodyClosed = errors.New("http: read on closed response body")
)

// routes.
const (
	routeH2 = iota
	routeH1
	routeUpgrade
)

func (t *Transport) getPool() *pool {
	t.poolOnce.Do(func() { t.pool = newPool(t) })
	return t.pool
}

// RoundTrip sends req over HTTP/2 (or HTTP/1.1 as described in the
// package documentation) and returns the response once its header
// section has arrived; the body streams as it is read.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("h2client: nil Request.URL")
	}
	if req.Header == nil {
		closeBody(req)
		return nil, errors.New("h2client: nil Request.Header")
	}
	if !validMethod(req.Method) {
		closeBody(req)
		return nil, errors.New("h2client: invalid method " + strconv.Quote(req.Method))
	}
	extConnect := isExtendedConnect(req)
	var mode int
	switch req.URL.Scheme {
	case "https":
		mode = modeTLS
	case "http":
		switch {
		case t.AllowHTTP:
			mode = modePrior
		case extConnect:
			// Neither HTTP/1.1 nor an h2c Upgrade (whose first request
			// is sent over HTTP/1.1) can carry :protocol.
			closeBody(req)
			return nil, extendedConnectOverH1(req.URL.Scheme + "://" + req.URL.Host)
		case t.UpgradeH2C:
			mode = modeUpgrade
		case t.DisableHTTP1:
			closeBody(req)
			return nil, ErrNoHTTP2
		default:
			return t.h1Transport().RoundTrip(req)
		}
	default:
		closeBody(req)
		return nil, errors.New("h2client: unsupported protocol scheme " + req.URL.Scheme)
	}
	if req.URL.Host == "" {
		closeBody(req)
		return nil, errors.New("h2client: no Host in request URL")
	}
	addr := canonicalAddr(req.URL)
	key := originKey{req.URL.Scheme, addr}
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	p := t.getPool()

	attempt := 0
	for {
		if trace != nil && trace.GetConn != nil {
			trace.GetConn(addr)
		}
		cc, route, err := p.get(ctx, key, addr, mode)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		switch route {
		case routeH1:
			if extConnect {
				closeBody(req)
				return nil, extendedConnectOverH1(key.String())
			}
			return t.h1Transport().RoundTrip(req)
		case routeUpgrade:
			return t.upgrade(ctx, req, key, addr)
		}
		if trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: cc.nc, Reused: cc.used.Swap(true)})
		}
		// The stream is sent and waited for here (clientStream.wait's
		// loop) rather than in functions of their own: a request
		// goroutine parked here has two frames fewer on its stack, which
		// the GC scans in every cycle.
		st := newStream(cc, req, trace)
		hasBody := st.body != nil
		cc.queueNew(st)
		if hasBody {
			go st.writeBody()
		}
		for st.waiting() {
			<-st.in.Signal()
		}
		resp, err := st.result()
		if err == nil {
			return resp, nil
		}
		if he := (*http11RequiredError)(nil); errors.As(err, &he) {
			return t.retryHTTP11(req, he, extConnect)
		}
		var re *retryError
		if !errors.As(err, &re) {
			return nil, err
		}
		attempt++
		if attempt >= maxAttempts || (re.guess && attempt > 1) {
			if !re.bodyRead {
				closeBody(req) // else the body writer closed it
			}
			return nil, re.err
		}
		if req, err = rewind(req, re.bodyRead); err != nil {
			return nil, re.err
		}
		if attempt > 1 {
			// A server that keeps refusing: back off a little.
			tm := time.NewTimer(time.Duration(attempt) * 10 * time.Millisecond)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				closeBody(req)
				return nil, ctx.Err()
			}
		}
	}
}

// maxAttempts bounds the tries of one request.
const maxAttempts = 6

// retryError wraps the error of a request that can be sent again: the
// server never processed it (or, with guess, probably did not: the
// connection died silently and the request is idempotent).
type retryError struct {
	err      error
	bodyRead bool // the body was read (at least partly): needs GetBody
	guess    bool
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// http11RequiredError is the error of a request the server reset with
// HTTP_1_1_REQUIRED before answering it.
type http11RequiredError struct {
	err      error
	bodyRead bool // the body was read (at least partly): needs GetBody
}

func (e *http11RequiredError) Error() string { return e.err.Error() }
func (e *http11RequiredError) Unwrap() error { return e.err }

// retryHTTP11 sends req again over HTTP/1.1, on a connection of its own,
// after the server reset it with HTTP_1_1_REQUIRED (RFC 9113, Section 7:
// "the endpoint requires that HTTP/1.1 be used instead of HTTP/2"), as
// curl and browsers do: a server asks for it when it must renegotiate TLS
// for the request (a client certificate, MS-HTTP2E), which HTTP/2
// forbids (Section 9.2.1). Only this request goes over HTTP/1.1; the
// origin's other requests stay on HTTP/2. Not with DisableHTTP1, nor for
// an extended CONNECT, nor for a body that was sent and has no GetBody:
// the reset's error is returned then.
func (t *Transport) retryHTTP11(req *http.Request, he *http11RequiredError, extConnect bool) (*http.Response, error) {
	if t.DisableHTTP1 || extConnect {
		if !he.bodyRead {
			closeBody(req)
		}
		return nil, he.err
	}
	r2, err := rewind(req, he.bodyRead)
	if err != nil {
		return nil, fmt.Errorf("%w (not sent again over HTTP/1.1: %v)", he.err, err)
	}
	return t.h1Transport().RoundTrip(r2)
}

// rewind returns the request to send again: the same one when its body
// was never read, else one with a fresh body from GetBody.
func rewind(req *http.Request, bodyRead bool) (*http.Request, error) {
	if !bodyRead || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("h2client: body cannot be rewound")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r2 := *req
	r2.Body = body
	return &r2, nil
}

// closeBody closes a request body the transport will not send (the
// RoundTripper contract: the body is always closed).
func closeBody(req *http.Request) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body.Close()
	}
}

// CloseIdleConnections closes the connections that carry no request
// (GOAWAY, then close), and the HTTP/1.1 fallback's idle connections.
// Connections not yet established are ended too, with the requests
// waiting for them: those still dialing or in their TLS handshake, and
// those whose server has not sent its SETTINGS yet (a server that never
// answers would otherwise hold them until SettingsTimeout).
func (t *Transport) CloseIdleConnections() {
	t.getPool().closeIdle()
	if t.h1 != nil {
		t.h1.CloseIdleConnections()
	}
}

// engineConfig is the engine configuration of a new connection.
func (t *Transport) engineConfig(nc net.Conn) h2kit.Config {
	cfg := h2kit.Config{
		Role: h2kit.Client,
		Settings: h2kit.Settings{
			HeaderTableSize:      t.HeaderTableSize,
			DisablePush:          t.PushHandler == nil,
			MaxConcurrentStreams: t.MaxConcurrentPushes,
			InitialWindowSize:    t.InitialWindowSize,
			MaxFrameSize:         t.MaxFrameSize,
			MaxHeaderListSize:    t.MaxHeaderListSize,
		},
		Limits:           t.Limits,
		ConnectionWindow: t.ConnectionWindow,
		AutoWindow:       !t.DisableAutoWindow,
		MaxAutoWindow:    t.MaxAutoWindow,
		KeepAlive:        t.ReadIdleTimeout,
		PingTimeout:      t.PingTimeout,
		SettingsTimeout:  t.SettingsTimeout,
	}
	if cfg.Settings.InitialWindowSize == 0 {
		cfg.Settings.InitialWindowSize = 256 << 10
	}
	if cfg.ConnectionWindow == 0 {
		cfg.ConnectionWindow = defaultConnectionWindow
	}
	if t.NewTracer != nil {
		cfg.Tracer = t.NewTracer(nc)
	}
	return cfg
}

// defaultConnectionWindow is ConnectionWindow's default.
const defaultConnectionWindow = 1 << 30

// settingsTimeout is SettingsTimeout with its default (the engine's).
func (t *Transport) settingsTimeout() time.Duration {
	if t.SettingsTimeout == 0 {
		return 10 * time.Second
	}
	return t.SettingsTimeout
}

// pingTimeout is PingTimeout with its default (the engine's).
func (t *Transport) pingTimeout() time.Duration {
	if t.PingTimeout <= 0 {
		return 15 * time.Second
	}
	return t.PingTimeout
}

// tlsHandshakeTimeout is TLSHandshakeTimeout with its default; 0: none.
func (t *Transport) tlsHandshakeTimeout() time.Duration {
	switch {
	case t.TLSHandshakeTimeout == 0:
		return 10 * time.Second
	case t.TLSHandshakeTimeout < 0:
		return 0
	}
	return t.TLSHandshakeTimeout
}

// silentError is the error of requests whose server stopped answering
// (ErrServerSilent): what it failed to do in time, and the error that
// ended the connection, if any (an engine *h2kit.ConnError).
type silentError struct {
	addr  string
	what  string // "no SETTINGS within 10s"
	cause error
}

func (e *silentError) Error() string {
	return "h2client: server at " + e.addr + " stopped answering: " + e.what
}

// Unwrap returns ErrServerSilent and the cause.
func (e *silentError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrServerSilent}
	}
	return []error{ErrServerSilent, e.cause}
}

// Timeout reports true: the server did not answer in time (net.Error).
func (e *silentError) Timeout() bool { return true }

// Temporary reports false (net.Error).
func (e *silentError) Temporary() bool { return false }

// closedError is the error of requests whose connection
// CloseIdleConnections ended before the server's SETTINGS arrived.
type closedError struct {
	addr  string
	cause error // what ended the connection, or the dial's error
}

func (e *closedError) Error() string {
	return "h2client: connection to " + e.addr + " closed by CloseIdleConnections before the server answered"
}

func (e *closedError) Unwrap() error { return e.cause }

func (t *Transport) expectContinueTimeout() time.Duration {
	if t.ExpectContinueTimeout > 0 {
		return t.ExpectContinueTimeout
	}
	return time.Second
}

// validMethod reports whether m is a token (RFC 9110, Section 9.1); ""
// means GET.
func validMethod(m string) bool {
	if m == http.MethodGet {
		return true // the usual one, without the loop
	}
	for i := 0; i < len(m); i++ {
		if !httpsyntax.IsTokenByte(m[i]) {
			return false
		}
	}
	return true
}

// hasPort reports whether a URL's host ends in a port, ':' and one or
// more digits, as url.URL.Port sees it (the last ':' of "[::1]" is
// followed by "1]": no port), without its search for the last ':' and
// its splitting.
func hasPort(host string) bool {
	i := len(host) - 1
	for i >= 0 && '0' <= host[i] && host[i] <= '9' {
		i--
	}
	return i >= 0 && i < len(host)-1 && host[i] == ':'
}

// originKey names an origin in the pool.
type originKey struct {
	scheme string // "https" or "http"
	addr   string // host:port
}

func (k originKey) String() string { return k.scheme + "://" + k.addr }

// canonicalAddr returns host:port of u, with the scheme's default port.
func canonicalAddr(u *url.URL) string {
	if hasPort(u.Host) {
		return u.Host // already host:port (brackets kept around IPv6)
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
