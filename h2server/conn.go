package h2server

import (
	"context"
	"crypto/tls"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/connloop"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/idmap"
	"github.com/h2kit/h2kit/internal/pipe"
)

// serverConn is one HTTP/2 connection. Its methods marked "owner" run on
// the connloop goroutine, the only one that touches the engine; handler
// goroutines talk to it through their streams (markDirty + Wake).
type serverConn struct {
	srv     *Server
	hs      *http.Server
	handler http.Handler
	nc      net.Conn
	eng     *h2kit.Conn
	loop    *connloop.Loop
	baseCtx context.Context
	tls     *tls.ConnectionState
	reneg   *connTLS // a connection that can renegotiate (reneg.go), else nil
	remote  string
	start   time.Time

	// Timeouts: the Server's, or the http.Server's when those are zero.
	readHeaderTimeout, writeTimeout, readTimeout time.Duration

	// The http.Server's ConnState, if any (connstate.go); stateActive is
	// the last state reported (owner). reportClosed: StateClosed is ours
	// to report at the end (net/http does not).
	connState               func(net.Conn, http.ConnState)
	stateActive             bool
	reportNew, reportClosed bool // from ServeConnOpts

	dirty       pipe.Stack[stream, *stream] // streams with output or consumed bytes; each holds a reference
	pushEnabled atomic.Bool
	gone        atomic.Bool // the connection is over

	// Owner-only.
	reqs *httpcommon.RequestCache // the strings of the last requests, made at the first
	// The cache is dropped once a whole reqCacheIdle passed without a
	// request: reqsCheck is when Timer looks next (a deadline that moves
	// once per period, not per request), reqsUsed whether a request came
	// since it last looked.
	reqsCheck  time.Time
	reqsUsed   bool
	streams    idmap.Map[*stream]
	flushAll   []*stream // pipe.WindowUpdated's scratch
	batch      []*stream // taken from dirty (Wake)
	drains     []drain   // responses complete while the request body is still coming, oldest first
	resets     []uint32  // RST_STREAM NO_ERROR once the response's END_STREAM is out
	sawRequest bool
	drainTime  time.Duration

	// At most maxHandlers handlers run at once (the advertised
	// SETTINGS_MAX_CONCURRENT_STREAMS): a stream the client resets, or
	// makes us reset, leaves the engine's count at once while its handler
	// may run on, so rapid reset (CVE-2023-44487) and MadeYouReset
	// (CVE-2025-8671) could otherwise start unbounded work. Requests
	// beyond wait in pending (owner-only; open streams only, so at most
	// SETTINGS_MAX_CONCURRENT_STREAMS of them).
	maxHandlers int32
	handlers    atomic.Int32 // running; decremented by the handler goroutine
	npending    atomic.Int32 // len(pending), read by handler goroutines
	pending     []*stream

	pushMu  sync.Mutex
	pushReq []*pushRequest

	// The response bytes the connection holds for its streams, bounded
	// by connBudget (see budget).
	budget budget
	// inEngine counts, per stream id, the bytes given to the engine
	// (SendData) that it has not written yet, as of the last look
	// (owner-only; see reconcile). Ids stay after their stream record
	// is gone, until the engine has written or dropped their bytes. A
	// slice, not a map: an entry is added and dropped for nearly every
	// response (the map's insert and delete were 2-3% of the CPU under
	// many small requests).
	inEngine []engineBytes
	// withheld lists the streams whose queued bytes wait for the
	// socket writer (owner-only; see Fill).
	withheld []uint32
	fillLeft int // what the engine may still take before the next batch is written
	// taken counts the bytes flush gave the engine since the last
	// reconcile, which counts them in the budget (owner-only): the
	// batch they go out in is taken in the same turn, so what it writes
	// and what was given mostly cancel out, with no budget lock.
	taken   int
	lenders []*stream // streams whose handler's bytes the engine holds by reference (owner-only; Released)
}

// connBudget bounds the response bytes a connection holds for its
// streams: the capacity of the buffers its streams queue in, plus the
// bytes the engine holds and has not yet written. One
// stream may use all of it. Flow control bounds what the peer may be
// sent, not what a server keeps for a peer that does not read
// (CVE-2019-9517): without this bound, every stream of a client that
// opens large windows and stops reading would hold its own queue and
// send buffer. The batch being written (connloop's MaxWriteBatch) comes
// on top, counted once it is written: the bytes the owner gives the
// engine count in the budget at the end of that turn (reconcile, with
// what the batch took out), not one stream at a time.
const connBudget = 192 << 10

