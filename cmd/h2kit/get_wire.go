package main

// This file keeps, for -i, -D, --stat and --har, the header blocks of
// each response as they arrived: every field, in the order of the wire.
// In every run it also tells which stream each request opened, and makes
// them open in the order of the command line. h2client hands get
// an http.Response whose Header is a map (no order) and which files the
// "trailer" field under resp.Trailer's keys; the engine's tracer, though,
// sees each received header block decoded, in order. get installs a
// tracer on each connection (wrapping -v's, if any) that records the
// blocks of the streams of its requests.
//
// Which stream is which request: a request claims the next stream its
// connection opens when it gets the connection (httptrace's GotConn), and
// the next request to the origin waits until that HEADERS frame is sent
// (see getter.launch), so the claims and the streams come in the same
// order. A request h2client retries on its own can cross that order: a
// claim is also matched on the :method and :path of the HEADERS frame.
// The request of an h2c Upgrade gets no GotConn: its response is stream
// 1 of the upgraded connection to its address.

import (
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// wireHeaders records the received header blocks of get's requests.
type wireHeaders struct {
	mu       sync.Mutex
	conns    map[net.Conn]*wireConn
	upgrades []*wireClaim  // stream 1 of upgraded connections, not taken yet
	promises []wirePromise // the PUSH_PROMISEs received, in order
}

// wireMaxPromises bounds the promises kept for --stat and --har (a
// server pushing without end gets the first ones named).
const wireMaxPromises = 10000

// wirePromise is a PUSH_PROMISE received: the promised stream and the
// promised request's header fields (for --stat and --har).
type wirePromise struct {
	id     uint32
	path   string
	fields []hpack.Field
	taken  bool
}

// wireConn is the record of one connection (under wireHeaders.mu).
type wireConn struct {
	pending    []*wireClaim          // claims waiting for their stream, oldest first
	streams    map[uint32]*wireClaim // the claimed streams
	lastOpened uint32                // the highest stream ID opened
	promise    bool                  // the header block being received is a PUSH_PROMISE's
	promisedID uint32                // the stream that PUSH_PROMISE reserves
}

// wireClaim is one request's record: its stream and the header blocks
// received on it (under wireHeaders.mu).
type wireClaim struct {
	method, path string // of the request, as sent
	addr         string // the dial address, for an Upgrade's stream 1
	conn         *wireConn
	id           uint32        // 0 until the request's HEADERS frame is sent
	opened       func()        // called once the HEADERS frame is sent
	sent         []hpack.Field // the request's header fields, as sent
	blocks       [][]hpack.Field
}

func newWireHeaders() *wireHeaders {
	return &wireHeaders{conns: map[net.Conn]*wireConn{}}
}

// tracer returns the tracer of nc, which records the header blocks and
// passes every call on to next (nil: none). upgradeAddr is the address of
// a connection that starts with an h2c Upgrade ("" for the others): its
// stream 1 is the Upgrade request.
func (w *wireHeaders) tracer(nc net.Conn, next h2kit.Tracer, upgradeAddr string) h2kit.Tracer {
	c := &wireConn{streams: map[uint32]*wireClaim{}}
	w.mu.Lock()
	w.conns[nc] = c
	if upgradeAddr != "" {
		cl := &wireClaim{addr: upgradeAddr, conn: c, id: 1}
		c.streams[1], c.lastOpened = cl, 1
		w.upgrades = append(w.upgrades, cl)
	}
	w.mu.Unlock()
	return &wireTracer{w: w, c: c, next: next}
}

// claim makes the claim of a request that got the connection nc: the
// next stream nc opens for method and path. opened is called (on the
// connection's goroutine) when its HEADERS frame is sent; it is not
// called for a claim dropped by settle first. A connection get did not
// trace gives a claim that never matches.
func (w *wireHeaders) claim(nc net.Conn, method, path string, opened func()) *wireClaim {
	cl := &wireClaim{method: method, path: path, opened: opened}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.conns[nc]; c != nil {
		cl.conn = c
		c.pending = append(c.pending, cl)
	}
	return cl
}

// settle drops cl from its connection's pending claims if its stream was
// not opened (the request failed before it was sent, or is retried), and
// reports whether it was opened.
func (w *wireHeaders) settle(cl *wireClaim) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cl.id != 0 {
		return true
	}
	if c := cl.conn; c != nil {
		for i, p := range c.pending {
			if p == cl {
				c.pending = append(c.pending[:i], c.pending[i+1:]...)
				break
			}
		}
	}
	return false
}

// upgraded returns the claim of stream 1 of an upgraded connection to
// addr that has received a response, or nil; the claim is taken.
func (w *wireHeaders) upgraded(addr string) *wireClaim {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, cl := range w.upgrades {
		if cl.addr == addr && len(cl.blocks) > 0 {
			w.upgrades = append(w.upgrades[:i], w.upgrades[i+1:]...)
			return cl
		}
	}
	return nil
}

