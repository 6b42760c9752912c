package h2kit

import (
	"time"
)

// bdpState estimates the bandwidth-delay product to grow receive windows
// (Config.AutoWindow): the DATA bytes received during one PING round trip.
// If the peer sent close to a whole window in that time, flow control and
// not the path limited it, and the window doubles, up to MaxAutoWindow.
//
// Each measurement costs a PING, and servers limit PINGs (h2server ends
// the connection past Limits.Pings, 100 a second after a burst of 1000;
// CVE-2019-9512). So a measurement (a probe) starts only when both hold:
//
//   - a window is being filled. Right after a probe that grew a window,
//     it was a round trip ago: the next probe checks the larger one.
//     Otherwise the DATA since the last probe ended (the epoch) must
//     come at a rate of at least a quarter of the stream window per
//     round trip (the last one measured) on one stream, or of the
//     connection window on all streams together; a window filled to 2/3
//     in a round trip, which is what grows it, is well above that.
//     Before the first round trip is measured, a quarter of a window
//     received counts instead, and once an epoch is older than
//     bdpStaleEpoch (the round trip may have grown since, and a filled
//     window would look slow) half a window received in it. Small
//     responses fill no window, however many there are: they cause
//     hardly any probe.
//   - enough time has passed: after a probe that grew a window, one more
//     round trip (DATA sent under the old window must arrive first);
//     after a probe that grew nothing, bdpIntervalRTTs round trips, and
//     at least minBDPInterval once more than bdpQuickMisses probes in a
//     row grew nothing (a measurement disturbed by the scheduler must
//     not stop the growth of a window for that long, on a short round
//     trip a download can be over in less).
//
// Every probe that grows a window at least doubles one of two windows
// that never shrink and stop at MaxAutoWindow, so there are at most 46
// of them in a connection's life (31 doublings of a 1-byte stream window
// and 15 of the connection window up to 2^31-1), each followed by at most
// 1+bdpQuickMisses probes closer together than minBDPInterval, as is the
// first one; all other probes are at least minBDPInterval apart. So: at
// most about 140 PINGs in quick succession per connection, and beyond
// them 10 a second in the worst case; a PING limit sized for legitimate
// clients (h2server's allows a burst of 1000, then 100 a second) is never
// reached.
type bdpState struct {
	pinging bool
	grew    bool // the last probe grew a window
	misses  int  // probes in a row that grew nothing
	// epoch numbers the spans between probe events (sent, acknowledged);
	// a stream's DATA count (stream.bdpBytes) restarts when it moves.
	epoch        uint32
	epochStart   time.Time
	received     int64  // DATA bytes (all streams) in this epoch
	streamMax    int64  // most DATA bytes one stream received in this epoch
	streamWindow uint32 // grown window for streams (0: not grown)
	rtt          time.Duration
	// No probe starts before next (see above).
	next time.Time
}

const (
	// bdpIntervalRTTs is the time in round trips between the ACK of a
	// probe that grew no window and the next probe.
	bdpIntervalRTTs = 4
	// minBDPInterval is the least such time once more than
	// bdpQuickMisses probes in a row grew nothing.
	minBDPInterval = 100 * time.Millisecond
	bdpQuickMisses = 2
	// bdpStaleEpoch is the age after which an epoch is judged by the
	// DATA received in it rather than by the rate.
	bdpStaleEpoch = time.Second
)

// countBDP counts n DATA bytes received on stream s for the estimate.
func (c *Conn) countBDP(s *stream, n int64) {
	if !c.cfg.AutoWindow {
		return
	}
	if s.bdpEpoch != c.bdp.epoch {
		s.bdpEpoch, s.bdpBytes = c.bdp.epoch, 0
	}
	s.bdpBytes += n
	c.bdp.streamMax = max(c.bdp.streamMax, s.bdpBytes)
}

// newBDPEpoch restarts the DATA counts.
func (c *Conn) newBDPEpoch() {
	c.bdp.epoch++
	c.bdp.epochStart = c.now
	c.bdp.received, c.bdp.streamMax = 0, 0
}

// maybeBDPPing starts a measurement when a window is being filled and
// can still grow, no sooner than bdp.next (see bdpState).
func (c *Conn) maybeBDPPing() {
	if !c.cfg.AutoWindow || c.bdp.pinging || c.now.Before(c.bdp.next) {
		return
	}
	limit := int64(c.cfg.MaxAutoWindow)
	sw := int64(c.streamRecvWindow())
	if c.recv.target >= limit && sw >= limit {
		return
	}
	if !c.fillingWindow(sw) {
		return // nothing to measure
	}
	c.bdp.pinging = true
	c.newBDPEpoch()
	c.sendPing(true)
}

// fillingWindow reports whether the DATA of this epoch fills a window,
// the stream window being sw (see bdpState).
func (c *Conn) fillingWindow(sw int64) bool {
	rtt := c.bdp.rtt
	elapsed := c.now.Sub(c.bdp.epochStart)
	switch {
	case c.bdp.grew:
		return true
	case rtt == 0:
		return 4*c.bdp.streamMax >= sw || 4*c.bdp.received >= c.recv.target
	case elapsed >= bdpStaleEpoch:
		return 2*c.bdp.streamMax >= sw || 2*c.bdp.received >= c.recv.target
	}
	// bytes/elapsed >= (window/4)/rtt, without dividing.
	e, r := elapsed.Nanoseconds(), rtt.Nanoseconds()
	return 4*c.bdp.streamMax*r >= sw*e || 4*c.bdp.received*r >= c.recv.target*e
}

// onBDPAck grows the windows the peer filled in one round trip. A single
// stream is limited by its stream window long before the connection
// window, so the two are judged separately: the stream window when one
// stream received at least 2/3 of it in the round trip, the connection
// window when all streams together received 2/3 of it (and never below
// the stream window, or it would become the limit).
func (c *Conn) onBDPAck(rtt time.Duration) {
	c.bdp.pinging = false
	c.bdp.rtt = rtt
	got, gotStream := c.bdp.received, c.bdp.streamMax
	c.newBDPEpoch()
	limit := int64(c.cfg.MaxAutoWindow)
	sw := int64(c.streamRecvWindow())
	grew := false
	if gotStream*3 >= sw*2 && sw < limit {
		grew = true
		sw = min(2*sw, limit)
		c.bdp.streamWindow = uint32(sw)
		for s := range c.streams.Values() {
			if s.recvPhase == phaseDone || s.state == StateClosed || s.state == StateIdle || sw <= s.recv.target {
				continue
			}
			d := sw - s.recv.target
			s.recv.target = sw
			s.recv.left += d
			c.queueWindowUpdate(s.id, uint32(d))
		}
	}
	target := c.recv.target
	if got*3 >= c.recv.target*2 {
		target = 2 * c.recv.target
	}
	target = min(max(target, sw), limit)
	if d := target - c.recv.target; d > 0 {
		grew = true
		c.recv.target = target
		c.recv.left += d
		c.queueWindowUpdate(0, uint32(d))
	}
	c.bdp.grew = grew
	if grew {
		c.bdp.misses = 0
		c.bdp.next = c.now.Add(rtt)
		return
	}
	c.bdp.misses++
	gap := bdpIntervalRTTs * rtt
	if c.bdp.misses > bdpQuickMisses {
		gap = max(gap, minBDPInterval)
	}
	c.bdp.next = c.now.Add(gap)
}

// RTT returns the last round-trip time measured by an AutoWindow PING
// (zero before the first).
func (c *Conn) RTT() time.Duration { return c.bdp.rtt }