// budget is the connection's count of held response bytes (connBudget)
// and the streams whose handlers wait for some of it. Handlers reserve
// before they queue; the owner gives back what the engine has written.
type budget struct {
	mu      sync.Mutex
	held    int
	waiters []*stream // each holds a reference, dropped when woken
}

// reserve takes n bytes of the budget for st's handler, or reports that
// they are not left; st is then woken (wsig) once the budget frees up.
func (b *budget) reserve(st *stream, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > connBudget {
		if !st.budgetWait {
			st.budgetWait = true
			st.refs.Add(1)
			b.waiters = append(b.waiters, st)
		}
		return false
	}
	b.held += n
	return true
}

// take counts n bytes given to the engine, whatever the budget has left
// (owner): they were in a queue the budget covers.
func (b *budget) take(n int) {
	b.mu.Lock()
	b.held += n
	b.mu.Unlock()
}

// release gives n bytes back and wakes the handlers waiting for them.
func (b *budget) release(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
	if b.held < connBudget {
		b.wakeLocked()
	}
}

func (b *budget) wakeLocked() {
	for i, st := range b.waiters {
		b.waiters[i] = nil
		st.budgetWait = false
		st.wsig.Notify()
		st.release()
	}
	b.waiters = b.waiters[:0]
}

// engineBytes is an entry of serverConn.inEngine: n bytes of stream id
// in the engine; st is the stream while the owner has it (its engIdx
// points back here), nil once forgotten.
type engineBytes struct {
	id uint32
	n  int
	st *stream
}

// addInEngine counts n more bytes of st given to the engine (owner).
func (sc *serverConn) addInEngine(st *stream, n int) {
	if i := st.engIdx - 1; i >= 0 {
		sc.inEngine[i].n += n
		return
	}
	sc.inEngine = append(sc.inEngine, engineBytes{id: st.id, n: n, st: st})
	st.engIdx = len(sc.inEngine)
}

// reconcile gives back the budget of the bytes the engine has written
// (or dropped, for streams that are over) since the last look (owner).
func (sc *serverConn) reconcile() {
	sc.loop.AssertOwner()
	freed, k := 0, 0
	for _, e := range sc.inEngine {
		if p := sc.eng.SendBuffered(e.id); p < e.n {
			freed += e.n - p
			e.n = p
		}
		if e.n == 0 {
			if e.st != nil {
				e.st.engIdx = 0
			}
			continue
		}
		if e.st != nil {
			e.st.engIdx = k + 1
		}
		sc.inEngine[k] = e
		k++
	}
	clear(sc.inEngine[k:])
	sc.inEngine = sc.inEngine[:k]
	switch net := sc.taken - freed; {
	case net > 0:
		sc.budget.take(net)
	case net < 0:
		sc.budget.release(-net)
	}
	sc.taken = 0
}

