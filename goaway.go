package h2kit

import (
	"slices"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// onGoAway handles GOAWAY (RFC 9113, Section 6.8): no new streams; ours
// above the last stream id were not processed and may be retried.
func (c *Conn) onGoAway(f frame.Frame) error {
	g := f.(*frame.GoAway)
	if c.goAwayRecv && g.LastStreamID > c.goAwayRecvLast {
		return connErr(frame.ErrCodeProtocol, "GOAWAY raised the last stream id")
	}
	c.goAwayRecv = true
	c.goAwayRecvLast = g.LastStreamID
	c.pushEvent(eventRec{kind: evGoAway, id2: g.LastStreamID, code: g.Code, data: g.DebugData})
	// Streams we opened above the last stream id were not processed and
	// can be retried (Section 6.8); reported in id order.
	var gone []uint32
	for id := range c.streams {
		if !c.peerInitiated(id) && id > g.LastStreamID {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		// As if the peer had reset each with REFUSED_STREAM: it will
		// never process them.
		if c.applyReset(c.streams[id], inRecvRST, Remote, frame.ErrCodeRefusedStream) == vOK {
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
	if c.terminated != nil || c.shutdownPhase != 0 {
		return
	}
	if c.role == Client {
		c.queueGoAway(c.lastPeerID, frame.ErrCodeNo, "")
		c.shutdownPhase = 2
		return
	}
	c.queueGoAway(frame.MaxWindowSize, frame.ErrCodeNo, "")
	c.shutdownPhase = 1
	c.shutdownPing = c.sendPing(false)
	c.shutdownAt = c.now.Add(c.cfg.ShutdownTimeout)
}

func (c *Conn) finishShutdown() {
	c.shutdownPhase = 2
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

// Deadline returns when Advance must next be called (zero: no timer).
func (c *Conn) Deadline() time.Time {
	var d time.Time
	add := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if c.terminated != nil {
		return d
	}
	add(c.settingsDeadline())
	add(c.pingDeadline())
	if c.shutdownPhase == 1 {
		add(c.shutdownAt)
	}
	if c.cfg.KeepAlive > 0 && len(c.pings) == 0 {
		add(c.lastRecv.Add(c.cfg.KeepAlive))
	}
	if c.cfg.IdleTimeout > 0 && len(c.streams) == 0 && c.shutdownPhase == 0 {
		add(c.lastActivity.Add(c.cfg.IdleTimeout))
	}
	return d
}

// Advance tells the engine the time is now; it fires the timers that are
// due (SETTINGS and PING timeouts, keepalive PINGs, idle shutdown).
func (c *Conn) Advance(now time.Time) {
	c.now = now
	if c.terminated != nil {
		return
	}
	if t := c.settingsDeadline(); !t.IsZero() && !now.Before(t) {
		// RFC 9113, Section 6.5.3: SETTINGS_TIMEOUT.
		c.fail(connErr(frame.ErrCodeSettingsTimeout, "SETTINGS not acknowledged in time"))
		return
	}
	if t := c.pingDeadline(); !t.IsZero() && !now.Before(t) {
		c.fail(connErr(frame.ErrCodeNo, "PING not acknowledged in time"))
		return
	}
	if c.shutdownPhase == 1 && !now.Before(c.shutdownAt) {
		c.finishShutdown()
	}
	if c.cfg.KeepAlive > 0 && len(c.pings) == 0 && !now.Before(c.lastRecv.Add(c.cfg.KeepAlive)) {
		c.sendPing(false)
	}
	if c.cfg.IdleTimeout > 0 && len(c.streams) == 0 && c.shutdownPhase == 0 && !now.Before(c.lastActivity.Add(c.cfg.IdleTimeout)) {
		c.Shutdown()
	}
}

// ActiveStreams returns the number of streams not yet closed.
func (c *Conn) ActiveStreams() int { return len(c.streams) }

// bucket is a token bucket for the flood limits.
type bucket struct {
	tokens float64
	burst  float64
	rate   float64
	last   time.Time
}

func (b *bucket) init(r Rate, now time.Time) {
	b.burst = float64(r.Burst)
	b.rate = float64(r.PerSecond)
	b.tokens = b.burst
	b.last = now
}

// take spends one token; false means the limit is exceeded.
func (b *bucket) take(now time.Time) bool {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
