package h2kit

import (
	"time"

	"github.com/h2kit/h2kit/frame"
)

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
	if c.goAway.shutdownPhase == 1 {
		add(c.goAway.shutdownAt)
	}
	if c.cfg.KeepAlive > 0 && len(c.pings) == 0 {
		add(c.lastRecv.Add(c.cfg.KeepAlive))
	}
	if c.cfg.IdleTimeout > 0 && c.streams.Len() == 0 && c.goAway.shutdownPhase == 0 {
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
	if c.goAway.shutdownPhase == 1 && !now.Before(c.goAway.shutdownAt) {
		c.finishShutdown()
	}
	if c.cfg.KeepAlive > 0 && len(c.pings) == 0 && !now.Before(c.lastRecv.Add(c.cfg.KeepAlive)) {
		c.sendPing(false)
	}
	if c.cfg.IdleTimeout > 0 && c.streams.Len() == 0 && c.goAway.shutdownPhase == 0 && !now.Before(c.lastActivity.Add(c.cfg.IdleTimeout)) {
		c.Shutdown()
	}
}

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