func (s *Server) newConn(c net.Conn, opts *ServeConnOpts) *serverConn {
	sc := &serverConn{
		srv:     s,
		hs:      opts.BaseConfig,
		handler: opts.Handler,
		nc:      c,
		remote:  c.RemoteAddr().String(),
		start:   time.Now(),

		fillLeft: maxWriteBatch,

		reportNew:    opts.reportNew,
		reportClosed: opts.reportClosed,
	}
	if sc.handler == nil {
		sc.handler = s.Handler
	}
	if sc.handler == nil && sc.hs != nil {
		sc.handler = sc.hs.Handler
	}
	if sc.handler == nil {
		sc.handler = http.DefaultServeMux
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if sc.hs != nil {
		ctx = context.WithValue(ctx, http.ServerContextKey, sc.hs)
	}
	sc.baseCtx = context.WithValue(ctx, http.LocalAddrContextKey, c.LocalAddr())
	c.SetDeadline(time.Time{})
	if !sc.startTLS(c) {
		return nil
	}

	cfg := s.engineConfig(c)
	cfg.Settings.TLSRenegPermitted = sc.renegSetting()
	sc.readHeaderTimeout, sc.writeTimeout, sc.readTimeout = s.ReadHeaderTimeout, s.WriteTimeout, s.ReadTimeout
	if hs := sc.hs; hs != nil {
		sc.connState = hs.ConnState
		if cfg.IdleTimeout == 0 {
			cfg.IdleTimeout = hs.IdleTimeout
		}
		if sc.readTimeout == 0 {
			sc.readTimeout = hs.ReadTimeout
		}
		if sc.readHeaderTimeout == 0 {
			sc.readHeaderTimeout = hs.ReadHeaderTimeout
		}
		if sc.writeTimeout == 0 {
			sc.writeTimeout = hs.WriteTimeout
		}
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = sc.readTimeout // as net/http: IdleTimeout, else ReadTimeout
	}
	sc.eng = h2kit.NewConn(cfg, sc.start)
	sc.drainTime = drainTimeout
	if s.drainTimeout > 0 {
		sc.drainTime = s.drainTimeout
	}
	sc.maxHandlers = int32(min(cfg.Settings.MaxConcurrentStreams, math.MaxInt32))
	if sc.tls != nil {
		if reason := s.inadequateSecurity(sc.tls); reason != "" {
			// RFC 9113, Section 9.2.1 and 9.2.2: a connection error of type
			// INADEQUATE_SECURITY (after our SETTINGS).
			sc.eng.Close(frame.ErrCodeInadequateSecurity, reason)
		}
	}
	var prefix []byte
	if len(opts.Prefix) > 0 {
		prefix = opts.Prefix
	}
	sc.loop = connloop.New(c, sc.eng, sc, connloop.Options{Prefix: prefix, WriteTimeout: sc.writeTimeout, MaxWriteBatch: maxWriteBatch})
	return sc
}

// run serves the connection until it is over.
func (sc *serverConn) run() {
	sc.srv.trackConn(sc, true)
	if sc.srv.shutting.Load() {
		sc.eng.Shutdown()
	}
	// Before the loop starts, this goroutine may still use the engine: an
	// Upgrade applied the client's HTTP2-Settings without an event.
	sc.pushEnabled.Store(!sc.eng.PeerSettings().DisablePush)
	sc.startConnState(sc.reportNew)
	err := sc.loop.Run()
	if sc.reportClosed {
		sc.setConnState(http.StateClosed)
	}
	if err != nil && !errors.Is(err, connloop.ErrPeerClosed) && !errors.Is(err, errServerClosing) {
		sc.srv.logger().Debug("h2server: connection ended", "remote", sc.remote, "err", err)
	}
}

// Event handles one engine event (owner).
func (sc *serverConn) Event(ev h2kit.Event) {
	sc.loop.AssertOwner()
	switch e := ev.(type) {
	case *h2kit.RequestReceived:
		sc.onRequest(e.StreamID, e.Fields, e.EndStream, e.Repeated)
	case *h2kit.RequestHeadersTooLarge:
		sc.onRequestTooLarge(e.StreamID, e.EndStream)
	case *h2kit.DataReceived:
		sc.onData(e)
	case *h2kit.TrailersReceived:
		if st := sc.streams.Get(e.StreamID); st != nil {
			st.recvTrailers(e.Fields)
		} else if len(sc.drains) > 0 {
			sc.endDrain(e.StreamID) // the body is over
		}
	case *h2kit.StreamReset:
		if len(sc.inEngine) > 0 {
			sc.reconcile() // the engine dropped the stream's bytes
		}
		if st := sc.streams.Get(e.StreamID); st != nil {
			st.closeWith(errStreamReset(e.StreamID, e.Code))
			sc.dropPending(st)
			sc.forget(st)
		} else if len(sc.drains) > 0 {
			sc.endDrain(e.StreamID)
		}
	case *h2kit.WindowUpdated:
		pipe.WindowUpdated(&sc.streams, e.StreamID, (*stream).flush, &sc.flushAll)
	case *h2kit.SettingsReceived:
		sc.pushEnabled.Store(!sc.eng.PeerSettings().DisablePush)
		sc.renegSettings()
	case *h2kit.SettingsAcked:
		sc.renegAcked()
	case *h2kit.ConnectionTerminated:
		sc.closeStreams(e.Err)
	}
	if sc.connState != nil {
		sc.noteConnState()
	}
}

// onData hands body bytes to the stream's reader, or gives them back at
// once when nobody will read them (owner).
func (sc *serverConn) onData(e *h2kit.DataReceived) {
	sc.loop.AssertOwner()
	st := sc.streams.Get(e.StreamID)
	if st != nil {
		st.recvd += int64(len(e.Data))
	}
	if st == nil || !st.recvData(e.Data, e.EndStream) {
		sc.eng.ConsumeData(e.StreamID, len(e.Data))
		if st == nil && len(sc.drains) > 0 {
			sc.drained(e.StreamID, len(e.Data), e.EndStream)
		}
	}
}

// After a complete response, the request body may still be coming: the
// handler answered without reading it all (RFC 9113, Section 8.1). The
// server MAY then send RST_STREAM NO_ERROR to stop the upload, but doing
// so at once has costs: the reset races with the client's last frames,
// which the server must then ignore (Section 5.1) instead of checking
// them (content-length, stream state), and clients have mishandled such
// resets (reported them as errors, or hung). So, like net/http's HTTP/1
// server (which reads up to 256 KiB of an unread body before reusing the
// connection), the stream stays open for receiving and the rest of the
// body is read and discarded (its windows given back), up to
// maxDrainBody bytes and for at most drainTimeout; past either, or at
// once when the declared content-length says more than maxDrainBody is
// left, RST_STREAM NO_ERROR asks the client to stop. The handler has
// returned meanwhile: a drain costs an entry here and the engine's
// stream record, for a bounded time, and counts toward the client's
// SETTINGS_MAX_CONCURRENT_STREAMS like any open stream.
const (
	maxDrainBody = 256 << 10
	drainTimeout = time.Second
)

// drain is a stream whose response is complete while its request body is
// still coming.
type drain struct {
	id    uint32
	left  int64     // body bytes still taken before RST_STREAM NO_ERROR
	until time.Time // when the server stops waiting for the body's end
}

// startDrain is called once st's response is complete (its END_STREAM
// is in the engine) while the request body is not: the rest of the body
// is discarded, or the client asked to stop (owner).
func (sc *serverConn) startDrain(st *stream) {
	sc.loop.AssertOwner()
	if st.reqLen >= 0 && st.reqLen-st.recvd > maxDrainBody {
		sc.resets = append(sc.resets, st.id) // too much left to wait for
		return
	}
	sc.drains = append(sc.drains, drain{id: st.id, left: maxDrainBody, until: time.Now().Add(sc.drainTime)})
}

// drained counts n discarded body bytes of stream id, if it is draining
// (owner).
func (sc *serverConn) drained(id uint32, n int, end bool) {
	sc.loop.AssertOwner()
	i := sc.drainIndex(id)
	if i < 0 {
		return
	}
	d := &sc.drains[i]
	d.left -= int64(n)
	switch {
	case end:
		sc.drains = slices.Delete(sc.drains, i, i+1) // the stream is closed
	case d.left < 0:
		sc.drains = slices.Delete(sc.drains, i, i+1)
		sc.resetDone(id)
	}
}

// endDrain forgets stream id's drain: the stream was reset, or the
// request's trailers ended it (owner).
func (sc *serverConn) endDrain(id uint32) {
	sc.loop.AssertOwner()
	if i := sc.drainIndex(id); i >= 0 {
		sc.drains = slices.Delete(sc.drains, i, i+1)
	}
}

func (sc *serverConn) drainIndex(id uint32) int {
	for i := range sc.drains {
		if sc.drains[i].id == id {
			return i
		}
	}
	return -1
}

// resetDone sends RST_STREAM NO_ERROR on a stream whose response is
// complete and whose request is not (RFC 9113, Section 8.1): now if the
// response's END_STREAM has left the engine's queue order (the reset
// cannot overtake it), else once it has (Written) (owner).
func (sc *serverConn) resetDone(id uint32) {
	sc.loop.AssertOwner()
	switch sc.eng.State(id) {
	case h2kit.StateHalfClosedLocal:
		sc.eng.ResetStream(id, frame.ErrCodeNo)
	case h2kit.StateOpen:
		sc.resets = append(sc.resets, id)
	}
}

// Wake moves what handlers queued into the engine (owner).
func (sc *serverConn) Wake() {
	sc.loop.AssertOwner()
	sc.dirty.Drain(&sc.batch, flushDirty)
	sc.pushMu.Lock()
	reqs := sc.pushReq
	sc.pushReq = nil
	sc.pushMu.Unlock()
	for _, p := range reqs {
		p.done <- sc.promise(p)
	}
	sc.startPending()
	if sc.connState != nil {
		sc.noteConnState() // a handler's reset closes its stream at once
	}
}

// Fill moves into the engine what streams queued while the socket writer
// was busy (connloop.Filler) (owner). Holding those bytes back keeps one
// copy of them, in the stream's queue, for a peer that does not read,
// rather than a second one in the engine's send buffers.
func (sc *serverConn) Fill() {
	sc.loop.AssertOwner()
	// No more than the next batch takes: the rest stays queued.
	sc.fillLeft = maxWriteBatch
	i := 0
	for ; i < len(sc.withheld) && sc.fillLeft > 0; i++ {
		if st := sc.streams.Get(sc.withheld[i]); st != nil {
			st.withheld = false
			st.flush()
		}
	}
	sc.withheld = sc.withheld[:copy(sc.withheld, sc.withheld[i:])]
}

// Written resets the streams whose response is complete, now that its
// END_STREAM has left the engine, while the client is still sending:
// RST_STREAM NO_ERROR asks it to stop without error (RFC 9113, Section
// 8.1) instead of uploading a body nobody reads (owner).
func (sc *serverConn) Written() {
	sc.loop.AssertOwner()
	sc.reconcile()
	if sc.connState != nil {
		sc.noteConnState() // streams close as their last frames go out
	}
	if len(sc.resets) == 0 {
		return
	}
	keep := sc.resets[:0]
	for _, id := range sc.resets {
		switch sc.eng.State(id) {
		case h2kit.StateHalfClosedLocal:
			sc.eng.ResetStream(id, frame.ErrCodeNo)
		case h2kit.StateOpen:
			keep = append(keep, id) // END_STREAM not taken yet
		}
	}
	sc.resets = keep
}

// Deadline is ReadHeaderTimeout until the first request, then the end of
// the oldest drain, if any (owner). None once the connection is over: a
// deadline past would fire again and again while the last frames are
// written.
func (sc *serverConn) Deadline() time.Time {
	sc.loop.AssertOwner()
	if sc.eng.Err() != nil {
		return time.Time{}
	}
	if !sc.sawRequest {
		if sc.readHeaderTimeout <= 0 {
			return time.Time{}
		}
		return sc.start.Add(sc.readHeaderTimeout)
	}
	d := sc.reqsCheck // zero without a cache
	if len(sc.drains) > 0 && (d.IsZero() || sc.drains[0].until.Before(d)) {
		d = sc.drains[0].until // drains are kept oldest first
	}
	return d
}

// reqCacheIdle is how long a connection keeps its RequestCache without a
// request (between once and twice this): a connection that goes quiet
// does not hold a browser's header strings (a few KiB, at most about
// 40).
const reqCacheIdle = 2 * time.Second

// cacheIdle is reqCacheIdle, or the test's.
func (s *Server) cacheIdle() time.Duration {
	if s.reqCacheIdle > 0 {
		return s.reqCacheIdle
	}
	return reqCacheIdle
}

// Timer fires ReadHeaderTimeout, ends the drains that waited long
// enough and drops an idle connection's RequestCache (owner).
func (sc *serverConn) Timer(now time.Time) {
	sc.loop.AssertOwner()
	if !sc.sawRequest {
		if sc.readHeaderTimeout > 0 && !now.Before(sc.start.Add(sc.readHeaderTimeout)) {
			sc.eng.Close(frame.ErrCodeNo, "no request in time")
		}
		return
	}
	if sc.reqs != nil && !now.Before(sc.reqsCheck) {
		if sc.reqsUsed {
			sc.reqsUsed = false
			sc.reqsCheck = now.Add(sc.srv.cacheIdle())
		} else {
			sc.reqs, sc.reqsCheck = nil, time.Time{}
			sc.srv.reqCacheDrops.Add(1)
		}
	}
	n := 0
	for n < len(sc.drains) && !now.Before(sc.drains[n].until) {
		sc.resetDone(sc.drains[n].id)
		n++
	}
	if n > 0 {
		sc.drains = slices.Delete(sc.drains, 0, n)
	}
}

// Closed ends every stream left (owner, last call).
func (sc *serverConn) Closed(err error) {
	sc.loop.AssertOwner()
	if err == nil {
		err = errConnClosed
	}
	sc.closeStreams(err)
	sc.budget.mu.Lock()
	sc.budget.wakeLocked() // their streams are closed: they return errors
	sc.budget.mu.Unlock()
	sc.srv.trackConn(sc, false)
}

var errConnClosed = errors.New("h2server: connection closed")

func (sc *serverConn) closeStreams(err error) {
	sc.gone.Store(true)
	if err == nil {
		err = errConnClosed
	}
	sc.drains, sc.resets = nil, nil
	// Collected first: forget deletes from the table.
	for _, st := range slices.Collect(sc.streams.Values()) {
		st.closeWith(err)
		sc.dropPending(st)
		sc.forget(st)
	}
	sc.pushMu.Lock()
	reqs := sc.pushReq
	sc.pushReq = nil
	sc.pushMu.Unlock()
	for _, p := range reqs {
		p.done <- err
	}
}

// forget drops the owner's reference to st (owner).
func (sc *serverConn) forget(st *stream) {
	sc.loop.AssertOwner()
	if sc.streams.Get(st.id) != st {
		return
	}
	sc.streams.Delete(st.id)
	if i := st.engIdx - 1; i >= 0 {
		sc.inEngine[i].st = nil // its bytes stay counted until written
		st.engIdx = 0
	}
	// What the handler queued and the engine did not take is dropped,
	// and its budget given back (the handler, if it is reading into the
	// queue, drops it itself).
	st.mu.Lock()
	freed := 0
	if !st.out.Filling() {
		freed = st.putOutLocked()
	}
	st.mu.Unlock()
	sc.budget.release(freed)
	if a := st.assoc; a != nil {
		st.assoc = nil
		if i := slices.Index(a.held, st); i >= 0 {
			a.held = slices.Delete(a.held, i, i+1)
		}
	}
	if len(st.held) > 0 {
		st.releaseHeld() // the associated stream is over: do not wait for it
	}
	st.release()
}

// markDirty queues st for the owner's next Wake. The caller holds a
// reference (the handler's); the stack takes one of its own, so a stream
// is never recycled while on it.
func (sc *serverConn) markDirty(st *stream) {
	sc.queueDirty(st)
	sc.loop.Wake()
}

// queueDirty is markDirty without the wake, for a caller that wakes the
// owner itself soon after.
func (sc *serverConn) queueDirty(st *stream) {
	if sc.dirty.Mark(st) {
		st.refs.Add(1)
		sc.dirty.Push(st)
	}
}

// onRequest starts a handler for a new request (owner); repeated is the
// event's RequestReceived.Repeated.
func (sc *serverConn) onRequest(id uint32, fields []hpack.Field, endStream bool, repeated uint64) {
	sc.loop.AssertOwner()
	sc.sawRequest = true
	if sc.reqs == nil {
		sc.reqs = new(httpcommon.RequestCache)
		sc.reqsCheck = time.Now().Add(sc.srv.cacheIdle())
	}
	sc.reqsUsed = true
	var x *requestAlloc
	var room httpcommon.Scratch
	vals, noCond, repeats := sc.reqs.Repeats(len(fields), repeated)
	if repeats && vals <= len(repeatedRequest{}.vals) {
		r := new(repeatedRequest)
		x, room = &r.requestAlloc, httpcommon.Scratch{Vals: r.vals[:0]}
	} else if len(fields) > wideRequestFields {
		w := new(wideRequest)
		x, room = &w.requestAlloc, httpcommon.Scratch{Vals: w.vals[:0], Strs: w.strs[:0]}
	} else {
		n := new(narrowRequest)
		x, room = &n.requestAlloc, httpcommon.Scratch{Vals: n.vals[:0], Strs: n.strs[:0]}
	}
	h, err := sc.reqs.DecodeRepeated(fields, room, repeated)
	if err != nil {
		sc.eng.ResetStream(id, frame.ErrCodeProtocol)
		return
	}
	x.rw.noCond = repeats && noCond
	// The request is made in place in x: its context first, while it is
	// still the zero Request (WithContext copies it, on the stack, and
	// back), then its fields. Made on the stack and copied in afterwards,
	// its 304 bytes were read back right after being written, waiting for
	// those stores to drain (perf: the hottest instruction of startStream
	// under many small requests).
	ctx, rc, cancel := newReqCtx(sc.baseCtx, &x.ctx)
	x.req = *x.req.WithContext(ctx)
	err = sc.newRequest(&x.req, &x.url, &h, endStream)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		// A :path that is no request target (RFC 9110, Section 15.5.1),
		// answered without a handler. Not a reset: those the client
		// provokes here would escape Limits.LocalResets (CVE-2025-8671).
		if sc.eng.SendHeaders(id, badRequestFields, true) == nil && !endStream {
			// RST_STREAM NO_ERROR once sent: no drain for a request
			// that is no request.
			sc.resets = append(sc.resets, id)
		}
		return
	}
	sc.startStream(id, &x.req, endStream, false, x, rc, cancel)
}

