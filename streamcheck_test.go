package h2kit

import (
	"fmt"
	"testing"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// streamChecker is an invariant check on what an engine sends: it
// follows every stream through the states of RFC 9113, Section 5.1 from
// the frames the engine sends and receives, and records any frame the
// engine sends that is not allowed in the stream's state from the
// sender's point of view. It is a model written from the RFC, separate
// from the engine's own state table, so a mistake in one is not hidden
// by the same mistake in the other.
//
// Frames are judged in the order the engine commits them to its output
// (the Tracer's order, which is the order AppendOutgoing writes them),
// interleaved with the frames it has received by then: a frame queued
// before the peer's RST_STREAM arrived is judged as sent before it, as
// the RFC allows for frames already on their way.
//
// Received frames may be anything (the fuzz targets send garbage): the
// model moves a stream only on a frame that is legal for it, and where
// the engine refuses a frame the model may stay more permissive than the
// engine, never stricter.
type streamChecker struct {
	role     Role
	states   map[uint32]StreamState
	lastPeer uint32 // highest stream id the peer opened or promised
	lastOwn  uint32 // highest stream id we opened or promised
	block    uint32 // stream of our header block awaiting CONTINUATION (0: none)
	bad      []string
}

func newStreamChecker(role Role) *streamChecker {
	return &streamChecker{role: role, states: map[uint32]StreamState{}}
}

// peerID reports whether the peer opens (or promises) stream id.
func (k *streamChecker) peerID(id uint32) bool { return (id%2 == 1) == (k.role == Server) }

// state returns the model's state of stream id. Streams never seen are
// idle unless a higher id of the same side was used (Section 5.1.1:
// lower idle ids are closed by it).
func (k *streamChecker) state(id uint32) StreamState {
	if st, ok := k.states[id]; ok {
		return st
	}
	if k.peerID(id) && id <= k.lastPeer || !k.peerID(id) && id <= k.lastOwn {
		return StateClosed
	}
	return StateIdle
}

func (k *streamChecker) failf(format string, args ...any) {
	if len(k.bad) < 10 {
		k.bad = append(k.bad, fmt.Sprintf(format, args...))
	}
}

// endStream applies END_STREAM sent (local) or received.
func (k *streamChecker) endStream(id uint32, local bool) {
	switch st := k.state(id); {
	case st == StateOpen && local:
		k.states[id] = StateHalfClosedLocal
	case st == StateOpen:
		k.states[id] = StateHalfClosedRemote
	case st == StateHalfClosedRemote && local, st == StateHalfClosedLocal && !local:
		k.states[id] = StateClosed
	}
}

// sent judges and applies a frame the engine sends.
func (k *streamChecker) sent(f frame.Frame) {
	h := f.FrameHeader()
	id := h.StreamID
	if k.block != 0 {
		// Section 6.10: nothing but the block's CONTINUATION frames
		// until END_HEADERS.
		if h.Type != frame.TypeContinuation || id != k.block {
			k.failf("%v on stream %d inside the header block of stream %d", h.Type, id, k.block)
		}
		if h.Flags.Has(frame.FlagEndHeaders) {
			k.block = 0
		}
		return
	}
	if id == 0 {
		return // connection frames have no stream state
	}
	st := k.state(id)
	ok := false
	switch h.Type {
	case frame.TypeHeaders:
		hd := f.(*frame.Headers)
		switch st {
		case StateIdle:
			// Section 5.1.1: a new stream has an id of our parity,
			// larger than every one we used.
			ok = !k.peerID(id) && id > k.lastOwn
			k.lastOwn = max(k.lastOwn, id)
			k.states[id] = StateOpen
		case StateReservedLocal:
			ok = true
			k.states[id] = StateHalfClosedRemote
		case StateOpen, StateHalfClosedRemote:
			ok = true
		}
		if ok && hd.EndStream {
			k.endStream(id, true)
		}
		if !hd.EndHeaders {
			k.block = id
		}
	case frame.TypeData:
		ok = st == StateOpen || st == StateHalfClosedRemote
		if ok && f.(*frame.Data).EndStream {
			k.endStream(id, true)
		}
	case frame.TypePushPromise:
		p := f.(*frame.PushPromise)
		// Section 6.6: on a stream open for us, promising an idle
		// stream of our parity.
		ok = (st == StateOpen || st == StateHalfClosedRemote) && k.role == Server &&
			!k.peerID(p.PromisedID) && k.state(p.PromisedID) == StateIdle && p.PromisedID > k.lastOwn
		k.lastOwn = max(k.lastOwn, p.PromisedID)
		k.states[p.PromisedID] = StateReservedLocal
		if !p.EndHeaders {
			k.block = id
		}
	case frame.TypeRSTStream:
		// Section 6.4: never on an idle stream. On a closed stream it is
		// the stream error that Sections 5.1 and 6.1 ask for when the
		// peer sends on it. One exception is tolerated on an idle
		// stream: the peer may send PRIORITY there, and a PRIORITY
		// depending on itself or of a length other than 5 is a stream
		// error (Sections 5.3.1 and 6.3), which the engine answers with
		// RST_STREAM as h2spec expects. (A malformed frame does not
		// reach the tracer, so the checker cannot tell this case apart.)
		ok = true
		if st == StateIdle && k.peerID(id) {
			k.lastPeer = max(k.lastPeer, id) // the engine counts the id as used
		}
		k.states[id] = StateClosed
	case frame.TypeWindowUpdate:
		// Section 5.1: WINDOW_UPDATE is for streams we may still
		// receive on: open, half-closed (local), reserved (remote), and
		// half-closed (remote) (pointless but allowed).
		switch st {
		case StateOpen, StateHalfClosedLocal, StateHalfClosedRemote, StateReservedRemote:
			ok = true
		}
	case frame.TypePriority:
		ok = true // Section 5.1: PRIORITY in any state
	case frame.TypeContinuation:
		ok = false // only inside a header block, handled above
	default:
		ok = st != StateIdle
	}
	if !ok {
		k.failf("sent %v on stream %d in state %v", h.Type, id, st)
	}
}

// received applies a frame the engine received (if legal for the stream).
func (k *streamChecker) received(f frame.Frame) {
	h := f.FrameHeader()
	id := h.StreamID
	if id == 0 {
		return
	}
	st := k.state(id)
	switch h.Type {
	case frame.TypeHeaders:
		hd := f.(*frame.Headers)
		switch {
		case st == StateIdle && k.peerID(id):
			k.lastPeer = max(k.lastPeer, id)
			k.states[id] = StateOpen
		case st == StateReservedRemote:
			k.states[id] = StateHalfClosedLocal
		case st == StateOpen || st == StateHalfClosedLocal:
		default:
			return
		}
		if hd.EndStream {
			k.endStream(id, false)
		}
	case frame.TypeData:
		if f.(*frame.Data).EndStream {
			k.endStream(id, false)
		}
	case frame.TypePushPromise:
		pid := f.(*frame.PushPromise).PromisedID
		if k.peerID(pid) && k.state(pid) == StateIdle {
			k.lastPeer = max(k.lastPeer, pid)
			k.states[pid] = StateReservedRemote
		}
	case frame.TypeRSTStream:
		if st != StateIdle {
			k.states[id] = StateClosed
		}
	}
}

// check fails t with the violations seen.
func (k *streamChecker) check(t testing.TB, who string) {
	t.Helper()
	for _, b := range k.bad {
		t.Errorf("%s (RFC 9113, Section 5.1): %s", who, b)
	}
}

// checkTracer feeds a streamChecker and passes every call on to next.
type checkTracer struct {
	next Tracer
	chk  *streamChecker
}

func (c checkTracer) FrameReceived(h frame.Header, f frame.Frame, fs []hpack.Field) {
	c.chk.received(f)
	if c.next != nil {
		c.next.FrameReceived(h, f, fs)
	}
}

func (c checkTracer) FrameSent(h frame.Header, f frame.Frame, fs []hpack.Field) {
	c.chk.sent(f)
	if c.next != nil {
		c.next.FrameSent(h, f, fs)
	}
}

// withStreamCheck returns cfg with its tracer wrapped by a stream state
// checker for role; the checker reports to t when the test ends.
func withStreamCheck(t testing.TB, cfg Config, role Role) Config {
	chk := newStreamChecker(role)
	cfg.Tracer = checkTracer{next: cfg.Tracer, chk: chk}
	t.Cleanup(func() { chk.check(t, role.String()+" engine") })
	return cfg
}
