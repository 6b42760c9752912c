package h2kit

import (
	"github.com/h2kit/h2kit/frame"
)

// onRSTStream handles RST_STREAM (RFC 9113, Section 6.4).
func (c *Conn) onRSTStream(r *frame.RSTStream) error {
	s := c.streams.Get(r.StreamID)
	if s == nil {
		if c.State(r.StreamID) == StateIdle {
			// Section 6.4: RST_STREAM on an idle stream.
			return connErr(frame.ErrCodeProtocol, "RST_STREAM on an idle stream")
		}
		return nil // closed: in flight, ignored
	}
	if !c.flood.remoteResets.take(c.now) {
		// Rapid reset (CVE-2023-44487) and reset floods (CVE-2019-9514).
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many streams reset")
	}
	switch c.applyReset(s, inRecvRST, Remote, r.Code) {
	case vConnProtocol:
		// Section 6.4: RST_STREAM is not allowed on an idle stream.
		return connErr(frame.ErrCodeProtocol, "RST_STREAM on a stream in state "+s.state.String())
	case vIgnore:
		return nil
	}
	c.pushEvent(eventRec{kind: evReset, streamID: r.StreamID, code: r.Code, initiator: Remote,
		retry: r.Code == frame.ErrCodeRefusedStream})
	return nil
}

// onWindowUpdate handles WINDOW_UPDATE (RFC 9113, Section 6.9).
func (c *Conn) onWindowUpdate(w *frame.WindowUpdate) error {
	inc := int64(w.Increment)
	if w.StreamID == 0 {
		if c.sendWindow+inc > frame.MaxWindowSize {
			// Section 6.9.1: overflow is a FLOW_CONTROL_ERROR.
			return connErr(frame.ErrCodeFlowControl, "connection window above 2^31-1")
		}
		c.sendWindow += inc
		if c.connBlocked {
			c.connBlocked = false
			c.pushEvent(eventRec{kind: evWindow})
		}
		return nil
	}
	s := c.streams.Get(w.StreamID)
	if s == nil {
		if c.State(w.StreamID) == StateIdle {
			return connErr(frame.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream")
		}
		return nil // closed: in flight, ignored
	}
	if c.apply(s, inRecvWindowUpdate) == vConnProtocol {
		// Section 5.1, "reserved (remote)": only HEADERS, RST_STREAM
		// and PRIORITY may arrive.
		return connErr(frame.ErrCodeProtocol, "WINDOW_UPDATE on a stream in state "+s.state.String())
	}
	if s.sendWindow+inc > frame.MaxWindowSize {
		return streamErr(s.id, frame.ErrCodeFlowControl, "stream window above 2^31-1")
	}
	s.sendWindow += inc
	c.streamWindowGrew(s, s.sendWindow-inc) // resumes held-back DATA too
	return nil
}