// done forgets cl: its response is over.
func (w *wireHeaders) done(cl *wireClaim) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cl.conn != nil && cl.id != 0 && cl.conn.streams[cl.id] == cl {
		delete(cl.conn.streams, cl.id)
	}
}

// response returns the header blocks of cl's response received so far:
// the informational (1xx) ones and the final one, then the trailers. It
// returns a nil final block when the final response has not come.
func (w *wireHeaders) response(cl *wireClaim) (info [][]hpack.Field, final []hpack.Field, trailers [][]hpack.Field) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range cl.blocks {
		switch {
		case final != nil:
			trailers = append(trailers, b)
		case informational(b):
			info = append(info, b)
		default:
			final = b
		}
	}
	return info, final, trailers
}

// informational reports whether a response header block has a 1xx
// :status.
func informational(b []hpack.Field) bool {
	for _, f := range b {
		if f.Name == ":status" {
			n, err := strconv.Atoi(f.Value)
			return err == nil && n >= 100 && n < 200
		}
	}
	return false
}

// sent matches a HEADERS frame sent on a new stream with the oldest
// pending claim of the same method and path (or else the oldest), and
// returns the callback of the claim it opened (nil if none).
func (w *wireHeaders) sent(c *wireConn, id uint32, fields []hpack.Field) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if id <= c.lastOpened {
		return nil // request trailers
	}
	c.lastOpened = id
	var method, path string
	for _, f := range fields {
		switch f.Name {
		case ":method":
			method = f.Value
		case ":path":
			path = f.Value
		}
	}
	if len(c.pending) == 0 {
		return nil
	}
	i := 0 // no claim of that method and path: the oldest
	for j, cl := range c.pending {
		if cl.method == method && cl.path == path {
			i = j
			break
		}
	}
	cl := c.pending[i]
	c.pending = append(c.pending[:i], c.pending[i+1:]...)
	cl.id = id
	cl.sent = cloneFields(fields)
	c.streams[id] = cl
	return cl.opened
}

// received records a complete header block received on stream id.
func (w *wireHeaders) received(c *wireConn, f frame.Frame, id uint32, fields []hpack.Field) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch f := f.(type) {
	case *frame.Headers:
		c.promise = false
	case *frame.PushPromise:
		c.promise, c.promisedID = true, f.PromisedID
	}
	if fields == nil {
		return // not the end of the block
	}
	if c.promise {
		p := wirePromise{id: c.promisedID, fields: cloneFields(fields)}
		for _, fl := range p.fields {
			if fl.Name == ":path" {
				p.path = fl.Value
			}
		}
		if len(w.promises) < wireMaxPromises {
			w.promises = append(w.promises, p)
		}
		return
	}
	cl := c.streams[id]
	if cl == nil {
		return
	}
	cl.blocks = append(cl.blocks, cloneFields(fields))
}

// cloneFields copies header fields out of the engine's buffer, which it
// reuses.
func cloneFields(fields []hpack.Field) []hpack.Field {
	b := make([]hpack.Field, len(fields))
	for i, fl := range fields {
		b[i] = hpack.Field{Name: strings.Clone(fl.Name), Value: strings.Clone(fl.Value), Sensitive: fl.Sensitive}
	}
	return b
}

// takePromise returns the oldest promise of path not taken yet, and
// takes it (ok false: none).
func (w *wireHeaders) takePromise(path string) (wirePromise, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.promises {
		if p := &w.promises[i]; !p.taken && p.path == path {
			p.taken = true
			return *p, true
		}
	}
	return wirePromise{}, false
}

// requestFields returns the header fields cl's request was sent with.
func (w *wireHeaders) requestFields(cl *wireClaim) []hpack.Field {
	w.mu.Lock()
	defer w.mu.Unlock()
	return cl.sent
}

// wireTracer is the h2kit.Tracer of one connection: it feeds wireHeaders
// and passes every frame on to the -v tracer, if any.
type wireTracer struct {
	w    *wireHeaders
	c    *wireConn
	next h2kit.Tracer
}

// FrameSent notes the HEADERS frame that opens a request's stream.
func (t *wireTracer) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	if t.next != nil {
		t.next.FrameSent(h, f, fields)
	}
	if hf, ok := f.(*frame.Headers); ok {
		if opened := t.w.sent(t.c, hf.StreamID, fields); opened != nil {
			opened()
		}
	}
}

// FrameReceived records the header blocks of the requests' streams.
func (t *wireTracer) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	if t.next != nil {
		t.next.FrameReceived(h, f, fields)
	}
	switch f := f.(type) {
	case *frame.Headers:
		t.w.received(t.c, f, f.StreamID, fields)
	case *frame.PushPromise:
		t.w.received(t.c, f, f.StreamID, fields)
	case *frame.Continuation:
		t.w.received(t.c, f, f.StreamID, fields)
	}
}

// appendWireBlock appends the lines of -i and -D for a header block as it
// arrived: one "name: value" line per field, control characters replaced.
func appendWireBlock(b []byte, fields []hpack.Field) []byte {
	for _, f := range fields {
		b = appendField(b, f)
	}
	return b
}
