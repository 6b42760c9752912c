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
	f := frame.Ping{Data: d}
	c.queueControl(&f, false)
	c.pings = append(c.pings, pingRec{data: d, sent: c.now, bdp: bdp})
	return d
}

// onPing answers PINGs and matches ACKs to ours (Section 6.7).
func (c *Conn) onPing(f frame.Frame) error {
	p := f.(*frame.Ping)
	if !p.Ack {
		if !c.pingBucket.take(c.now) {
			return connErr(frame.ErrCodeEnhanceYourCalm, "too many PINGs")
		}
		ack := frame.Ping{Ack: true, Data: p.Data}
		c.queueControl(&ack, true)
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
		if c.shutdownPhase == 1 && p.Data == c.shutdownPing {
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

// bdpState estimates the bandwidth-delay product to grow receive windows
// (Config.AutoWindow): bytes received during one PING round trip.
type bdpState struct {
	pinging      bool
	received     int64 // DATA bytes since the BDP ping went out
	streamWindow uint32
}

// maybeBDPPing starts a measurement when data is flowing.
func (c *Conn) maybeBDPPing() {
	if !c.cfg.AutoWindow || c.bdp.pinging || c.recvTarget >= int64(c.cfg.MaxAutoWindow) {
		return
	}
	c.bdp.pinging = true
	c.bdp.received = 0
	c.sendPing(true)
}

// onBDPAck grows the windows when the peer sent close to a full window
// in one round trip: it was limited by flow control, not bandwidth.
func (c *Conn) onBDPAck(time.Duration) {
	c.bdp.pinging = false
	got := c.bdp.received
	if got*3 < c.recvTarget*2 {
		return
	}
	target := min(2*c.recvTarget, int64(c.cfg.MaxAutoWindow))
	if d := target - c.recvTarget; d > 0 {
		c.recvTarget = target
		c.recvWindow += d
		c.queueWindowUpdate(0, uint32(d))
	}
	sw := max(int64(c.streamRecvWindow()), min(2*int64(c.streamRecvWindow()), int64(c.cfg.MaxAutoWindow)))
	c.bdp.streamWindow = uint32(sw)
	for _, s := range c.streams {
		if s.recvPhase == phaseDone || sw <= s.recvTarget {
			continue
		}
		d := sw - s.recvTarget
		s.recvTarget = sw
		s.recvWindow += d
		c.queueWindowUpdate(s.id, uint32(d))
	}
}

// ReceiveWindow returns the connection's receive window size target.
func (c *Conn) ReceiveWindow() int64 { return c.recvTarget }
