package h2kit

import (
	"encoding/binary"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// pingRec is one of our PINGs waiting for its ACK.
type pingRec struct {
	data [8]byte
	sent time.Time
	bdp  bool // sent to measure the bandwidth-delay product
}

// Ping sends a PING (RFC 9113, Section 6.7); its ACK comes back as a
// PingAcked event with the round-trip time. No ACK within
// Config.PingTimeout ends the connection.
func (c *Conn) Ping() ([8]byte, error) {
	if c.terminated != nil {
		return [8]byte{}, ErrConnClosed
	}
	return c.sendPing(false), nil
}

func (c *Conn) sendPing(bdp bool) [8]byte {
	c.pingSeq++
	var d [8]byte
	binary.BigEndian.PutUint64(d[:], c.pingSeq|1<<63)
	c.queuePing(d, false)
	c.pings = append(c.pings, pingRec{data: d, sent: c.now, bdp: bdp})
	return d
}

// onPing answers PINGs and matches ACKs to ours (Section 6.7).
func (c *Conn) onPing(p *frame.Ping) error {
	if !p.Ack {
		// A PING that follows DATA we wrote since the last one is the
		// peer measuring our data (a bandwidth-delay probe, as grpc-go
		// and h2kit's own AutoWindow send while a response streams in):
		// it costs no token, or a client downloading a large body would
		// be cut off. One such PING per DATA write at most: a flood
		// still runs into Limits.Pings, and unread ACKs into
		// MaxQueuedControlFrames (RFC 9113, Section 10.5).
		if c.dataSincePing {
			c.dataSincePing = false
		} else if !c.flood.pings.take(c.now) {
			return connErr(frame.ErrCodeEnhanceYourCalm, "too many PINGs")
		}
		c.queuePing(p.Data, true) // Section 6.7: same payload, ACK set
		return nil
	}
	for i, r := range c.pings {
		if r.data != p.Data {
			continue
		}
		c.pings = append(c.pings[:i], c.pings[i+1:]...)
		rtt := c.now.Sub(r.sent)
		if r.bdp {
			c.onBDPAck(rtt)
		}
		if c.goAway.shutdownPhase == 1 && p.Data == c.goAway.shutdownPing {
			c.finishShutdown()
		}
		c.pushEvent(eventRec{kind: evPingAck, ping: p.Data, rtt: rtt})
		return nil
	}
	return nil // an ACK for a PING we did not send: ignored
}

func (c *Conn) pingDeadline() time.Time {
	if len(c.pings) == 0 {
		return time.Time{}
	}
	return c.pings[0].sent.Add(c.cfg.PingTimeout)
}