// requestAlloc is what a request needs: its http.Request, its URL, its
// context, its ResponseWriter, in one allocation with room for its
// header's values and strings (narrowRequest, wideRequest); a request
// with more gets them allocated. Never reused: a handler may keep any of
// them.
type requestAlloc struct {
	req http.Request
	url url.URL
	ctx reqCtx
	rw  responseWriter
}

// narrowRequest is the allocation of a request of a few fields: room for
// 4 values and 160 bytes of strings (those the connection's RequestCache
// does not share).
type narrowRequest struct {
	requestAlloc
	vals [4]string
	strs [160]byte
}

// repeatedRequest is the allocation of a request the connection's
// RequestCache makes again from the one before (RequestCache.Repeats:
// the same header block again, as a client polling or benchmarking
// sends): room for 4 values and no strings, which the cache shares;
// with the allocator's header, 640 bytes instead of narrowRequest's 768.
type repeatedRequest struct {
	requestAlloc
	vals [4]string
}

// wideRequest is the allocation of a request of more than
// wideRequestFields fields, such as a browser's: room for 18 values, and
// 72 bytes for strings, for a :path that changes from one request to the
// next (the RequestCache shares the others); with the allocator's 8-byte
// header, 896 bytes in all.
type wideRequest struct {
	requestAlloc
	vals [18]string
	strs [72]byte
}

