package main

// This file runs the WebSocket library github.com/coder/websocket over
// HTTP/2 streams (RFC 8441). The library does the framing, masking, close
// handshake and message limits over any io.ReadWriteCloser, but its
// handshake is the HTTP/1.1 one only (RFC 6455, Section 4: a GET with
// Upgrade: websocket answered 101, then a hijacked connection). RFC 8441
// replaces that handshake, not the framing (Section 5), so two small
// adapters translate it:
//
//   - server: acceptWebSocket hands the library a copy of the extended
//     CONNECT request that looks like the HTTP/1.1 GET, and a
//     ResponseWriter whose 101 becomes the 200 that RFC 8441 wants and
//     whose Hijack returns the stream itself (r.Body in, w out, flushed).
//   - client: wsH2Transport turns the library's GET into an extended
//     CONNECT over h2client (with an io.Pipe as its body) and the 200 back
//     into the 101 the library checks.

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// wsGUID is the GUID RFC 6455, Section 1.3 appends to Sec-WebSocket-Key
// to make Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsAcceptOf is the Sec-WebSocket-Accept of a Sec-WebSocket-Key.
func wsAcceptOf(key string) string {
	h := sha1.New()
	h.Write([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// wsPlaceholderKey stands in for Sec-WebSocket-Key in the request the
// server side hands the library: RFC 8441, Section 5 drops the key and
// the accept value from the HTTP/2 handshake, and the library insists on a
// well-formed key (16 bytes in base64).
const wsPlaceholderKey = "AAAAAAAAAAAAAAAAAAAAAA=="

// errNotExtendedConnect is acceptWebSocket's error for an HTTP/2 request
// that is not an RFC 8441 WebSocket request.
var errNotExtendedConnect = errors.New("a WebSocket over HTTP/2 is an extended CONNECT with :protocol websocket (RFC 8441, Section 4)")

// acceptWebSocket accepts a WebSocket on r: the HTTP/1.1 Upgrade
// handshake (the library's own Accept, over the hijacked connection), or
// on HTTP/2 an extended CONNECT with :protocol websocket (RFC 8441),
// answered 200 and run over the stream. writeTimeout bounds each write
// on the HTTP/2 stream (a peer that never reads, under flow control).
// On error the response has been written.
func acceptWebSocket(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions, writeTimeout time.Duration) (*websocket.Conn, error) {
	if r.ProtoMajor != 2 {
		return websocket.Accept(w, r, opts)
	}
	// RFC 8441, Section 4: the WebSocket handshake over HTTP/2 is a
	// CONNECT whose :protocol is "websocket"; a GET cannot carry
	// Upgrade there (RFC 9113, Section 8.2.2).
	if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "websocket" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, errNotExtendedConnect)
		return nil, errNotExtendedConnect
	}
	// The request the library checks: the same fields (Origin,
	// Sec-WebSocket-Version, -Protocol, -Extensions), as the GET of
	// RFC 6455, Section 4.1 would carry them.
	g := r.Clone(r.Context())
	g.Method = http.MethodGet
	g.Header.Del(":protocol")
	g.Header.Set("Connection", "Upgrade")
	g.Header.Set("Upgrade", "websocket")
	g.Header.Set("Sec-WebSocket-Key", wsPlaceholderKey)
	rc := http.NewResponseController(w)
	stream := &wsServerStream{body: r.Body, w: w, rc: rc, remote: r.RemoteAddr, writeTimeout: writeTimeout}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		stream.local = la
	}
	return websocket.Accept(&wsH2Writer{ResponseWriter: w, rc: rc, stream: stream}, g, opts)
}

// wsH2Writer is the ResponseWriter the library writes its handshake
// answer to on HTTP/2: 101 becomes 200 without the HTTP/1.1 fields, and
// Hijack hands over the stream.
type wsH2Writer struct {
	http.ResponseWriter
	rc     *http.ResponseController
	stream *wsServerStream
}

// WriteHeader sends 200 for the library's 101: RFC 8441, Section 5 ends
// the handshake with a 2xx, and Connection/Upgrade are connection-specific
// fields HTTP/2 forbids (RFC 9113, Section 8.2.2); Sec-WebSocket-Accept is
// not used over HTTP/2 (RFC 8441, Section 5). The answer is flushed at
// once: the client waits for it before it sends frames.
func (w *wsH2Writer) WriteHeader(code int) {
	if code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	h := w.Header()
	h.Del("Connection")
	h.Del("Upgrade")
	h.Del("Sec-WebSocket-Accept")
	w.ResponseWriter.WriteHeader(http.StatusOK)
	w.rc.Flush()
}

// Hijack returns the HTTP/2 stream as the connection the library frames
// over (http.Hijacker, which the library requires).
func (w *wsH2Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s := w.stream
	return s, bufio.NewReadWriter(bufio.NewReader(s), bufio.NewWriter(s)), nil
}

// wsServerStream is one HTTP/2 stream of an extended CONNECT on the
// server, as a net.Conn: reads come from the request body (the client's
// DATA frames), writes go to the response and are flushed at once (each
// is a WebSocket frame, or several, that the peer is waiting for). The
// handler that accepted it must not return while it is in use: returning
// ends the stream.
type wsServerStream struct {
	body         io.ReadCloser
	w            http.ResponseWriter
	rc           *http.ResponseController
	local        net.Addr
	remote       string
	writeTimeout time.Duration

	wmu       sync.Mutex // serializes writes and their deadlines
	closed    bool       // under wmu
	closeOnce sync.Once
}

