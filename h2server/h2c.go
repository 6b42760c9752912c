package h2server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
)

// ServeH2C accepts cleartext connections on l and serves, on the same
// port, HTTP/1.1 (with hs), h2c Upgrade requests (RFC 7540, Section 3.2)
// and h2c with prior knowledge (Section 3.4, RFC 9113 Section 3.3).
//
// It reads the first bytes of each connection: a connection that starts
// with "PRI " is taken as HTTP/2 (a preface that goes wrong after that
// gets GOAWAY PROTOCOL_ERROR from the engine, not an HTTP/1.1 error);
// anything else goes to hs, whose Handler ServeH2C wraps with H2C so
// that Upgrade requests switch. hs may be nil (an http.Server with no
// options). HTTP/2 requests go to s.Handler, or hs's Handler when that is
// nil. ServeH2C returns ErrServerClosed after s.Shutdown or s.Close; stop
// hs with its own Shutdown or Close.
func (s *Server) ServeH2C(l net.Listener, hs *http.Server) error {
	if hs == nil {
		hs = new(http.Server)
	}
	h2handler := s.Handler
	if h2handler == nil {
		h2handler = hs.Handler
	}
	if _, ok := hs.Handler.(*h2cHandler); !ok {
		hs.Handler = H2C(hs.Handler, s)
	}
	return s.serveWithH1(l, hs, func(l net.Listener, h1 *chanListener, timeout time.Duration) func(net.Conn) {
		base := listenerContext(hs, l)
		return func(c net.Conn) { s.sniff(c, timeout, h2handler, hs, h1, base) }
	})
}

// serveWithH1 accepts l's connections (tracked for Shutdown and Close)
// until l fails, with hs serving HTTP/1.1 on the connections handed to
// h1. start, given the tracked listener, h1 and the deadline for a
// connection's first bytes (ReadHeaderTimeout: the Server's, else hs's),
// returns what each accepted connection is given to.
func (s *Server) serveWithH1(l net.Listener, hs *http.Server, start func(l net.Listener, h1 *chanListener, timeout time.Duration) func(net.Conn)) error {
	if !s.trackListener(&l, true) {
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	h1 := &chanListener{addr: l.Addr(), ch: make(chan net.Conn), done: make(chan struct{})}
	defer h1.Close()
	go hs.Serve(h1)
	timeout := s.ReadHeaderTimeout
	if timeout <= 0 {
		timeout = hs.ReadHeaderTimeout
	}
	return s.acceptLoop(l, start(l, h1, timeout))
}

// sniff reads the first bytes of c and hands it to HTTP/2 or HTTP/1.1.
// HTTP/1.1 gets the connection only when its first line is an HTTP/1.x
// request line; "PRI " (the preface; no HTTP/1.1 method is PRI, RFC 9113,
// Section 3.4) and anything else go to the engine, which answers a bad
// preface with GOAWAY PROTOCOL_ERROR.
func (s *Server) sniff(c net.Conn, timeout time.Duration, h http.Handler, hs *http.Server, h1 *chanListener, base context.Context) {
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
	}
	buf := make([]byte, 4096)
	n := 0
	h2 := false
	for {
		k, err := c.Read(buf[n:])
		n += k
		if v, ok := sniffVerdict(buf[:n]); ok {
			h2 = v
			break
		}
		if err != nil {
			c.Close()
			return
		}
	}
	c.SetReadDeadline(time.Time{})
	if h2 {
		// An HTTP/2 connection of this listener's: the hooks net/http
		// would call for it (connstate.go).
		s.ServeConn(c, &ServeConnOpts{Handler: h, BaseConfig: hs, Prefix: buf[:n],
			Context: connContext(hs, base, c), reportNew: true, reportClosed: true})
		return
	}
	pc := &prefixConn{Conn: c, prefix: buf[:n]}
	select {
	case h1.ch <- pc:
	case <-h1.done:
		c.Close()
	}
}

// sniffVerdict decides from the first bytes of a cleartext connection:
// h2 true for HTTP/2, ok false while more bytes are needed.
func sniffVerdict(b []byte) (h2, ok bool) {
	const start = "PRI "
	if len(b) >= len(start) && string(b[:len(start)]) == start {
		return true, true
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) == cap(b) {
			return false, true // a long request line: HTTP/1.1 decides
		}
		return false, false
	}
	line := strings.TrimSuffix(string(b[:i]), "\r")
	return !strings.HasSuffix(line, " HTTP/1.1") && !strings.HasSuffix(line, " HTTP/1.0"), true
}

// prefixConn replays the sniffed bytes before reading the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

// Read returns the sniffed bytes first.
func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite half-closes the connection when it can be.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// chanListener is the net.Listener the HTTP/1.1 server accepts from.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

// Accept returns the next HTTP/1.1 connection.
func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept fail.
func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the real listener's address.
func (l *chanListener) Addr() net.Addr { return l.addr }

