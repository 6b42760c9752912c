package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Zero-allocation tests (ARCHITECTURE.md, "Hot paths"): once two engines have
// warmed up, a request/response round trip allocates nothing. Run
// without -race (the race detector allocates).

func wantNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	for i := 0; i < 20; i++ { // warm up: buffers, pools, tables grow
		f()
	}
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func TestAllocsRoundTrip(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, size := range []int{0, 16, 20000, 64 << 10} {
		rt := newRoundTrip(t, size)
		wantNoAllocs(t, "GET with a body of "+itoa(size), func() { rt.once(t) })
	}
}

func TestAllocsConcurrent(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rt := newRoundTrip(t, 1000)
	wantNoAllocs(t, "10 requests at once", func() {
		rt.got = 0
		for i := 0; i < 10; i++ {
			if _, err := rt.client.SendRequest(rt.req, true); err != nil {
				t.Fatal(err)
			}
		}
		rt.flush()
		if rt.got != 10000 {
			t.Fatal(rt.got)
		}
	})
}

// TestAllocsUpload: a POST whose body and trailers the client sends,
// answered without a body; the server consumes the upload.
func TestAllocsUpload(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rt := newRoundTrip(t, 0)
	post := fields(":method", "POST", ":scheme", "https", ":authority", "bench.example", ":path", "/upload")
	trailers := fields("x-checksum", "abc")
	body := make([]byte, 30000)
	wantNoAllocs(t, "upload", func() {
		id, err := rt.client.SendRequest(post, false)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := rt.client.SendData(id, body, false); n != len(body) {
			t.Fatal(n)
		}
		if err := rt.client.SendHeaders(id, trailers, true); err != nil {
			t.Fatal(err)
		}
		for moved := true; moved; {
			moved = false
			for rt.client.WantWrite() {
				rt.buf = rt.client.AppendOutgoing(rt.buf[:0])
				rt.srv.Receive(rt.buf, rt.now)
				for ev := rt.srv.NextEvent(); ev != nil; ev = rt.srv.NextEvent() {
					switch e := ev.(type) {
					case *DataReceived:
						rt.srv.ConsumeData(e.StreamID, len(e.Data))
					case *TrailersReceived:
						rt.srv.SendHeaders(e.StreamID, rt.resp, true)
					}
				}
				moved = true
			}
			for rt.srv.WantWrite() {
				rt.buf = rt.srv.AppendOutgoing(rt.buf[:0])
				rt.client.Receive(rt.buf, rt.now)
				rt.clientEvents()
				moved = true
			}
		}
		if rt.client.State(id) != StateClosed {
			t.Fatal("not done")
		}
	})
}

// TestAllocsPing: PING and its ACK, and a reset stream.
func TestAllocsPingReset(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rt := newRoundTrip(t, 0)
	wantNoAllocs(t, "ping", func() {
		rt.client.Ping()
		rt.flush()
	})
	wantNoAllocs(t, "reset", func() {
		id, _ := rt.client.SendRequest(rt.req, false)
		rt.client.ResetStream(id, frame.ErrCodeCancel)
		rt.flush()
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
