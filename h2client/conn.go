package h2client

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/internal/connloop"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/idmap"
	"github.com/h2kit/h2kit/internal/pipe"
)

// clientConn is one HTTP/2 connection. Methods marked "owner" run on the
// connloop goroutine, the only one that touches the engine; request
// goroutines reach it through their streams (markDirty + Wake).
type clientConn struct {
	t     *Transport
	p     *pool
	key   originKey
	host  string // the origin's host, for push authority checks
	nc    net.Conn
	eng   *h2kit.Conn
	loop  *connloop.Loop
	tls   *tls.ConnectionState
	reneg *renegGuard // MS-HTTP2E, nil unless enabled
	used  atomic.Bool // a request used it (httptrace Reused)

	// gotSettings: the server's first SETTINGS arrived (its connection
	// preface); until then CloseIdleConnections ends the connection.
	gotSettings atomic.Bool
	// abandoned: CloseIdleConnections ended the connection before the
	// server answered (set before loop.Close).
	abandoned atomic.Bool

	// Guarded by pool.mu.
	reserved   int  // streams reserved by requests, not yet finished
	maxStreams int  // the server's SETTINGS_MAX_CONCURRENT_STREAMS
	closing    bool // takes no new request

	dirty   pipe.Stack[clientStream, *clientStream] // streams with work for the owner
	gone    atomic.Bool                             // the loop is over
	readErr atomic.Pointer[error]                   // what ended the reads
	maxOpen atomic.Int32                            // the most streams open at once (tests, stats)

	// Owner-only.
	dec         httpcommon.ResponseDecoder
	streams     idmap.Map[*clientStream]
	flushAll    []*clientStream // pipe.WindowUpdated's scratch
	pendingOpen []*clientStream // wait for the server's stream limit
	opening     bool            // openPending is running
	idleSince   time.Time
	termErr     error
	batch       []*clientStream
	forgotten   []*clientStream // whose owner reference dropForgotten drops
	last        *clientStream   // the stream stream() found last, if still in streams
	anchors     []uint32        // the ids of Transport.PriorityAnchors (priority7540.go)
	anchorErr   error           // why they could not all be sent
}

// newConn wraps a connection that speaks HTTP/2 (after ALPN, prior
// knowledge or an Upgrade). eng may be given (Upgrade), else it is made
// here; r, if set, is read instead of nc (it holds buffered bytes).
func (t *Transport) newConn(key originKey, nc net.Conn, st *tls.ConnectionState, guard *renegGuard, eng *h2kit.Conn, r io.Reader) *clientConn {
	cc := &clientConn{
		t:          t,
		p:          t.getPool(),
		key:        key,
		nc:         nc,
		tls:        st,
		reneg:      guard,
		maxStreams: initialMaxStreams,
		idleSince:  time.Now(),
	}
	if h, _, err := net.SplitHostPort(key.addr); err == nil {
		cc.host = h
	}
	if eng == nil {
		cfg := t.engineConfig(nc)
		if guard != nil {
			cfg.Settings.TLSRenegPermitted = uint32(h2kit.RenegServerInitiated)
		}
		eng = h2kit.NewConn(cfg, time.Now())
	}
	cc.eng = eng
	cc.sendAnchors() // before the loop starts: right after the preface
	opts := connloop.Options{WriteTimeout: t.WriteByteTimeout}
	if r == nil && st == nil {
		// A plain socket (prior knowledge): connloop reads it itself and
		// the owner writes it without a writer goroutine per batch
		// (Gathering says it does). A read error other than EOF reaches
		// the requests as connloop.ErrPeerClosed wrapping it.
		cc.loop = connloop.New(nc, eng, cc, opts)
		if cc.loop.Gathering() {
			return cc
		}
	}
	if r == nil {
		r = nc
	}
	opts.Reader = &recordingReader{r: r, cc: cc}
	cc.loop = connloop.New(nc, eng, cc, opts)
	return cc
}

// recordingReader keeps the error that ended the reads itself (connloop
// reports it as connloop.ErrPeerClosed, wrapping any but EOF): on TLS, where the error may be
// a refused renegotiation (closeReason), on a connection with bytes read
// ahead (Upgrade), and on a socket connloop does not read itself.
type recordingReader struct {
	r  io.Reader
	cc *clientConn
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		e := err // only errors escape
		r.cc.readErr.CompareAndSwap(nil, &e)
	}
	return n, err
}

// run drives the connection until it is over.
func (cc *clientConn) run() {
	cc.loop.Run()
}

