//go:build unix

package h2server

import (
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// TestAttack_CVE_2023_44487_RapidReset: the client opens streams and
// resets each at once, so the server starts work that never counts
// against SETTINGS_MAX_CONCURRENT_STREAMS.
func TestAttack_CVE_2023_44487_RapidReset(t *testing.T) {
	const mcs = 50
	lim := h2kit.Rate{Burst: 200, PerSecond: 100}
	as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs, Limits: h2kit.Limits{RemoteResets: lim}})
	a := dialAttacker(t, as, true)
	start := time.Now()
	var sent int
	u := measure(func() {
		sent = a.sendUntil(100000, 3*time.Second, func() int {
			for range 20 {
				id := a.request("GET", "/work?ms=200", true)
				a.frame(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
			}
			return 40
		})
		a.waitClosed(5 * time.Second)
	})
	ct := as.trace(a.local())
	opened := ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm, frame.TypeHeaders)
	el := time.Unix(0, ct.goAwayAt.Load()).Sub(start)
	t.Logf("%d frames sent, %d streams opened and reset before GOAWAY ENHANCE_YOUR_CALM after %v; handlers: %d started, at most %d at once; %v",
		sent, opened, el.Round(time.Millisecond), as.started.Load(), as.maxRunning.Load(), u)
	if max := int64(lim.Burst) + int64(el.Seconds()*float64(lim.PerSecond)) + 20; opened > max {
		t.Errorf("%d streams reset before GOAWAY, want at most %d (burst %d + %d/s)", opened, max, lim.Burst, lim.PerSecond)
	}
	if n := as.maxRunning.Load(); n > mcs {
		t.Errorf("%d handlers ran at once, want at most SETTINGS_MAX_CONCURRENT_STREAMS = %d", n, mcs)
	}
	u.within(t, 16<<20, 3*time.Second)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}
