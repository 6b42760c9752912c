package h2kit

import (
	"github.com/h2kit/h2kit/hpack"
)

// stream is the engine's record of one stream.
type stream struct {
	id        uint32
	state     StreamState
	recvPhase phase
	sendPhase phase

	// Flow control (RFC 9113, Section 5.2 and 6.9). sendWindow may be
	// negative after a SETTINGS_INITIAL_WINDOW_SIZE decrease (6.9.2).
	sendWindow int64
	recv       recvWindow
	recvHeld   int64  // delivered in DataReceived, not yet consumed
	bdpBytes   int64  // DATA received in AutoWindow epoch bdpEpoch (ping.go)
	bdpEpoch   uint32 // the epoch bdpBytes counts in

	// Sending: data accepted by SendData, waiting for the scheduler.
	sendBuf      []byte
	sendOff      int           // bytes of sendBuf already written
	sendEnd      bool          // END_STREAM once sendBuf is written
	trailers     []hpack.Field // trailers to encode once sendBuf is written
	trailerArena []byte
	blocked      bool   // SendData accepted less than asked: report WindowUpdated
	lentEpoch    uint32 // segments reference sendBuf if this is lendState.epoch (segments.go)
	borrowed     bool   // sendBuf is the caller's memory (SendDataRef): never pooled, never appended to

	// Message checks (RFC 9113, Section 8.1.1).
	contentLength int64 // -1: not declared
	received      int64
	isHead        bool // request method HEAD: the response has no body
	isConnect     bool // request method CONNECT (client): a 2xx response opens a tunnel

	pushed bool // a promised stream

	// cause is why the stream closed, set by apply as it enters the
	// closed state (RFC 9113, Section 5.1, "closed").
	cause closeCause

	prio  Priority  // RFC 9218
	node  *prioNode // RFC 7540 tree node
	ready bool      // queued in the scheduler
	vt    float64   // scheduler virtual time
}

// peerInitiated reports whether the peer opened (or promised) stream id.
func (c *Conn) peerInitiated(id uint32) bool {
	odd := id%2 == 1
	return odd == (c.role == Server)
}

// active reports whether a stream in state st counts toward
// SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113, Section 5.1.2): open and
// half-closed streams count; reserved ones do not (promised streams are
// bounded on their own, by reservedCount, in PushPromise and
// onPromiseBlock).
func active(st StreamState) bool {
	switch st {
	case StateOpen, StateHalfClosedLocal, StateHalfClosedRemote:
		return true
	}
	return false
}

// closeStream forgets s, remembering that it was closed.
func (c *Conn) closeStream(s *stream) {
	if s.recvHeld > 0 {
		// Bytes the application will never consume: give the connection
		// window back.
		c.creditConn(s.recvHeld)
		s.recvHeld = 0
	}
	c.sched.remove(s)
	c.refundSend(s) // unsent DATA gives its connection credit back (Section 6.9)
	if s.borrowed || c.lent(s) {
		c.dropSendBuf(s) // not the engine's, or kept until ReleaseOutgoing
	} else {
		c.putBuf(s.sendBuf)
		s.sendBuf = nil
	}
	c.streams.Delete(s.id)
	c.closed.add(s.id, s.id, s.cause)
	c.lastActivity = c.now
	if len(c.streamPool) < c.streamPoolBound() {
		c.streamPool = append(c.streamPool, s)
	}
}

// Bounds of the records a connection keeps for its next streams.
const (
	streamPoolMin = 64  // kept whatever the stream limit
	streamPoolMax = 256 // kept at most
)

// streamPoolBound is how many closed stream records c keeps for reuse:
// as many as it may have streams open at once (the limit the peer set on
// our streams, or the one we set on the peer's, RFC 9113, Section
// 5.1.2), at least streamPoolMin and at most streamPoolMax. A record
// goes to the pool only when a stream closes and newStream takes one
// from there before it makes a new one, so the pool never holds more
// records than the connection once had streams open at the same time: a
// connection that never ran more than a few streams keeps that few. A
// client running 100 streams on a server's limit of 100 makes no record
// per request, as a fixed 64 made 36 in every 100.
func (c *Conn) streamPoolBound() int {
	limit := c.peer.maxConcurrentStreams
	if c.role == Server {
		limit = c.effectiveMaxStreams()
	}
	return int(max(streamPoolMin, min(limit, streamPoolMax)))
}

// ignoredAfterGoAway reports whether id is a stream the peer opened
// above the last stream id of a GOAWAY we sent: its frames are ignored
// (RFC 9113, Section 6.8).
func (c *Conn) ignoredAfterGoAway(id uint32) bool {
	return c.goAway.sent && c.peerInitiated(id) && id > c.goAway.lastID
}

// State returns the state of stream id as this engine sees it.
func (c *Conn) State(id uint32) StreamState {
	if s := c.streams.Get(id); s != nil {
		return s.state
	}
	if c.peerInitiated(id) {
		if id > c.lastPeerID {
			return StateIdle
		}
	} else if id >= c.nextID {
		return StateIdle
	}
	return StateClosed
}

func (c *Conn) reservedCount() int {
	n := 0
	for s := range c.streams.Values() {
		if s.state == StateReservedRemote || s.state == StateReservedLocal {
			n++
		}
	}
	return n
}

// newStream creates the record for stream id in state idle.
func (c *Conn) newStream(id uint32) *stream {
	var s *stream
	if n := len(c.streamPool); n > 0 {
		s = c.streamPool[n-1]
		c.streamPool = c.streamPool[:n-1]
		// Keep the trailer buffers of the pooled record, so sending
		// trailers allocates nothing in steady state.
		tr, ta := s.trailers[:0], s.trailerArena[:0]
		*s = stream{}
		s.trailers, s.trailerArena = tr, ta
	} else {
		s = new(stream)
	}
	s.id = id
	s.contentLength = -1
	s.sendWindow = int64(c.peer.initialWindowSize)
	// The peer opens the stream with the initial
	// window it knows: the one we advertised last that it acknowledged;
	// settingsAcked moves the window when a newer one is (RFC 9113,
	// Section 6.9.2).
	s.recv.left = int64(c.recvInitialWindow())
	s.recv.target = int64(c.streamRecvWindow())
	// A window grown by AutoWindow is given by openRecvWindow, once the
	// stream is no longer idle.
	s.prio = DefaultPriority
	c.streams.Set(id, s)
	return s
}

// effectiveMaxStreams is the concurrency limit we enforce: the smaller of
// the advertised value and the one acknowledged before it.
func (c *Conn) effectiveMaxStreams() uint32 {
	// A lower limit we advertised is enforced at once, a higher one only
	// once the peer acknowledged it: until then the peer may still go by
	// the old one (RFC 9113, Section 6.5.3).
	return min(c.local.MaxConcurrentStreams, c.acked.MaxConcurrentStreams)
}

// ActiveStreams returns the number of streams not yet closed.
func (c *Conn) ActiveStreams() int { return c.streams.Len() }