// markDirty queues st for the owner's next Wake. The caller holds a
// reference to st; the dirty stack takes one of its own.
func (cc *clientConn) markDirty(st *clientStream) {
	// The owner is woken by the push that finds the stack empty: a
	// stream already on it (Mark false) or pushed above others is taken
	// by the Drain that push's wake-up leads to (pipe.Stack.Push).
	if cc.dirty.Mark(st) {
		st.refs.Add(1)
		if cc.dirty.Push(st) {
			cc.loop.Wake()
		}
	}
	if cc.gone.Load() {
		// The loop is over (or ending): nobody else will look.
		cc.drainGone()
	}
}

// queueNew is markDirty for a stream just made by newStream, which took
// the dirty stack's reference already.
func (cc *clientConn) queueNew(st *clientStream) {
	if cc.dirty.Mark(st) {
		if cc.dirty.Push(st) {
			cc.loop.Wake()
		}
	} else {
		// A context ended at once (its AfterFunc's fail) queued st, with
		// a reference of its own.
		st.drop()
	}
	if cc.gone.Load() {
		cc.drainGone()
	}
}

// Event handles one engine event (owner).
func (cc *clientConn) Event(ev h2kit.Event) {
	cc.loop.AssertOwner()
	switch e := ev.(type) {
	case *h2kit.ResponseReceived:
		if st := cc.stream(e.StreamID); st != nil {
			st.onResponse(e.Fields, e.EndStream, e.Repeated)
		}
	case *h2kit.DataReceived:
		st := cc.stream(e.StreamID)
		if st != nil && e.EndStream {
			// The stream is done before its reader hears of it: the pool
			// slot is free by the time the reader's next request asks.
			st.recvEnded()
		}
		if st == nil || !st.onData(e.Data, e.EndStream) {
			cc.eng.ConsumeData(e.StreamID, len(e.Data))
		}
	case *h2kit.TrailersReceived:
		if st := cc.streams.Get(e.StreamID); st != nil {
			st.recvEnded() // before the reader wakes, as for DATA
			st.onTrailers(e.Fields)
		}
	case *h2kit.InformationalResponseReceived:
		if st := cc.streams.Get(e.StreamID); st != nil {
			st.onInformational(e.Fields)
		}
	case *h2kit.StreamReset:
		if st := cc.streams.Get(e.StreamID); st != nil {
			st.onReset(e)
		}
	case *h2kit.WindowUpdated:
		pipe.WindowUpdated(&cc.streams, e.StreamID, (*clientStream).flush, &cc.flushAll)
	case *h2kit.PushPromiseReceived:
		cc.onPushPromise(e)
	case *h2kit.SettingsReceived:
		cc.gotSettings.Store(true)
		for _, s := range e.Settings {
			if s.ID == frame.SettingMaxConcurrentStreams {
				cc.p.setMaxStreams(cc, s.Val)
			}
		}
		if cc.reneg != nil {
			cc.reneg.settings(cc.eng.RenegotiationPermitted(h2kit.RenegServerInitiated))
		}
		cc.connEvent(ev)
	case *h2kit.GoAwayReceived:
		// No new streams; those above LastStreamID come back as
		// retryable StreamReset events.
		cc.p.markClosing(cc)
		cc.connEvent(ev)
	case *h2kit.ConnectionTerminated:
		cc.p.markClosing(cc)
		err := cc.explain(e.Err)
		cc.termErr = err
		cc.failAll(err)
		if err != e.Err {
			ev = &h2kit.ConnectionTerminated{Err: err}
		}
		cc.connEvent(ev)
	case *h2kit.SettingsAcked, *h2kit.PingAcked:
		cc.connEvent(ev)
	}
	if len(cc.pendingOpen) > 0 {
		cc.openPending() // a stream may have ended
	}
	cc.dropForgotten()
}

// dropForgotten drops the owner's references to the streams forgotten
// during the callback now ending, once nothing on the owner's side uses
// them any more (owner).
func (cc *clientConn) dropForgotten() {
	if len(cc.forgotten) == 0 {
		return
	}
	for i, st := range cc.forgotten {
		st.drop()
		cc.forgotten[i] = nil
	}
	cc.forgotten = cc.forgotten[:0]
}

// stream returns the stream of id, nil if there is none (owner). It
// keeps the last one found: a response's HEADERS and DATA often come one
// after the other.
func (cc *clientConn) stream(id uint32) *clientStream {
	if st := cc.last; st != nil && st.id == id {
		return st
	}
	st := cc.streams.Get(id)
	if st != nil {
		cc.last = st
	}
	return st
}

