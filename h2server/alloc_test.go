package h2server

import (
	"math"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// leanClient sends requests one at a time on one connection straight from
// an engine and reads the responses without copying them: it allocates
// nothing per request, so what testing.AllocsPerRun counts around
// get is the server's.
type leanClient struct {
	tb     testing.TB
	nc     net.Conn
	eng    *h2kit.Conn
	fields []hpack.Field
	out    []byte
	in     []byte
}

func newLeanClient(tb testing.TB, addr string, extra ...string) *leanClient {
	c := &leanClient{
		tb:     tb,
		nc:     dial(tb, addr),
		eng:    h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, time.Now()),
		fields: reqFields("GET", addr, "/", extra...),
		in:     make([]byte, 64<<10),
	}
	tb.Cleanup(func() { c.nc.Close() })
	return c
}

// get sends one request and reads its response to the end; it reports
// the response's body length.
func (c *leanClient) get() int {
	id, err := c.eng.SendRequest(c.fields, true)
	if err != nil {
		c.tb.Fatal(err)
	}
	n := 0
	for {
		if err := c.exchange(time.Time{}); err != nil {
			c.tb.Fatal(err)
		}
		done := false
		for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.ResponseReceived:
				done = done || (e.StreamID == id && e.EndStream)
			case *h2kit.DataReceived:
				c.eng.ConsumeData(e.StreamID, len(e.Data))
				if e.StreamID == id {
					n += len(e.Data)
					done = done || e.EndStream
				}
			case *h2kit.StreamReset, *h2kit.ConnectionTerminated:
				c.tb.Fatalf("stream %d: %T", id, ev)
			}
		}
		if done {
			return n
		}
	}
}

// exchange writes what the engine has to send, reads once from the
// socket (with deadline, unless it is zero) and hands what came to the
// engine. It reads no clock (the engine gets the zero time: the client
// runs no timers) and allocates nothing.
func (c *leanClient) exchange(deadline time.Time) error {
	if c.eng.WantWrite() {
		c.out = c.eng.AppendOutgoing(c.out[:0])
		if _, err := c.nc.Write(c.out); err != nil {
			return err
		}
	}
	if !deadline.IsZero() {
		c.nc.SetReadDeadline(deadline)
	}
	k, err := c.nc.Read(c.in)
	if err != nil {
		return err
	}
	c.eng.Receive(c.in[:k], time.Time{})
	return nil
}

var helloBody = []byte("hello, world\n")

// helloHandler answers as scripts/twin's "/" does: 13 bytes.
var helloHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(helloBody)
})

// maxAllocsPerRequest is what a small GET costs the server in the steady
// state (see TestAllocsPerRequest): the request's one allocation (its
// http.Request, URL, context, ResponseWriter and the room its header's
// strings fit in), its header map, and the []string of the handler's
// Header().Set. Lower it when the server allocates less; never raise it
// without a reason.
const maxAllocsPerRequest = 3

// TestAllocsPerRequest pins the server's allocations per request on a
// warmed connection: a small GET answered with 13 bytes.
func TestAllocsPerRequest(t *testing.T) {
	c := warmLeanClient(t)
	checkAllocsPerGet(t, c, maxAllocsPerRequest, "", nil)
	// And their bytes, which the GC's work follows: a request whose
	// header block comes again takes the smaller repeatedRequest, the
	// handler's Header().Set a one-value slice.
	// The least of three runs: a sync.Pool emptied by a GC during one
	// refills with allocations of its own.
	per := math.Inf(1)
	for range 3 {
		var before, after runtime.MemStats
		const n = 500
		runtime.ReadMemStats(&before)
		for range n {
			c.get()
		}
		runtime.ReadMemStats(&after)
		per = min(per, float64(after.TotalAlloc-before.TotalAlloc)/n)
	}
	t.Logf("%.0f bytes per request", per)
	if per > maxBytesPerRequest {
		t.Errorf("%.0f bytes allocated per request, want at most %d", per, maxBytesPerRequest)
	}
}

// maxBytesPerRequest bounds the bytes TestAllocsPerRequest's requests
// allocate: 640 + 16, and 48 for a header map without fields (the lean
// client sends none), with a little room (narrowRequest's 768 exceeds it).
const maxBytesPerRequest = 750

// warmLeanClient returns a leanClient, sending the extra fields, on a
// server of helloHandler, after 200 requests (the steady state). It
// skips the test under the race detector, which allocates.
func warmLeanClient(t *testing.T, extra ...string) *leanClient {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	addr := startH2C(t, helloHandler, nil)
	c := newLeanClient(t, addr, extra...)
	for range 200 {
		c.get()
	}
	return c
}

// checkAllocsPerGet fails the test if c's GETs (each after prep, if not
// nil) allocate more than most times on average; what names the case.
func checkAllocsPerGet(t *testing.T, c *leanClient, most int, what string, prep func()) {
	t.Helper()
	n := testing.AllocsPerRun(500, func() {
		if prep != nil {
			prep()
		}
		if c.get() != len(helloBody) {
			t.Fatal("short body")
		}
	})
	t.Logf("%.1f allocations per request%s", n, what)
	if n > float64(most) {
		t.Errorf("%.1f allocations per request%s, want at most %d", n, what, most)
	}
}

// BenchmarkServerRoundTrip: one small GET after another on one
// connection, from a client that allocates nothing: the server's cost per
// request (allocs/op is the server's), round trip over loopback included.
// browser adds shape D's 16 header fields and a 500-byte cookie.
func BenchmarkServerRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name  string
		extra []string
	}{
		{"small", nil},
		{"browser", testpeer.BrowserFields()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			addr := startH2C(b, helloHandler, nil)
			c := newLeanClient(b, addr, bc.extra...)
			c.get()
			b.ReportAllocs()
			for b.Loop() {
				c.get()
			}
		})
	}
}
