package h2kit

import (
	"testing"
	"time"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// A request/response round trip between two engines in memory, as the
// benchmarks and the zero-allocation test run it: the client sends a GET,
// the server answers with headers and a body, the client consumes it.

type roundTrip struct {
	client, srv *Conn
	now         time.Time
	req, resp   []hpack.Field
	body        []byte
	buf         []byte
	got         int // body bytes the client received in the last trip

	// segments: the server's output goes through AppendOutgoingSegments,
	// gathered into wire (as a writer would write it) before
	// ReleaseOutgoing.
	segments bool
	segs     []OutSegment
	wire     []byte
	// ref: the server sends the body with SendDataRef.
	ref bool
}

func newRoundTrip(tb testing.TB, bodySize int) *roundTrip {
	rt := &roundTrip{
		now: t0,
		req: []hpack.Field{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: "bench.example"}, {Name: ":path", Value: "/object"},
			{Name: "user-agent", Value: "h2kit-bench"}, {Name: "accept", Value: "*/*"}},
		resp: []hpack.Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "application/octet-stream"},
			{Name: "server", Value: "h2kit"}},
		body: make([]byte, bodySize),
	}
	// Windows large enough that a 64 KiB body never waits for an update.
	rt.client = NewConn(Config{Role: Client, Settings: Settings{InitialWindowSize: 1 << 20}}, rt.now)
	rt.srv = NewConn(Config{Role: Server, Limits: Limits{MaxStreamSendBuffer: 1 << 20}}, rt.now)
	rt.flush()
	return rt
}

// flush moves bytes both ways until both engines are quiet, handling the
// events as a minimal application would.
func (rt *roundTrip) flush() {
	for moved := true; moved; {
		moved = false
		for rt.client.WantWrite() {
			rt.buf = rt.client.AppendOutgoing(rt.buf[:0])
			rt.srv.Receive(rt.buf, rt.now)
			rt.serverEvents()
			moved = true
		}
		for rt.srv.WantWrite() {
			if rt.segments {
				rt.buf, rt.segs = rt.srv.AppendOutgoingSegments(rt.buf[:0], rt.segs[:0])
				rt.wire = gather(rt.wire[:0], rt.buf, rt.segs)
				rt.srv.ReleaseOutgoing()
				rt.client.Receive(rt.wire, rt.now)
				rt.clientEvents()
				moved = true
				continue
			}
			rt.buf = rt.srv.AppendOutgoing(rt.buf[:0])
			rt.client.Receive(rt.buf, rt.now)
			rt.clientEvents()
			moved = true
		}
	}
}

func (rt *roundTrip) serverEvents() {
	for ev := rt.srv.NextEvent(); ev != nil; ev = rt.srv.NextEvent() {
		if r, ok := ev.(*RequestReceived); ok {
			rt.srv.SendHeaders(r.StreamID, rt.resp, len(rt.body) == 0)
			if len(rt.body) > 0 && rt.ref {
				rt.srv.SendDataRef(r.StreamID, rt.body, true)
			} else if len(rt.body) > 0 {
				rt.srv.SendData(r.StreamID, rt.body, true)
			}
		}
	}
}

func (rt *roundTrip) clientEvents() {
	for ev := rt.client.NextEvent(); ev != nil; ev = rt.client.NextEvent() {
		if d, ok := ev.(*DataReceived); ok {
			rt.got += len(d.Data)
			rt.client.ConsumeData(d.StreamID, len(d.Data))
		}
	}
}

// once runs one request/response exchange to completion.
func (rt *roundTrip) once(tb testing.TB) {
	rt.got = 0
	id, err := rt.client.SendRequest(rt.req, true)
	if err != nil {
		tb.Fatal(err)
	}
	rt.flush()
	if rt.got != len(rt.body) || rt.client.State(id) != StateClosed || rt.srv.ActiveStreams() != 0 {
		tb.Fatalf("round trip: %d body bytes, state %v", rt.got, rt.client.State(id))
	}
}

func benchRoundTrip(b *testing.B, bodySize int) {
	rt := newRoundTrip(b, bodySize)
	for i := 0; i < 10; i++ {
		rt.once(b)
	}
	b.ReportAllocs()
	b.SetBytes(int64(bodySize))
	start := time.Now()
	for b.Loop() {
		rt.once(b)
	}
	if el := time.Since(start); el > 0 {
		b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
	}
}

// BenchmarkRoundTripSmall: a GET answered with a 16-byte body.
func BenchmarkRoundTripSmall(b *testing.B) { benchRoundTrip(b, 16) }

// BenchmarkRoundTrip64K: a GET answered with a 64 KiB body.
func BenchmarkRoundTrip64K(b *testing.B) { benchRoundTrip(b, 64<<10) }

// BenchmarkRoundTripBrowser: BenchmarkRoundTripSmall with the request
// head of scripts/h2load-compare's shape D (what a browser sends, a
// 500-byte cookie): after the first request, its fields are dynamic
// table references on the wire.
func BenchmarkRoundTripBrowser(b *testing.B) {
	rt := newRoundTrip(b, 16)
	rt.req = browserRequest()
	for i := 0; i < 10; i++ {
		rt.once(b)
	}
	b.ReportAllocs()
	for b.Loop() {
		rt.once(b)
	}
}

// browserRequest is the request head of scripts/h2load-compare's shape D.
func browserRequest() []hpack.Field {
	kv := append([]string{":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/"},
		testpeer.BrowserFields()...)
	var fs []hpack.Field
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, hpack.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

// BenchmarkRoundTripConcurrent: 10 requests in flight at once, small bodies.
func BenchmarkRoundTripConcurrent(b *testing.B) {
	rt := newRoundTrip(b, 16)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		rt.got = 0
		for i := 0; i < 10; i++ {
			if _, err := rt.client.SendRequest(rt.req, true); err != nil {
				b.Fatal(err)
			}
		}
		rt.flush()
		if rt.got != 160 {
			b.Fatal(rt.got)
		}
	}
	if el := time.Since(start); el > 0 {
		b.ReportMetric(float64(10*b.N)/el.Seconds(), "req/s")
	}
}