func (cc *clientConn) connEvent(ev h2kit.Event) {
	if cc.t.ConnEvent != nil {
		cc.t.ConnEvent(cc.nc, ev)
	}
}

// Wake moves what request goroutines queued into the engine (owner).
func (cc *clientConn) Wake() {
	cc.loop.AssertOwner()
	cc.dirty.Drain(&cc.batch, flushDirty)
	if len(cc.pendingOpen) > 0 {
		cc.openPending()
	}
	cc.dropForgotten()
}

// Written: streams whose END_STREAM left may have freed room under the
// server's limit (owner).
func (cc *clientConn) Written() {
	cc.loop.AssertOwner()
	if len(cc.pendingOpen) > 0 {
		cc.openPending()
	}
	cc.dropForgotten()
}

// Deadline is when an idle connection is closed (owner).
func (cc *clientConn) Deadline() time.Time {
	cc.loop.AssertOwner()
	if cc.t.IdleConnTimeout <= 0 || cc.streams.Len() > 0 || len(cc.pendingOpen) > 0 {
		return time.Time{}
	}
	return cc.idleSince.Add(cc.t.IdleConnTimeout)
}

// Timer closes the connection when it stayed idle (owner).
func (cc *clientConn) Timer(now time.Time) {
	cc.loop.AssertOwner()
	if cc.streams.Len() > 0 || len(cc.pendingOpen) > 0 {
		return
	}
	if cc.p.closeIfIdle(cc) {
		cc.eng.Shutdown()
	} else {
		cc.idleSince = now // a request is on its way
	}
}

// Closed ends the streams left and leaves the pool (owner, last call).
func (cc *clientConn) Closed(err error) {
	cc.loop.AssertOwner()
	cc.gone.Store(true)
	cc.p.remove(cc)
	if cc.reneg != nil {
		cc.reneg.closed()
	}
	err = cc.closeReason(err)
	cc.failAll(err)
	cc.drainGone()
	cc.dropForgotten()
}

// explain turns the engine's error for the end of the connection into
// the requests' error when the engine's text would mislead: a server that
// never answered is not a "SETTINGS_TIMEOUT" or "NO_ERROR" (owner).
func (cc *clientConn) explain(err error) error {
	cc.loop.AssertOwner()
	if cc.abandoned.Load() {
		return &closedError{addr: cc.key.addr, cause: err}
	}
	var ce *h2kit.ConnError
	if !errors.As(err, &ce) || ce.Initiator != h2kit.Local {
		return err
	}
	switch {
	case ce.Code == frame.ErrCodeSettingsTimeout:
		// RFC 9113, Section 6.5.3: our SETTINGS went unacknowledged;
		// without any SETTINGS from the server either, it never spoke.
		what := "no SETTINGS within "
		if cc.gotSettings.Load() {
			what = "SETTINGS not acknowledged within "
		}
		return &silentError{addr: cc.key.addr, what: what + cc.t.settingsTimeout().String(), cause: err}
	case ce.Code == frame.ErrCodeNo && strings.HasPrefix(ce.Reason, "PING not acknowledged"):
		// The engine's keepalive (ReadIdleTimeout) found the server
		// silent.
		return &silentError{addr: cc.key.addr, what: "PING not acknowledged within " + cc.t.pingTimeout().String(), cause: err}
	}
	return err
}

// abandon ends a connection whose server has not answered yet, and the
// requests on it (CloseIdleConnections; any goroutine).
func (cc *clientConn) abandon() {
	cc.abandoned.Store(true)
	cc.loop.Close(nil)
}

// closeReason names why the connection ended.
func (cc *clientConn) closeReason(err error) error {
	if cc.termErr != nil {
		return cc.termErr
	}
	if p := cc.readErr.Load(); p != nil && *p != io.EOF {
		if cc.reneg.refusedRenegotiation(*p) {
			// MS-HTTP2E: a renegotiation that was not permitted is a
			// PROTOCOL_ERROR; TLS already failed the connection, so no
			// GOAWAY can carry it.
			return &h2kit.ConnError{Code: frame.ErrCodeProtocol, Reason: "TLS renegotiation not permitted: " + (*p).Error(), Initiator: h2kit.Local}
		}
		if err == nil || errors.Is(err, connloop.ErrPeerClosed) {
			return *p
		}
	}
	if err == nil {
		return errConnClosed
	}
	return err
}

