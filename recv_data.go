package h2kit

import (
	"github.com/h2kit/h2kit/frame"
)

// onData handles a DATA frame (RFC 9113, Section 6.1).
func (c *Conn) onData(d *frame.Data) error {
	flen := int64(c.parser.LastHeader().Length)
	id := d.StreamID
	// Connection flow control first: every DATA frame counts, whatever
	// the stream's state (Section 6.9).
	if flen > c.recv.left {
		return connErr(frame.ErrCodeFlowControl, "DATA exceeds the connection window")
	}
	c.recv.left -= flen
	c.bdp.received += flen
	s := c.streams.Get(id)
	if s == nil {
		// The bytes will never reach the application.
		c.creditConn(flen)
		if c.State(id) == StateIdle {
			// Section 5.1, "idle": only HEADERS and PRIORITY are allowed.
			return connErr(frame.ErrCodeProtocol, "DATA on an idle stream")
		}
		if c.ignoredAfterGoAway(id) {
			return nil // Section 6.8: a stream we will not process
		}
		switch cc := c.closedAs(id); {
		case cc.weReset():
			return nil // in flight when we reset it (Section 5.1, "closed")
		case cc.peerKnows():
			// Section 5.1, "closed": the peer knows the stream is over,
			// so this is a connection error of type STREAM_CLOSED.
			return connErr(frame.ErrCodeStreamClosed, "DATA on a closed stream")
		}
		// A skipped id or one closed too long ago to tell: Section 6.1.
		return streamErr(id, frame.ErrCodeStreamClosed, "DATA on a closed stream")
	}
	// The frame is taken as DATA first (in every state the table gives
	// DATA with and without END_STREAM the same verdict); its END_STREAM
	// moves the state below, once the body checks passed, so that a
	// stream error still finds the stream.
	switch c.apply(s, inRecvData) {
	case vStreamClosed:
		c.creditConn(flen)
		return streamErr(id, frame.ErrCodeStreamClosed, "DATA after END_STREAM")
	case vConnProtocol:
		return connErr(frame.ErrCodeProtocol, "DATA on a stream in state "+s.state.String())
	}
	if flen > s.recv.left {
		c.creditConn(flen)
		return streamErr(id, frame.ErrCodeFlowControl, "DATA exceeds the stream window")
	}
	s.recv.left -= flen
	c.countBDP(s, flen)
	if s.recvPhase != phaseBody && !c.cfg.DisableMessageRules {
		// DATA before the final header section (Section 8.1).
		c.creditConn(flen)
		return streamErr(id, frame.ErrCodeProtocol, "DATA before HEADERS")
	}
	if len(d.Data) == 0 && !d.EndStream && !c.flood.emptyFrames.take(c.now) {
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many empty DATA frames")
	}
	if pad := flen - int64(len(d.Data)); pad > 0 {
		c.consume(s, pad) // padding is never delivered
	}
	s.received += int64(len(d.Data))
	if !c.cfg.DisableMessageRules && s.contentLength >= 0 {
		// Section 8.1.1: DATA must add up to content-length.
		if s.received > s.contentLength || (d.EndStream && s.received != s.contentLength) {
			c.creditConn(int64(len(d.Data)))
			return streamErr(id, frame.ErrCodeProtocol, "body length does not match content-length")
		}
	}
	s.recvHeld += int64(len(d.Data))
	c.pushEvent(eventRec{kind: evData, streamID: id, data: d.Data, n: int(flen), endStream: d.EndStream})
	if d.EndStream {
		s.recvPhase = phaseDone
		c.apply(s, inRecvDataEnd)
	}
	c.maybeBDPPing()
	return nil
}