const wideRequestFields = 12

var badRequestFields = []hpack.Field{{Name: ":status", Value: "400"}, {Name: "content-length", Value: "0"}}

// onRequestTooLarge answers, without a handler, a request whose header
// list exceeded SETTINGS_MAX_HEADER_LIST_SIZE: 431 Request Header Fields
// Too Large (RFC 6585, Section 5), as net/http answers such an HTTP/1.1
// request, rather than a bare RST_STREAM; the connection and its HPACK
// state go on (RFC 9113, Section 10.5.1). A body that follows is not
// read: RST_STREAM NO_ERROR once the 431 is out (Section 8.1) (owner).
func (sc *serverConn) onRequestTooLarge(id uint32, endStream bool) {
	sc.loop.AssertOwner()
	sc.sawRequest = true
	if sc.eng.SendHeaders(id, tooLargeFields, true) == nil && !endStream {
		sc.resets = append(sc.resets, id)
	}
}

var tooLargeFields = []hpack.Field{{Name: ":status", Value: "431"}, {Name: "content-length", Value: "0"}}

// newRequest builds in req the http.Request of a request head (owner).
func (sc *serverConn) newRequest(req *http.Request, u *url.URL, h *httpcommon.Request, endStream bool) error {
	sc.loop.AssertOwner()
	if err := h.HTTPRequestURL(req, u); err != nil {
		return err
	}
	req.RemoteAddr = sc.remote
	req.RequestURI = h.Path
	req.TLS = sc.tlsState()
	req.Trailer = h.Trailer
	if h.Method == http.MethodConnect && h.Protocol == "" {
		req.RequestURI = h.Authority
	}
	if h.Protocol != "" {
		req.Header[":protocol"] = []string{h.Protocol}
	}
	switch {
	case endStream:
		req.ContentLength = 0
	default:
		req.ContentLength = h.ContentLength
	}
	return nil
}