// H2C returns a handler for an HTTP/1.1 server that switches to HTTP/2
// for h2c Upgrade requests (RFC 7540, Section 3.2: 101 Switching
// Protocols, then the request is answered on stream 1) and for the
// "PRI * HTTP/2.0" request that net/http passes on when a client starts
// with the HTTP/2 preface. Other requests go to h. The HTTP/2 requests go
// to s.Handler, or h when it is nil; s nil means a zero Server.
//
// An Upgrade request's body is read in full first (up to
// s.MaxUpgradeBodySize; a larger one is served over HTTP/1.1 without
// switching, its body intact).
func H2C(h http.Handler, s *Server) http.Handler {
	if s == nil {
		s = new(Server)
	}
	if h == nil {
		h = http.DefaultServeMux
	}
	return &h2cHandler{h: h, s: s}
}

type h2cHandler struct {
	h http.Handler
	s *Server
}

func (hh *h2cHandler) h2Handler() http.Handler {
	if hh.s.Handler != nil {
		return hh.s.Handler
	}
	return hh.h
}

// ServeHTTP switches to HTTP/2 or passes the request on.
func (hh *h2cHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "PRI" && r.RequestURI == "*" && r.ProtoMajor == 2 && r.TLS == nil {
		hh.priorKnowledge(w, r)
		return
	}
	if settings, ok := upgradeRequest(r); ok {
		hh.upgrade(w, r, settings)
		return
	}
	hh.h.ServeHTTP(w, r)
}

// priorKnowledge takes over a connection net/http parsed "PRI * HTTP/2.0"
// on: what follows is the rest of the preface.
func (hh *h2cHandler) priorKnowledge(w http.ResponseWriter, r *http.Request) {
	c, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot switch to HTTP/2", http.StatusInternalServerError)
		return
	}
	prefix := []byte("PRI * HTTP/2.0\r\n\r\n")
	prefix = appendBuffered(prefix, rw.Reader)
	hh.s.ServeConn(c, &ServeConnOpts{Handler: hh.h2Handler(), BaseConfig: baseServer(r), Prefix: prefix,
		Context: context.WithoutCancel(r.Context()), reportClosed: true})
}

func appendBuffered(dst []byte, br *bufio.Reader) []byte {
	if n := br.Buffered(); n > 0 {
		p, _ := br.Peek(n)
		dst = append(dst, p...)
	}
	return dst
}

func baseServer(r *http.Request) *http.Server {
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	return hs
}

// upgradeRequest reports whether r asks for h2c (RFC 7540, Section 3.2):
// "Upgrade: h2c", Connection naming Upgrade and HTTP2-Settings, and
// exactly one HTTP2-Settings field, which it returns.
func upgradeRequest(r *http.Request) (string, bool) {
	if r.TLS != nil || r.ProtoMajor != 1 {
		return "", false // h2c is for cleartext HTTP/1.1 only
	}
	if !hasToken(r.Header["Upgrade"], "h2c") || !hasToken(r.Header["Connection"], "upgrade") ||
		!hasToken(r.Header["Connection"], "http2-settings") {
		return "", false
	}
	s := r.Header["Http2-Settings"]
	if len(s) != 1 {
		return "", false
	}
	return s[0], true
}

func hasToken(vv []string, token string) bool {
	for _, v := range vv {
		for t := range strings.SplitSeq(v, ",") {
			if asciiEqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// upgrade reads the request body, answers 101 and serves HTTP/2.
func (hh *h2cHandler) upgrade(w http.ResponseWriter, r *http.Request, settings string) {
	limit := hh.s.MaxUpgradeBodySize
	if limit <= 0 {
		limit = 64 << 10
	}
	var body []byte
	if r.ContentLength != 0 && r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(body)) > limit {
			// Too large to hold: HTTP/1.1 it is, with the body intact.
			r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(body), r.Body), c: r.Body}
			hh.h.ServeHTTP(w, r)
			return
		}
	}
	fields := upgradeFields(r)
	c, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot switch to HTTP/2", http.StatusInternalServerError)
		return
	}
	opts := &ServeConnOpts{Handler: hh.h2Handler(), BaseConfig: baseServer(r),
		Context: context.WithoutCancel(r.Context()), reportClosed: true}
	opts.Prefix = appendBuffered(nil, rw.Reader)
	sc := hh.s.newConn(c, opts)
	if sc == nil {
		return
	}
	if err := sc.eng.UpgradeServer(settings, fields, body); err != nil {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		c.Close()
		return
	}
	if _, err := c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")); err != nil {
		c.Close()
		return
	}
	sc.run()
}

// upgradeFields converts an HTTP/1.1 Upgrade request to HTTP/2 fields,
// without the fields of the upgrade itself.
func upgradeFields(r *http.Request) []hpack.Field {
	fields := []hpack.Field{
		{Name: ":method", Value: r.Method},
		{Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: r.Host},
		{Name: ":path", Value: r.URL.RequestURI()},
	}
	h := r.Header.Clone()
	for _, k := range []string{"Http2-Settings", "Upgrade", "Connection", "Host", "Content-Length", "Te"} {
		delete(h, k)
	}
	return httpcommon.AppendHeader(fields, h)
}

// replayBody is a body partly read already.
type replayBody struct {
	io.Reader
	c io.Closer
}

// Close closes the original body.
func (b *replayBody) Close() error { return b.c.Close() }
