package h2kit

import (
	"slices"

	"github.com/h2kit/h2kit/frame"
)

// onGoAway handles GOAWAY (RFC 9113, Section 6.8): no new streams; ours
// above the last stream id were not processed and may be retried.
func (c *Conn) onGoAway(g *frame.GoAway) error {
	if c.goAway.recv && g.LastStreamID > c.goAway.recvLast {
		return connErr(frame.ErrCodeProtocol, "GOAWAY raised the last stream id")
	}
	c.goAway.recv = true
	c.goAway.recvLast = g.LastStreamID
	c.pushEvent(eventRec{kind: evGoAway, id2: g.LastStreamID, code: g.Code, data: g.DebugData})
	// Streams we opened above the last stream id were not processed and
	// can be retried (Section 6.8); reported in id order.
	var gone []uint32
	for id := range c.streams.All() {
		if !c.peerInitiated(id) && id > g.LastStreamID {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		// As if the peer had reset each with REFUSED_STREAM: it will
		// never process them.
		if c.applyReset(c.streams.Get(id), inRecvRST, Remote, frame.ErrCodeRefusedStream) == vOK {
			c.pushEvent(eventRec{kind: evReset, streamID: id, code: frame.ErrCodeRefusedStream, initiator: Remote, retry: true})
		}
	}
	if g.Code != frame.ErrCodeNo {
		// The peer ended the connection because of an error.
		err := &ConnError{Code: g.Code, Reason: string(g.DebugData), Initiator: Remote}
		c.terminated = err
		c.pushEvent(eventRec{kind: evTerminated, err: err})
	}
	return nil
}

// Shutdown starts a graceful shutdown. A server sends GOAWAY with the
// largest stream id and a PING, and once the PING comes back (or
// Config.ShutdownTimeout passes) the final GOAWAY with the last stream it
// will process (RFC 9113, Section 6.8); streams in flight complete. A
// client sends one GOAWAY. Done turns true when all streams are over.
func (c *Conn) Shutdown() {
	if c.terminated != nil || c.goAway.shutdownPhase != 0 {
		return
	}
	if c.role == Client {
		c.queueGoAway(c.lastPeerID, frame.ErrCodeNo, "")
		c.goAway.shutdownPhase = 2
		return
	}
	c.queueGoAway(frame.MaxWindowSize, frame.ErrCodeNo, "")
	c.goAway.shutdownPhase = 1
	c.goAway.shutdownPing = c.sendPing(false)
	c.goAway.shutdownAt = c.now.Add(c.cfg.ShutdownTimeout)
}

func (c *Conn) finishShutdown() {
	c.goAway.shutdownPhase = 2
	c.queueGoAway(c.lastPeerID, frame.ErrCodeNo, "")
}

// Close ends the connection now with GOAWAY(code, reason). Streams in
// flight are abandoned.
func (c *Conn) Close(code frame.ErrCode, reason string) {
	if c.terminated != nil {
		return
	}
	c.fail(&ConnError{Code: code, Reason: reason, Initiator: User})
}