// startStream creates the stream record and runs the handler (owner).
//
// x holds the request's http.Request (req is &x.req, with its context
// already, whose reqCtx or cancel function rc and cancel are: newReqCtx),
// URL and ResponseWriter; or x is nil to have the request's context made
// and the request (copied with it) and the ResponseWriter allocated.
func (sc *serverConn) startStream(id uint32, req *http.Request, endStream, pushed bool, x *requestAlloc, rc *reqCtx, cancel context.CancelFunc) *stream {
	sc.loop.AssertOwner()
	st := getStream()
	st.sc = sc
	st.id = id
	if x != nil {
		st.rw = &x.rw
	}
	st.isHead = req.Method == http.MethodHead
	st.isConnect = req.Method == http.MethodConnect
	st.pushed = pushed
	if endStream {
		st.in.End()
	}
	st.reqLen = req.ContentLength
	st.trailer = req.Trailer
	st.credit, st.window = sc.eng.SendWindows(id)
	var ctx context.Context
	if x == nil {
		ctx, rc, cancel = newReqCtx(sc.baseCtx, nil)
	}
	st.ctx, st.cancelStd = rc, cancel
	if sc.writeTimeout > 0 {
		st.writeDeadline = time.Now().Add(sc.writeTimeout)
	}
	if sc.readTimeout > 0 && !endStream {
		// http.Server.ReadTimeout, as net/http's HTTP/2 applies it: the
		// body's reads fail with os.ErrDeadlineExceeded this long after
		// the request arrived (ResponseController.SetReadDeadline moves it).
		st.readDeadline = time.Now().Add(sc.readTimeout)
	}
	if endStream {
		req.Body = http.NoBody
	} else {
		st.body = &requestBody{st: st}
		req.Body = st.body
		if v := req.Header["Expect"]; len(v) == 1 && asciiEqualFold(v[0], "100-continue") {
			st.expect100.Store(true)
		}
	}
	if x != nil {
		st.req = req // x's, with its context
	} else {
		st.req = req.WithContext(ctx)
	}
	sc.streams.Set(id, st)
	if pushed {
		sc.handlers.Add(1)
		goServe(st)
	} else {
		st.pending = true
		sc.pending = append(sc.pending, st)
		sc.startPending()
	}
	return st
}

