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
func (c *Conn) onPing(f frame.Frame) error {
	p := f.(*frame.Ping)
	if !p.Ack {
		if !c.pingBucket.take(c.now) {
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
// (Config.AutoWindow): the DATA bytes received during one PING round trip.
// If the peer sent close to a whole window in that time, flow control and
// not the path limited it, and the window doubles, up to MaxAutoWindow.
type bdpState struct {
	pinging      bool
	received     int64  // DATA bytes (all streams) since the BDP ping went out
	streamWindow uint32 // grown window for streams (0: not grown)
	rtt          time.Duration
	// After a window grew, DATA sent under the old window is still on
	// its way for a round trip: measuring it would see the old window
	// filled, not the new one. No measurement starts before next.
	next time.Time
}

// maybeBDPPing starts a measurement when data is flowing and a window can
// still grow.
func (c *Conn) maybeBDPPing() {
	if !c.cfg.AutoWindow || c.bdp.pinging || c.now.Before(c.bdp.next) {
		return
	}
	limit := int64(c.cfg.MaxAutoWindow)
	if c.recvTarget >= limit && int64(c.streamRecvWindow()) >= limit {
		return
	}
	c.bdp.pinging = true
	c.bdp.received = 0
	c.sendPing(true)
}

// onBDPAck grows the windows the peer filled in one round trip. A single
// stream is limited by its stream window long before the connection
// window, so the two are judged separately: the stream window when the
// round trip carried at least 2/3 of it, the connection window likewise
// (and never below the stream window, or it would become the limit).
func (c *Conn) onBDPAck(rtt time.Duration) {
	c.bdp.pinging = false
	c.bdp.rtt = rtt
	got := c.bdp.received
	limit := int64(c.cfg.MaxAutoWindow)
	sw := int64(c.streamRecvWindow())
	grew := false
	if got*3 >= sw*2 && sw < limit {
		grew = true
		sw = min(2*sw, limit)
		c.bdp.streamWindow = uint32(sw)
		for _, s := range c.streams {
			if s.recvPhase == phaseDone || s.state == StateClosed || sw <= s.recvTarget {
				continue
			}
			d := sw - s.recvTarget
			s.recvTarget = sw
			s.recvWindow += d
			c.queueWindowUpdate(s.id, uint32(d))
		}
	}
	target := c.recvTarget
	if got*3 >= c.recvTarget*2 {
		target = 2 * c.recvTarget
	}
	target = min(max(target, sw), limit)
	if d := target - c.recvTarget; d > 0 {
		grew = true
		c.recvTarget = target
		c.recvWindow += d
		c.queueWindowUpdate(0, uint32(d))
	}
	if grew {
		c.bdp.next = c.now.Add(rtt)
	}
}

// ReceiveWindow returns the connection's receive window size target: the
// window the engine keeps reopening to (Config.ConnectionWindow, grown by
// AutoWindow).
func (c *Conn) ReceiveWindow() int64 { return c.recvTarget }

// StreamReceiveWindow returns the window new streams are given: the
// SETTINGS_INITIAL_WINDOW_SIZE advertised, grown by AutoWindow.
func (c *Conn) StreamReceiveWindow() int64 { return int64(c.streamRecvWindow()) }

// RTT returns the last round-trip time measured by an AutoWindow PING
// (zero before the first).
func (c *Conn) RTT() time.Duration { return c.bdp.rtt }
