package h2server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/pipe"
)

// queueSlack is how far a handler may queue beyond what the engine would
// take now (flow control and its send buffer, stream.credit).
const queueSlack = 8 << 10

// stream is one request/response exchange. Three parties touch it: the
// owner goroutine (the connloop), the handler goroutine, and through
// atomics the dirty list. Fields are grouped by who may use them.
type stream struct {
	sc *serverConn
	id uint32
	// refs counts the references beyond the owner's and the handler's
	// (the dirty list's, a body's, the budget's wait list's), less those
	// dropped: it starts at zero, as a recycled stream is, and the
	// stream is free at -2.
	refs atomic.Int32
	// failed is set with err by setErr: a handler's Write asks for
	// the lock (writeErr) only once it is.
	failed atomic.Bool

	dirty pipe.Link[stream] // on sc.dirty

	// Set by the owner before the handler starts, read-only after.
	req       *http.Request
	body      *requestBody
	ctx       *reqCtx            // the request's context, cancelled by cancel
	cancelStd context.CancelFunc // or this, when ctx is nil (newReqCtx)
	isHead    bool
	isConnect bool // a CONNECT request (RFC 9113, Section 8.5; RFC 8441)
	pushed    bool
	expect100 atomic.Bool // cleared by the first body Read, which asks for 100 (Continue)
	trailer   http.Header // req.Trailer, filled by the owner before EOF

	// Handler-only (the response writer's state).
	rw          *responseWriter
	header      http.Header
	status      int
	wroteHeader bool   // WriteHeader called with a final status
	committed   bool   // the final header section is queued
	flushCalled bool   // Flush was called
	buf         []byte // response bytes not yet queued (net/http's bufio)
	declared    []string
	// snapKeys holds the header map's keys when WriteHeader took its
	// section, keptKeys their number plus one (0: not kept, when there
	// were more, or a TrailerPrefix key): finishResponse looks for
	// trailers only in a map whose keys changed since (trailerFields).
	snapKeys      [4]string
	keptKeys      int8
	contentLength int64 // declared Content-Length, -1 if none
	written       int64
	fields        []hpack.Field
	writeDeadline time.Time

	// mu guards what follows: the queues between handler and owner.
	mu sync.Mutex
	// Request body: the owner delivers, the handler reads (requestBody).
	// Closed by Body.Close or when the handler returns: later DATA is
	// dropped.
	in           pipe.Inbound
	readDeadline time.Time // ResponseController.SetReadDeadline
	want100      bool
	// Response: the handler queues, the owner sends.
	infos    [][]hpack.Field // 1xx header sections
	hdr      []hpack.Field   // the final header section
	hdrReady bool
	out      pipe.Queue // queued body bytes; a pooled buffer held only while some are queued (ReadFrom fills it in place: out.Filling)
	lent     []byte     // after out, the bytes of a large Write, which waits until the engine took them (lend)
	lendRef  bool       // lent goes to the engine by reference (SendDataRef)
	refsOut  bool       // the engine or a write may still read lent bytes given by reference (Released)
	outBox   *[]byte    // out's pool entry
	pushWait bool       // a pushed response waiting for the associated one's head (holdPush): queues nothing
	trailers []hpack.Field
	end      bool // the handler is done: END_STREAM after out and trailers
	rstCode  frame.ErrCode
	rstReq   bool
	flushed  bool  // the handler called Flush (see holdPush)
	credit   int   // what the engine would take now (SendWindow), as of the owner's last look
	window   int   // what flow control allows beyond that (SendFlowWindow), as of the owner's last look
	err      error // the stream is over (reset, connection gone): set by setErr

	budgetWait bool // on sc.budget's waiters (guarded by sc.budget.mu)

	wsig pipe.Signal // the handler's writes may go on (a body Read waits on in's)

	// Owner-only.
	withheld bool // in sc.withheld
	freed    int  // queue capacity flushLocked gave back, for the budget
	hdrSent  bool
	endSent  bool
	sent100  bool
	pending  bool  // waiting in sc.pending for a handler slot
	recvd    int64 // request body bytes received
	reqLen   int64 // the request's content-length, -1 if unknown
	// A pushed response waits for the head of the associated one (see
	// holdPush): assoc is the associated stream while it has not sent its
	// head, pushOpen says it has, held lists the pushed streams waiting
	// for this one, bodySent counts the body bytes given to the engine.
	assoc    *stream
	held     []*stream
	pushOpen bool
	bodySent int64
	engIdx   int // 1 + its entry in sc.inEngine, 0 if none
}

