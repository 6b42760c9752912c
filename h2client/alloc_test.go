package h2client

import (
	"io"
	"net/http"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// leanServer answers every request with a fixed small response, straight
// from the engine, allocating (almost) nothing itself: what
// testing.AllocsPerRun counts is then the client's.
func leanServer(t testing.TB) string {
	l := testpeer.Listen(t)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				eng := h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, time.Now())
				hdr := []hpack.Field{{Name: ":status", Value: "200"}, {Name: "content-length", Value: "2"}}
				body := []byte("ok")
				buf := make([]byte, 64<<10)
				out := eng.AppendOutgoing(nil)
				nc.Write(out)
				for {
					n, err := nc.Read(buf)
					if n > 0 {
						eng.Receive(buf[:n], time.Now())
						for ev := eng.NextEvent(); ev != nil; ev = eng.NextEvent() {
							if e, ok := ev.(*h2kit.RequestReceived); ok {
								eng.SendHeaders(e.StreamID, hdr, false)
								eng.SendData(e.StreamID, body, true)
							}
						}
						out = eng.AppendOutgoing(out[:0])
						if len(out) > 0 {
							if _, err := nc.Write(out); err != nil {
								return
							}
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

func roundTripOnce(tb testing.TB, tr *Transport, req *http.Request, buf []byte) {
	resp, err := tr.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	for {
		_, err := resp.Body.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	resp.Body.Close()
}

// TestAllocsPerRequest pins the allocations of a GET round trip
// (RoundTrip, read the body, Close), client and lean server together.
func TestAllocsPerRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	base := leanServer(t)
	tr := newTransport(t)
	tr.AllowHTTP = true
	req, _ := http.NewRequest("GET", base+"/path", nil)
	buf := make([]byte, 512)
	for range 10 {
		roundTripOnce(t, tr, req, buf)
	}
	n := testing.AllocsPerRun(200, func() { roundTripOnce(t, tr, req, buf) })
	t.Logf("%.1f allocations per GET round trip", n)
	// The response (with its Body and its header's first values) and
	// its header map (two: the map and its slots); the strings are the
	// connection's decoder's (httpcommon.ResponseDecoder), shared with
	// the responses before or in a chunk they share. The stream, with its
	// body buffer, is recycled.
	if n > 3 {
		t.Fatalf("%.1f allocations per request, want at most 3", n)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	base := leanServer(b)
	tr := newTransport(b)
	tr.AllowHTTP = true
	req, _ := http.NewRequest("GET", base+"/path", nil)
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		roundTripOnce(b, tr, req, buf)
	}
}

func BenchmarkRoundTripParallel(b *testing.B) {
	base := leanServer(b)
	tr := newTransport(b)
	tr.AllowHTTP = true
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", base+"/path", nil)
		buf := make([]byte, 512)
		for pb.Next() {
			roundTripOnce(b, tr, req, buf)
		}
	})
}
