package h2client

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/hpack"
)

// pingCounter is an h2server tracer counting the PINGs it receives and
// the GOAWAYs it sends.
type pingCounter struct{ pings, goAways *atomic.Int64 }

func (p pingCounter) FrameReceived(h frame.Header, f frame.Frame, _ []hpack.Field) {
	if pg, ok := f.(*frame.Ping); ok && !pg.Ack {
		p.pings.Add(1)
	}
}

func (p pingCounter) FrameSent(h frame.Header, f frame.Frame, _ []hpack.Field) {
	if _, ok := f.(*frame.GoAway); ok {
		p.goAways.Add(1)
	}
}

// TestSmallRequestsStayUnderPingLimit: eight goroutines of small GETs on
// one h2client (AutoWindow on, the default) against h2server (PING limit
// Limits.Pings: 100 a second after a burst of 1000) for a few seconds.
// Small responses fill no window, so the client has nothing to measure
// and hardly sends PINGs; by construction never more than 10 a second.
// Before, it sent one per round trip while responses flowed, thousands a
// second, and h2server ended the connection with GOAWAY
// ENHANCE_YOUR_CALM "too many PINGs", failing requests in flight.
func TestSmallRequestsStayUnderPingLimit(t *testing.T) {
	const (
		workers = 8
		runFor  = 3 * time.Second
	)
	var pings, goAways atomic.Int64
	srv := &h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer { return pingCounter{&pings, &goAways} }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "small") })
	base := startH2ServerH2C(t, h, srv)
	tr := newTransport(t)
	tr.AllowHTTP = true
	c := client(tr)
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(runFor)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				resp, err := c.Get(base + "/")
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && string(b) != "small" {
						err = io.ErrUnexpectedEOF
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	rate := float64(pings.Load()) / runFor.Seconds()
	t.Logf("%d requests, %d failed; server received %d PINGs (%.1f a second), sent %d GOAWAYs",
		ok.Load(), failed.Load(), pings.Load(), rate, goAways.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed; first: %v", failed.Load(), firstErr.Load())
	}
	if ok.Load() < 1000 {
		t.Errorf("only %d requests in %v", ok.Load(), runFor)
	}
	if goAways.Load() > 0 {
		t.Errorf("server sent %d GOAWAYs", goAways.Load())
	}
	// The engine's bound: probes that grow no window are at least 100 ms
	// apart. (Its own engine test pins the much lower count for small
	// responses in simulated time.)
	if rate > 10 {
		t.Errorf("client sent %.1f PINGs a second", rate)
	}
}