var streamPool = sync.Pool{New: func() any {
	st := &stream{wsig: pipe.NewSignal()}
	st.in.Init(0)
	return st
}}

// getStream returns a cleared stream record, held by the owner and the
// handler (refs at zero).
func getStream() *stream {
	st := streamPool.Get().(*stream)
	st.contentLength = -1
	return st
}

// release drops one reference; the last one recycles the stream.
func (st *stream) release() {
	if st.refs.Add(-1) != -2 {
		return
	}
	if freed := st.putOutLocked(); freed > 0 { // no one else holds st now
		st.sc.budget.release(freed)
	}
	in, buf, fields, wsig := st.in, st.buf[:0], st.fields[:0], st.wsig
	in.Init(keepIn)
	wsig.Clear()
	*st = stream{in: in, buf: buf, fields: fields[:0], wsig: wsig}
	clear(fields[:cap(fields)])
	streamPool.Put(st)
}

// cancel cancels the request's context.
func (st *stream) cancel() {
	if st.ctx != nil {
		st.ctx.cancel()
	} else {
		st.cancelStd()
	}
}

// DirtyLink returns st's link in its connection's dirty stack (pipe.Stack).
func (st *stream) DirtyLink() *pipe.Link[stream] { return &st.dirty }

// Failed is the error that ends body reads (pipe.Stream, st.mu held).
// errHandlerDone there says the response is complete, not that the body
// may no longer be read.
func (st *stream) Failed() error {
	if st.err == errHandlerDone {
		return nil
	}
	return st.err
}

// ReadDeadline bounds a blocked body Read (pipe.Stream, st.mu held).
func (st *stream) ReadDeadline() time.Time { return st.readDeadline }

// Consumed asks the owner to give the bytes the handler read back to
// flow control (pipe.Stream).
func (st *stream) Consumed() { st.sc.markDirty(st) }

// errStreamReset is what reads and writes return after the client reset
// the stream: an *h2kit.StreamError, which reads as Go's HTTP/2 words a
// reset received from the peer.
func errStreamReset(id uint32, code frame.ErrCode) error {
	return &h2kit.StreamError{StreamID: id, Code: code, Initiator: h2kit.Remote}
}

var (
	errStreamClosed = errors.New("h2server: stream closed")
	errHandlerDone  = errors.New("h2server: the handler has returned")
)

// closeWith ends the stream for both sides: blocked reads and writes
// return err, the request's context is cancelled (owner).
func (st *stream) closeWith(err error) {
	st.sc.loop.AssertOwner()
	st.mu.Lock()
	if st.err == nil {
		st.setErr(err)
	}
	st.mu.Unlock()
	st.in.Wake()
	st.wsig.Notify()
	st.cancel()
}

// recvData appends body bytes for the handler; false means nobody will
// read them (owner).
func (st *stream) recvData(p []byte, end bool) bool {
	st.sc.loop.AssertOwner()
	st.mu.Lock()
	defer st.mu.Unlock()
	if end {
		st.in.End()
	}
	// Refused once the handler closed the body or returned (in is
	// closed then), or the stream is over.
	return st.err == nil && st.in.Deliver(p)
}

// recvTrailers fills the request's Trailer and ends the body (owner).
func (st *stream) recvTrailers(fields []hpack.Field) {
	st.sc.loop.AssertOwner()
	st.mu.Lock()
	if st.trailer == nil {
		st.trailer = make(http.Header)
		st.req.Trailer = st.trailer // read by the handler only after EOF
	}
	httpcommon.DecodeTrailers(st.trailer, fields)
	st.in.End()
	st.mu.Unlock()
}

// flush moves the stream's queued output and consumed bytes into the
// engine (owner).
func (st *stream) flush() {
	st.sc.loop.AssertOwner()
	sc := st.sc
	if sc.streams.Get(st.id) != st {
		return
	}
	st.mu.Lock()
	over := st.flushLocked()
	open := !st.pushOpen && st.hdrSent && (st.endSent || st.flushed || st.bodySent >= pushAfterBody)
	handlerDone := st.end
	st.mu.Unlock()
	if st.freed > 0 {
		sc.budget.release(st.freed)
		st.freed = 0
	}
	if open {
		st.pushOpen = true
		st.releaseHeld() // our head is in the engine: the pushed responses may follow
	}
	if over {
		// The stream is done for the owner: reset, refused, or the whole
		// response is in the engine (later DATA from the client is then
		// consumed and dropped by onData). A handler that has returned
		// waits for nothing: its body was closed (done) as it returned.
		if !handlerDone {
			st.wsig.Notify()
			st.in.Wake()
		}
		if !st.endSent {
			st.cancel()
		}
		sc.forget(st)
	}
}