// failAll ends every stream with err (owner).
func (cc *clientConn) failAll(err error) {
	cc.loop.AssertOwner()
	if err == nil {
		err = errConnClosed
	}
	for _, st := range slices.Collect(cc.streams.Values()) {
		st.connFailed(err) // forgets st: not while Values runs
	}
	for _, st := range cc.pendingOpen {
		st.pending = false
		if st.waitSettings {
			// The server never said whether it takes extended CONNECT:
			// its connection's error, not a retry on a new one.
			st.fail(err, false)
			st.release()
			continue
		}
		st.notSent()
	}
	cc.pendingOpen = nil
}

// drainGone fails the streams queued after the loop ended: they were
// never sent (any goroutine).
func (cc *clientConn) drainGone() {
	if cc.dirty.Empty() {
		return
	}
	for _, st := range cc.dirty.TakeAll(nil) {
		if !st.opened {
			st.notSent()
		}
		st.drop() // the dirty stack's reference
	}
}

// open starts stream st with its request header section (owner).
func (cc *clientConn) open(st *clientStream) bool {
	cc.loop.AssertOwner()
	id, err := cc.sendRequest(st) // priority7540.go
	switch {
	case err == nil:
	case errors.Is(err, h2kit.ErrTooManyStreams) && !cc.t.StrictMaxConcurrentStreams && !st.pending:
		// The pool assumed more room than the server's SETTINGS give (a
		// new connection, or a lowered limit): another connection takes
		// the request; the pool knows the limit by now.
		st.notSent()
		return false
	case errors.Is(err, h2kit.ErrTooManyStreams):
		// StrictMaxConcurrentStreams: wait here for a stream to end.
		if !st.pending {
			st.pending = true
			cc.pendingOpen = append(cc.pendingOpen, st)
		}
		return false
	case errors.Is(err, h2kit.ErrExtendedConnectDisabled):
		cc.holdExtendedConnect(st) // connect.go
		return false
	case errors.Is(err, h2kit.ErrStreamsExhausted), errors.Is(err, h2kit.ErrConnClosed):
		cc.p.markClosing(cc)
		st.pending = false
		st.notSent()
		return false
	default:
		st.pending = false
		st.fail(err, false)
		st.release()
		return false
	}
	st.recycleFields()
	// id, opened and sentEnd change on the owner's goroutine alone; the
	// lock is for the goroutines that read them meanwhile: a body writer
	// (waitOpen) and PriorityHandle.StreamID. Any other reader (Close,
	// after the response) comes after a lock the owner takes later.
	locked := st.wsig != nil || st.prioHandle
	if locked {
		st.mu.Lock()
	}
	st.id = id
	st.opened = true
	if st.endOnHeaders {
		st.sentEnd = true
	}
	if locked {
		st.mu.Unlock()
	}
	st.notifyWriter()
	cc.streams.Set(id, st)
	st.registered = true
	if n := int32(cc.streams.Len()); n > cc.maxOpen.Load() {
		cc.maxOpen.Store(n)
	}
	return true
}

// openPending opens the streams that waited for room, in order (owner).
func (cc *clientConn) openPending() {
	cc.loop.AssertOwner()
	if cc.opening {
		return
	}
	cc.opening = true
	defer func() { cc.opening = false }()
	for len(cc.pendingOpen) > 0 && cc.eng.Err() == nil {
		st := cc.pendingOpen[0]
		if st.cancelled() {
			cc.pendingOpen = cc.pendingOpen[1:]
			st.pending = false
			st.release()
			continue
		}
		if !cc.open(st) {
			if st.pending {
				return // still no room; it keeps its place
			}
			cc.pendingOpen = cc.pendingOpen[1:] // failed for good (retried elsewhere)
			continue
		}
		cc.pendingOpen = cc.pendingOpen[1:]
		st.pending = false
		st.flush()
	}
}

// forget drops the owner's record of st (owner).
func (cc *clientConn) forget(st *clientStream) {
	cc.loop.AssertOwner()
	if st.registered {
		st.registered = false
		cc.streams.Delete(st.id)
		if cc.last == st {
			cc.last = nil
		}
		if cc.streams.Len() == 0 {
			cc.idleSince = time.Now()
		}
		st.forgotten.Store(true)
		// The owner's reference goes at the end of the callback: the
		// code that called forget may still use st.
		cc.forgotten = append(cc.forgotten, st)
	}
	st.release()
}

// flushDirty moves a dirty stream's work into the engine and drops the
// dirty stack's reference (owner).
func flushDirty(st *clientStream) {
	st.flush()
	st.drop()
}
