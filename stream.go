package h2kit

import "github.com/h2kit/h2kit/hpack"

// stream is the engine's record of one stream.
type stream struct {
	id        uint32
	state     StreamState
	recvPhase phase
	sendPhase phase

	// Flow control (RFC 9113, Section 5.2 and 6.9). sendWindow may be
	// negative after a SETTINGS_INITIAL_WINDOW_SIZE decrease (6.9.2).
	sendWindow  int64
	recvWindow  int64  // what the peer may still send
	recvTarget  int64  // the window size we keep reopening to
	recvUnacked int64  // consumed by the application, not yet announced
	recvHeld    int64  // delivered in DataReceived, not yet consumed
	bdpBytes    int64  // DATA received in AutoWindow epoch bdpEpoch (ping.go)
	bdpEpoch    uint32 // the epoch bdpBytes counts in

	// Sending: data accepted by SendData, waiting for the scheduler.
	sendBuf      []byte
	sendOff      int           // bytes of sendBuf already written
	sendEnd      bool          // END_STREAM once sendBuf is written
	trailers     []hpack.Field // trailers to encode once sendBuf is written
	trailerArena []byte
	blocked      bool // SendData accepted less than asked: report WindowUpdated

	// Message checks (RFC 9113, Section 8.1.1).
	contentLength int64 // -1: not declared
	received      int64
	isHead        bool // request method HEAD: the response has no body

	pushed bool // a promised stream

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

// transition applies the state table; it returns the verdict.
func (c *Conn) transition(s *stream, in streamInput) verdict {
	t := transitions[s.state][in]
	if t.verdict == vOK {
		c.setState(s, t.next)
	}
	return t.verdict
}

// setState moves s to next, keeping the active counts and closing it.
func (c *Conn) setState(s *stream, next StreamState) {
	if s.state == next {
		return
	}
	wasActive := active(s.state)
	s.state = next
	if wasActive != active(next) {
		d := 1
		if !active(next) {
			d = -1
		}
		if c.peerInitiated(s.id) {
			c.peerActive += d
		} else {
			c.localActive += d
		}
	}
	if next == StateClosed {
		c.closeStream(s)
	}
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
	c.putBuf(s.sendBuf)
	s.sendBuf = nil
	delete(c.streams, s.id)
	if s.id != c.justReset {
		c.rememberEnded(s.id)
	}
	c.lastActivity = c.now
	if len(c.streamPool) < 64 {
		c.streamPool = append(c.streamPool, s)
	}
}

// rememberClosed records that we reset stream id, so that frames the peer
// sent before seeing our RST_STREAM are ignored (RFC 9113, Section 5.1,
// "closed": "...MUST ignore frames that it receives on closed streams after
// it has sent a RST_STREAM frame").
func (c *Conn) rememberClosed(id uint32) {
	c.justReset = id // closeStream, which may follow, keeps it out of endedRing
	max := c.cfg.Limits.MaxClosedStreams
	if len(c.resetRing) < max {
		c.resetRing = append(c.resetRing, id)
	} else {
		c.resetRing[c.resetNext] = id
		c.resetNext = (c.resetNext + 1) % max
	}
}

// rememberEnded records that stream id closed in a way the peer has
// seen (END_STREAM both ways, its RST_STREAM, ...), so that a later frame
// on it is known to break RFC 9113, Section 5.1, "closed", and is not
// taken for an attempt to open a stream with a used id (Section 5.1.1).
func (c *Conn) rememberEnded(id uint32) {
	max := c.cfg.Limits.MaxClosedStreams
	if len(c.endedRing) < max {
		c.endedRing = append(c.endedRing, id)
	} else {
		c.endedRing[c.endedNext] = id
		c.endedNext = (c.endedNext + 1) % max
	}
}

// idRange is an inclusive range of stream ids.
type idRange struct{ lo, hi uint32 }

// usePeerID records that the peer used stream id (a new stream or a
// promise, id > lastPeerID): the ids it skipped are closed without ever
// having been open (RFC 9113, Section 5.1.1), which is remembered so
// that a HEADERS opening one of them later is told from a HEADERS on a
// stream that is over.
func (c *Conn) usePeerID(id uint32) {
	lo := c.lastPeerID + 2
	if c.lastPeerID == 0 {
		lo = 2 - id%2 // the first id of the peer's parity
	}
	if lo < id {
		r := idRange{lo, id - 2}
		if max := c.cfg.Limits.MaxClosedStreams; len(c.skipped) < max {
			c.skipped = append(c.skipped, r)
		} else {
			c.skipped[c.skippedNext] = r
			c.skippedNext = (c.skippedNext + 1) % max
		}
	}
	c.lastPeerID = id
}

// closedHow is what the engine remembers of a closed stream.
type closedHow uint8

const (
	closedUnknown closedHow = iota // closed too long ago to tell
	closedByReset                  // we sent RST_STREAM: the peer may not know yet
	closedEnded                    // the peer knows the stream is over
	closedSkipped                  // never opened: the peer used a higher id first
)

// howClosed says what is known of closed stream id (RFC 9113, Section 5.1).
func (c *Conn) howClosed(id uint32) closedHow {
	if c.recentlyReset(id) {
		return closedByReset
	}
	for _, x := range c.endedRing {
		if x == id {
			return closedEnded
		}
	}
	if c.peerInitiated(id) {
		for _, r := range c.skipped {
			if r.lo <= id && id <= r.hi {
				return closedSkipped
			}
		}
	}
	return closedUnknown
}

// ignoredAfterGoAway reports whether id is a stream the peer opened
// above the last stream id of a GOAWAY we sent: its frames are ignored
// (RFC 9113, Section 6.8).
func (c *Conn) ignoredAfterGoAway(id uint32) bool {
	return c.goAwaySent && c.peerInitiated(id) && id > c.goAwayLastID
}

func (c *Conn) recentlyReset(id uint32) bool {
	for _, x := range c.resetRing {
		if x == id {
			return true
		}
	}
	return false
}

// State returns the state of stream id as this engine sees it.
func (c *Conn) State(id uint32) StreamState {
	if s := c.streams[id]; s != nil {
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