// flushLocked does flush's work with st.mu held; true means the owner is
// done with the stream.
func (st *stream) flushLocked() bool {
	eng := st.sc.eng
	// What the handler read, and the buffered body it will never read
	// (it closed the body or returned).
	if n := st.in.TakeConsumed(); n > 0 {
		eng.ConsumeData(st.id, n)
	}
	if st.err != nil {
		return false
	}
	if st.rstReq {
		eng.ResetStream(st.id, st.rstCode)
		st.setErr(errStreamClosed)
		return true
	}
	if st.assoc != nil {
		return false // a pushed response waiting for the associated one
	}
	if st.want100 && !st.sent100 && !st.hdrSent && !st.hdrReady {
		st.sent100 = true
		eng.SendHeaders(st.id, continueFields, false)
	}
	if !st.hdrSent {
		for _, f := range st.infos {
			eng.SendHeaders(st.id, f, false)
		}
	}
	st.infos = st.infos[:0]
	if st.hdrReady && !st.hdrSent {
		st.hdrSent = true
		last := st.end && st.outLenLocked() == 0 && len(st.trailers) == 0
		if err := eng.SendHeaders(st.id, st.hdr, last); err != nil {
			st.setErr(err)
			return true
		}
		if last {
			return st.finishLocked()
		}
	}
	if !st.hdrSent {
		return false
	}
	// A handler that found no window queued nothing and waits for it to
	// grow (room): wake it when it has.
	if st.refreshCreditLocked() {
		st.wsig.Notify()
	}
	if st.outLenLocked() > 0 && (st.sc.loop.Writing() || st.sc.fillLeft <= 0) {
		// The socket has not taken the last batch yet, or the engine
		// holds the next one already: keep the bytes here, the only
		// copy, until the batch is written (Fill).
		if !st.withheld {
			st.withheld = true
			st.sc.withheld = append(st.sc.withheld, st.id)
		}
		return false
	}
	if pending := st.outLocked(); len(pending) > 0 || (st.end && len(st.trailers) == 0) {
		endData := st.end && len(st.trailers) == 0
		n, ref, err := st.sendOutLocked(pending, endData)
		if err != nil {
			st.setErr(err)
			return true
		}
		st.advanceOutLocked(n)
		st.bodySent += int64(n)
		st.refreshCreditLocked()
		if n > 0 {
			// Still counted in the budget until the engine writes them
			// (reconcile), unless they are the handler's (ref).
			if !ref {
				st.sc.addInEngine(st, n)
				st.sc.taken += n // in the budget at the next reconcile
			}
			st.sc.fillLeft -= n
			if st.out.Len() == 0 && !st.out.Filling() {
				st.freed += st.putOutLocked()
			}
			if !st.end && len(st.lent) == 0 {
				st.wsig.Notify() // room for the handler's next writes, or its Write is done
			}
		}
		if st.outLenLocked() > 0 {
			return false // blocked by flow control: WindowUpdated brings us back
		}
		if endData {
			return st.finishLocked()
		}
	}
	if st.end && len(st.trailers) > 0 {
		if err := eng.SendHeaders(st.id, st.trailers, true); err != nil {
			st.setErr(err)
			return true
		}
		return st.finishLocked()
	}
	return false
}

// refreshCreditLocked takes the engine's view of what the stream may send
// (credit, window: SendWindows) and reports whether either grew (owner, st.mu held).
func (st *stream) refreshCreditLocked() bool {
	st.sc.loop.AssertOwner()
	eng := st.sc.eng
	c, w := eng.SendWindows(st.id)
	grew := c > st.credit || w > st.window
	st.credit, st.window = c, w
	return grew
}

var continueFields = []hpack.Field{{Name: ":status", Value: "100"}}

// setErr ends the stream with err (st.mu held).
func (st *stream) setErr(err error) {
	st.err = err
	st.failed.Store(true)
}

// finishLocked: the whole response is in the engine. The handler has
// returned (st.end): no Write of its is left to fail, so err is set
// without failed.
func (st *stream) finishLocked() bool {
	st.endSent = true
	st.err = errHandlerDone
	if !st.in.Ended() {
		st.sc.startDrain(st)
	}
	return true
}

// pushAfterBody is how much of the associated response's body goes
// before the responses pushed with it (holdPush): one frame's worth at
// the default SETTINGS_MAX_FRAME_SIZE, enough for a page's head.
const pushAfterBody = 16 << 10

