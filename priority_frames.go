package h2kit

import (
	"github.com/h2kit/h2kit/frame"
)

// onPriority handles PRIORITY (RFC 9113, Section 6.3).
func (c *Conn) onPriority(p *frame.Priority) error {
	if p.StreamDep == p.StreamID {
		// Section 5.3.1: a stream cannot depend on itself.
		return streamErr(p.StreamID, frame.ErrCodeProtocol, "stream depends on itself")
	}
	if !c.flood.emptyFrames.take(c.now) {
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many PRIORITY frames")
	}
	c.setTreePriority(p.StreamID, p.PriorityParam)
	return nil
}

// setTreePriority hands RFC 7540 priority information for stream id to
// the scheduler, unless we sent SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218,
// Section 2.1: the signals are then ignored).
func (c *Conn) setTreePriority(id uint32, p frame.PriorityParam) {
	if c.local.NoRFC7540Priorities {
		return
	}
	c.sched.setTreePriority(id, c.streams.Get(id), p)
}

// onPriorityUpdate handles PRIORITY_UPDATE (RFC 9218, Section 7.1).
func (c *Conn) onPriorityUpdate(u *frame.PriorityUpdate) error {
	if c.role == Client {
		return connErr(frame.ErrCodeProtocol, "PRIORITY_UPDATE from a server")
	}
	if !c.flood.emptyFrames.take(c.now) {
		// Like PRIORITY, it makes no progress: a flood of them is cut off
		// (CVE-2019-9518).
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many PRIORITY_UPDATE frames")
	}
	id := u.PrioritizedID
	p := ParsePriority(string(u.FieldValue))
	c.sched.use9218 = !c.sched.useTree || c.sched.use9218
	if s := c.streams.Get(id); s != nil {
		c.sched.setUrgency(s, p)
		c.pushEvent(eventRec{kind: evPriority, streamID: id, prio: p})
		return nil
	}
	if c.State(id) != StateIdle {
		return nil // closed: nothing to do
	}
	if !c.peerInitiated(id) {
		// Section 7.1: a push stream in the idle state.
		return connErr(frame.ErrCodeProtocol, "PRIORITY_UPDATE for an idle push stream")
	}
	if c.sched.pending == nil {
		c.sched.pending = make(map[uint32]Priority)
	}
	if _, ok := c.sched.pending[id]; !ok && len(c.sched.pending)+c.peerActive >= int(c.local.MaxConcurrentStreams) {
		// Forget updates for streams that can no longer open (the
		// peer skipped their ids, Section 5.1.1 of RFC 9113).
		for pid := range c.sched.pending {
			if pid <= c.lastPeerID {
				delete(c.sched.pending, pid)
			}
		}
	}
	if _, ok := c.sched.pending[id]; !ok && len(c.sched.pending)+c.peerActive >= int(c.local.MaxConcurrentStreams) {
		// Section 7.1: idle prioritized plus active streams are bounded.
		return connErr(frame.ErrCodeProtocol, "too many streams prioritized")
	}
	c.sched.pending[id] = p
	return nil
}

// SendPriorityUpdate sends a PRIORITY_UPDATE re-prioritizing request
// stream id (client only, RFC 9218, Section 7.1).
func (c *Conn) SendPriorityUpdate(id uint32, p Priority) error {
	if c.role != Client {
		return ErrWrongRole
	}
	if c.terminated != nil {
		return ErrConnClosed
	}
	f := frame.PriorityUpdate{PrioritizedID: id, FieldValue: []byte(p.String())}
	c.queueControl(&f, false)
	return nil
}