// startPending starts waiting handlers, in order, while fewer than
// maxHandlers run (owner).
func (sc *serverConn) startPending() {
	sc.loop.AssertOwner()
	for len(sc.pending) > 0 {
		if sc.handlers.Load() >= sc.maxHandlers {
			// Publish the queue, then look again: a handler that
			// returned before it saw the queue did not wake us.
			sc.npending.Store(int32(len(sc.pending)))
			if sc.handlers.Load() >= sc.maxHandlers {
				return
			}
			continue
		}
		st := sc.pending[0]
		sc.pending = sc.pending[:copy(sc.pending, sc.pending[1:])]
		st.pending = false
		sc.handlers.Add(1)
		goServe(st)
	}
	if sc.npending.Load() != 0 { // only the owner stores it: no store when it is 0
		sc.npending.Store(0)
	}
}

// dropPending removes st from the waiting requests, if it is there, and
// ends it without running its handler (its stream is gone) (owner).
func (sc *serverConn) dropPending(st *stream) {
	sc.loop.AssertOwner()
	if !st.pending {
		return
	}
	st.pending = false
	if i := slices.Index(sc.pending, st); i >= 0 {
		sc.pending = slices.Delete(sc.pending, i, i+1)
	}
	sc.npending.Store(int32(len(sc.pending)))
	st.cancel()
	st.mu.Lock()
	st.in.CloseWith(errHandlerDone, keepIn)
	st.mu.Unlock()
	st.release() // the handler's reference
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// pushRequest is a handler's Push waiting for the owner.
type pushRequest struct {
	st     *stream
	fields []hpack.Field
	req    *http.Request
	done   chan error
}

// promise sends a PUSH_PROMISE and starts the pushed response (owner).
func (sc *serverConn) promise(p *pushRequest) error {
	sc.loop.AssertOwner()
	if sc.streams.Get(p.st.id) != p.st {
		return errStreamClosed
	}
	id, err := sc.eng.PushPromise(p.st.id, p.fields)
	switch {
	case errors.Is(err, h2kit.ErrPushDisabled):
		return http.ErrNotSupported
	case err != nil:
		return err
	}
	p.st.holdPush(sc.startStream(id, p.req, true, true, nil, nil, nil))
	return nil
}

// maxWriteBatch bounds the bytes of one write to the socket
// (connloop.Options.MaxWriteBatch). A peer that stops reading leaves one
// batch with the writer, on top of connBudget.
const maxWriteBatch = 128 << 10

// engineSendBuffer is the engine's per-stream send buffer
// (h2kit.Limits.MaxStreamSendBuffer) unless Server.Limits sets one.
const engineSendBuffer = 16 << 10

// flushDirty moves a dirty stream's work into the engine and drops the
// dirty stack's reference (owner).
func flushDirty(st *stream) {
	st.flush()
	st.release()
}