// Read reads the client's DATA; io.EOF when it ended its side
// (END_STREAM), an error when it reset the stream.
func (s *wsServerStream) Read(p []byte) (int, error) { return s.body.Read(p) }

// Write sends p as DATA and flushes it. Each write must be done within
// writeTimeout (if set): h2server fails a write blocked on flow control
// past its deadline and resets the stream, so a client that never reads
// costs one blocked handler for that long and no more than the stream's
// buffers.
func (s *wsServerStream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	if s.writeTimeout > 0 {
		s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	}
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// Close stops the stream's use: later writes fail, and the request body
// is closed, which wakes a Read blocked in another goroutine (the stream
// itself ends when the handler returns).
func (s *wsServerStream) Close() error {
	s.closeOnce.Do(func() {
		s.body.Close()
		s.wmu.Lock()
		s.closed = true
		s.wmu.Unlock()
	})
	return nil
}

// LocalAddr is the server's address of the connection, when known.
func (s *wsServerStream) LocalAddr() net.Addr {
	if s.local == nil {
		return wsAddr("")
	}
	return s.local
}

// RemoteAddr is the client's address (the request's RemoteAddr).
func (s *wsServerStream) RemoteAddr() net.Addr { return wsAddr(s.remote) }

// SetDeadline sets the read deadline (write deadlines are per write, see
// Write).
func (s *wsServerStream) SetDeadline(t time.Time) error { return s.SetReadDeadline(t) }

// SetReadDeadline bounds the reads of the request body.
func (s *wsServerStream) SetReadDeadline(t time.Time) error { return s.rc.SetReadDeadline(t) }

// SetWriteDeadline is not supported: each write has its own deadline,
// writeTimeout from its start.
func (s *wsServerStream) SetWriteDeadline(time.Time) error { return errors.ErrUnsupported }

// wsAddr is an address given as text.
type wsAddr string

func (a wsAddr) Network() string { return "tcp" }
func (a wsAddr) String() string  { return string(a) }

// wsH2Transport is the http.RoundTripper that makes the library's dial an
// RFC 8441 extended CONNECT: the library sends a GET with Upgrade:
// websocket and wants 101 and a writable body; the transport sends
// CONNECT with :protocol websocket over rt (an h2client.Transport) with
// an io.Pipe as its body, and turns the server's 2xx into that 101.
type wsH2Transport struct {
	rt http.RoundTripper
}

// wsRefusedError is a server's answer other than 2xx to the extended
// CONNECT.
type wsRefusedError struct {
	Status string // "404 Not Found"
	Body   string // the start of the answer's body, for the error message
}

func (e *wsRefusedError) Error() string {
	msg := "the server answered the WebSocket's extended CONNECT with " + e.Status
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// RoundTrip sends req, the library's handshake, as an extended CONNECT.
// The returned response's body is the stream: reads are the server's
// DATA, writes go out as the request body's DATA.
func (t *wsH2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Header.Get("Sec-WebSocket-Key")
	pr, pw := io.Pipe()
	c := req.Clone(req.Context())
	c.Method = http.MethodConnect
	// RFC 8441, Section 5: no Connection, Upgrade or Sec-WebSocket-Key;
	// Sec-WebSocket-Version, -Protocol and -Extensions stay.
	c.Header.Del("Connection")
	c.Header.Del("Upgrade")
	c.Header.Del("Sec-WebSocket-Key")
	c.Header.Set(":protocol", "websocket")
	c.Body, c.GetBody, c.ContentLength = pr, nil, -1
	resp, err := t.rt.RoundTrip(c)
	if err != nil {
		pw.CloseWithError(err)
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// RFC 8441, Section 5: anything but 2xx refuses the WebSocket.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		pw.Close()
		return nil, &wsRefusedError{Status: resp.Status, Body: string(b)}
	}
	h := resp.Header.Clone()
	h.Set("Connection", "Upgrade")
	h.Set("Upgrade", "websocket")
	h.Set("Sec-WebSocket-Accept", wsAcceptOf(key))
	return &http.Response{
		Status:     "101 Switching Protocols",
		StatusCode: http.StatusSwitchingProtocols,
		Proto:      resp.Proto,
		ProtoMajor: resp.ProtoMajor,
		ProtoMinor: resp.ProtoMinor,
		Header:     h,
		Body:       &wsClientStream{in: resp.Body, out: pw},
		Request:    req,
	}, nil
}

// wsClientStream is the client's side of an extended CONNECT stream as
// the io.ReadWriteCloser the library frames over.
type wsClientStream struct {
	in  io.ReadCloser  // the response body: the server's DATA
	out *io.PipeWriter // the request body: our DATA
}

func (s *wsClientStream) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *wsClientStream) Write(p []byte) (int, error) { return s.out.Write(p) }

// Close ends our side (END_STREAM) and stops reading the server's.
func (s *wsClientStream) Close() error {
	s.out.Close()
	return s.in.Close()
}
