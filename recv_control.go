package h2kit

import "github.com/h2kit/h2kit/frame"

// onRSTStream handles RST_STREAM (RFC 9113, Section 6.4).
func (c *Conn) onRSTStream(f frame.Frame) error {
	r := f.(*frame.RSTStream)
	s := c.streams[r.StreamID]
	if s == nil {
		if c.State(r.StreamID) == StateIdle {
			// Section 6.4: RST_STREAM on an idle stream.
			return connErr(frame.ErrCodeProtocol, "RST_STREAM on an idle stream")
		}
		return nil // closed: in flight, ignored
	}
	if !c.remoteResets.take(c.now) {
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
