package h2kit

import "github.com/h2kit/h2kit/frame"

// closeHow is how a stream came to be closed (RFC 9113, Section 5.1).
type closeHow uint8

const (
	closeUnknown closeHow = iota // not closed, or closed too long ago to tell
	closeEnded                   // END_STREAM both ways
	closeReset                   // RST_STREAM (or a GOAWAY that left it unprocessed)
	closeSkipped                 // never opened: the peer used a higher id first (Section 5.1.1)
)

// closeCause is why a stream closed: how, and for a reset who sent it
// and with which code. Local and User resets are ours (we sent
// RST_STREAM); Remote ones are the peer's RST_STREAM, or its GOAWAY for a
// stream above the last stream id (REFUSED_STREAM, Section 6.8).
type closeCause struct {
	how  closeHow
	by   Initiator
	code frame.ErrCode
}

// resetCause is the cause of a reset by by with code.
func resetCause(by Initiator, code frame.ErrCode) closeCause {
	return closeCause{how: closeReset, by: by, code: code}
}

// weReset reports whether we sent RST_STREAM: the peer may not know yet
// that the stream is closed, and what it sent before it saw our frame
// is ignored (Section 5.1, "closed": "...MUST ignore frames that it
// receives on closed streams after it has sent a RST_STREAM frame").
func (cc closeCause) weReset() bool { return cc.how == closeReset && cc.by != Remote }

// peerKnows reports whether the peer knows the stream is over (END_STREAM
// both ways, its own RST_STREAM or GOAWAY): a later DATA or HEADERS on
// it breaks Section 5.1, "closed", and is not taken for an attempt to
// open a stream with a used id (Section 5.1.1).
func (cc closeCause) peerKnows() bool {
	return cc.how == closeEnded || (cc.how == closeReset && cc.by == Remote)
}

// closedRec is a range of closed stream ids (one id for most) and why
// they closed.
type closedRec struct {
	lo, hi uint32
	cause  closeCause
}

// closedRing remembers the last max closedRecs, the oldest overwritten.
type closedRing struct {
	recs []closedRec
	next int
}

func (r *closedRing) add(rec closedRec, max int) {
	if len(r.recs) < max {
		r.recs = append(r.recs, rec)
		return
	}
	if max <= 0 {
		return
	}
	r.recs[r.next] = rec
	r.next = (r.next + 1) % max
}

func (r *closedRing) find(id uint32) (closeCause, bool) {
	for i := range r.recs {
		if x := &r.recs[i]; x.lo <= id && id <= x.hi {
			return x.cause, true
		}
	}
	return closeCause{}, false
}

// closedStreams is the memory of closed streams, bounded by
// Limits.MaxClosedStreams per kind, so that the many streams that end
// normally do not push out the few we reset while their frames may
// still be in flight.
type closedStreams struct {
	max     int
	reset   closedRing // streams we reset
	ended   closedRing // streams the peer knows are over
	skipped closedRing // peer ids skipped, never opened
}

// add records that ids lo..hi closed because of cause.
func (m *closedStreams) add(lo, hi uint32, cause closeCause) {
	rec := closedRec{lo, hi, cause}
	switch {
	case cause.weReset():
		m.reset.add(rec, m.max)
	case cause.how == closeSkipped:
		m.skipped.add(rec, m.max)
	default:
		m.ended.add(rec, m.max)
	}
}

// closedAs says what is known of closed stream id (RFC 9113, Section
// 5.1); the zero closeCause when nothing is. Only the peer skips ids:
// skipped ranges are looked up for its ids alone.
func (c *Conn) closedAs(id uint32) closeCause {
	m := &c.closed
	if cc, ok := m.reset.find(id); ok {
		return cc
	}
	if cc, ok := m.ended.find(id); ok {
		return cc
	}
	if c.peerInitiated(id) {
		if cc, ok := m.skipped.find(id); ok {
			return cc
		}
	}
	return closeCause{}
}

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
		c.closed.add(lo, id-2, closeCause{how: closeSkipped})
	}
	c.lastPeerID = id
}