// holdPush makes the pushed stream p wait for the head of st's response:
// its final header section and the first pushAfterBody bytes of its body
// (all of it if shorter), or what the handler wrote before it first
// called Flush; or until st is over (reset, closed). A client then sees
// PUSH_PROMISE, the start of the response it asked for (where a page
// refers to the pushed resources), then the pushed responses, sharing the
// connection with the rest of it. Without this, the pushed handlers,
// which run concurrently and are often done first (small static files),
// would overtake the response the client is waiting for, in an order
// that depends on goroutine scheduling; and their data would take the
// window of a client that cannot yet take the response it asked for.
// Only the owner looks at assoc: no lock per frame (owner).
func (st *stream) holdPush(p *stream) {
	st.sc.loop.AssertOwner()
	if st.pushOpen || st.sc.streams.Get(st.id) != st {
		return
	}
	p.assoc = st
	st.held = append(st.held, p)
	// Its handler queues nothing meanwhile: the budget it would take may
	// be what st needs to send its head.
	p.mu.Lock()
	p.pushWait = true
	p.mu.Unlock()
}

// releaseHeld lets the pushed streams waiting for st send their responses
// (owner).
func (st *stream) releaseHeld() {
	st.sc.loop.AssertOwner()
	if len(st.held) == 0 {
		return
	}
	held := st.held
	st.held = nil
	for _, p := range held {
		p.assoc = nil
		p.mu.Lock()
		p.pushWait = false
		p.mu.Unlock()
		p.wsig.Notify()
		if !st.sc.gone.Load() {
			p.flush()
		}
	}
}

// reuseHeaderMax is the most fields a response header map may have had
// for its worker to keep it (a small map is one group of slots; a big
// one would hold its larger table while the worker idles).
const reuseHeaderMax = 8

// serve runs the handler (the stream's own goroutine). spare is the
// worker's emptied response header map, if it has one: the handler's
// Header() is that map, and once the handler is done it goes back,
// emptied, if it stayed small.
func (st *stream) serve(spare *http.Header) {
	rw := st.rw // onRequest's requestAlloc
	if rw == nil {
		rw = new(responseWriter) // a pushed request
		st.rw = rw
	}
	rw.st = st
	h := *spare
	*spare = nil
	if h == nil {
		h = make(http.Header)
	}
	st.header = h
	defer func() {
		if e := recover(); e != nil {
			st.abort(e)
		}
		st.done() // st may be recycled from here on: only h is used
		// Nothing reads the map past done: the ResponseWriter is
		// detached from the stream, and the fields the owner encodes
		// are strings of their own.
		if len(h) <= reuseHeaderMax {
			clear(h)
			*spare = h
		}
	}()
	st.sc.handler.ServeHTTP(rw, st.req)
	st.finishResponse()
}

// abort handles a panicking handler: its stream is reset with
// INTERNAL_ERROR, the panic logged unless it is http.ErrAbortHandler.
func (st *stream) abort(e any) {
	if e != http.ErrAbortHandler {
		buf := make([]byte, 16<<10)
		buf = buf[:runtime.Stack(buf, false)]
		st.sc.srv.logger().Error("h2server: panic serving request",
			"remote", st.sc.remote, "method", st.req.Method, "uri", st.req.RequestURI,
			"panic", fmt.Sprint(e), "stack", string(buf))
	}
	st.mu.Lock()
	if st.err == nil && !st.end {
		st.rstReq = true
		st.rstCode = frame.ErrCodeInternal
	}
	st.mu.Unlock()
	st.sc.markDirty(st)
}

// done runs when the handler has returned, panicked or not.
func (st *stream) done() {
	sc := st.sc
	defer func() {
		// The owner sends what the handler left (finishResponse queued
		// it without a wake), and a free handler slot lets it start a
		// waiting request. The last handler of the connection to return
		// does that itself if no one is the owner at the moment: no
		// other handler's output is coming to share the write with it,
		// and a request answered alone (one at a time, say) then costs
		// no hand-off to the owner and back.
		if sc.handlers.Add(-1) == 0 && sc.npending.Load() == 0 {
			sc.loop.WakeNow()
		} else {
			sc.loop.Wake()
		}
	}()
	st.cancel()
	st.mu.Lock()
	// A body Read blocked in another goroutine fails (requestBody).
	unread := st.in.CloseWith(errHandlerDone, keepIn)
	st.mu.Unlock()
	if unread > 0 {
		st.sc.queueDirty(st) // give the unread body's window back (woken below)
	}
	st.rw.st = nil
	if st.body != nil {
		st.body.mu.Lock()
		st.body.st = nil
		st.body.mu.Unlock()
	}
	st.release()
}
