package main

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// memServer plays a server in memory, answering each request with a fixed
// response written frame by frame: HEADERS ":status: 200" (HPACK static
// index 8, so no encoder state) and DATA "hello" with END_STREAM. It does
// not parse what the client sends.
type memServer struct {
	buf []byte
}

func (m *memServer) handshake() []byte {
	m.buf = m.buf[:0]
	s := frame.Settings{}
	m.buf = s.Append(m.buf)
	ack := frame.Settings{Ack: true}
	m.buf = ack.Append(m.buf)
	return m.buf
}

var status200 = []byte{0x88}

func (m *memServer) respond(id uint32, status []byte) []byte {
	m.buf = m.buf[:0]
	h := frame.Headers{StreamID: id, EndHeaders: true, BlockFragment: status}
	m.buf = h.Append(m.buf)
	d := frame.Data{StreamID: id, EndStream: true, Data: []byte("hello")}
	m.buf = d.Append(m.buf)
	return m.buf
}

// newMemWorker returns a worker with an engine and no socket.
func newMemWorker(t testing.TB, args ...string) (*worker, *memServer) {
	t.Helper()
	o, err := parseBenchArgs(append(args, "http://example.com/"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newBenchPlan(o)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(p, nil, o.requests, time.Time{}, nil)
	now := time.Now()
	w.conn = h2kit.NewConn(p.config, now)
	srv := &memServer{}
	w.conn.Receive(srv.handshake(), now)
	return w, srv
}

// activeIDs lists the streams in flight.
func activeIDs(w *worker) []uint32 {
	var ids []uint32
	for _, s := range w.slots {
		if s.active {
			ids = append(ids, s.id)
		}
	}
	return ids
}

func TestWorkerInMemory(t *testing.T) {
	w, srv := newMemWorker(t, "-n", "10", "-m", "3")
	now := time.Now()
	w.pump(now)
	if got := activeIDs(w); len(got) != 3 {
		t.Fatalf("in flight after start: %v, want 3 streams", got)
	}
	if w.quota != 7 || w.st.started != 3 {
		t.Fatalf("quota %d started %d", w.quota, w.st.started)
	}
	for rounds := 0; w.inflight > 0; rounds++ {
		if rounds > 20 {
			t.Fatal("requests do not complete")
		}
		id := activeIDs(w)[0]
		st := status200
		if id == 5 {
			st = []byte{0x8d} // :status 404 (static index 13)
		}
		w.out = w.out[:0]
		if _, err := w.conn.Receive(srv.respond(id, st), now); err != nil {
			t.Fatal(err)
		}
		w.pump(now)
	}
	s := w.st
	if s.started != 10 || s.done != 10 || s.succeeded != 9 || s.failed != 1 || s.errored != 0 {
		t.Fatalf("started %d done %d succeeded %d failed %d errored %d", s.started, s.done, s.succeeded, s.failed, s.errored)
	}
	if s.status[2] != 9 || s.status[4] != 1 {
		t.Fatalf("status classes %v", s.status)
	}
	if s.reqTimes.n != 10 || len(s.reqTimes.kept) != 10 || s.dataBytes != 50 {
		t.Fatalf("%d samples, %d data bytes", s.reqTimes.n, s.dataBytes)
	}
	if s.headerRaw != int64(10*len(":status200")) {
		t.Fatalf("decoded header bytes %d", s.headerRaw)
	}
}

// TestWorkerResetAndGoAway: a reset stream fails; streams above a
// GOAWAY's last stream id go back to the quota.
func TestWorkerResetAndGoAway(t *testing.T) {
	w, _ := newMemWorker(t, "-n", "10", "-m", "4")
	now := time.Now()
	w.pump(now)
	var b []byte
	rst := frame.RSTStream{StreamID: 1, Code: frame.ErrCodeInternal}
	b = rst.Append(b)
	g := frame.GoAway{LastStreamID: 3, Code: frame.ErrCodeNo}
	b = g.Append(b)
	if _, err := w.conn.Receive(b, now); err != nil {
		t.Fatal(err)
	}
	w.pump(now)
	if w.st.failed != 1 || w.st.done != 1 {
		t.Fatalf("failed %d done %d, want 1 and 1", w.st.failed, w.st.done)
	}
	// Streams 5 and 7 were refused: back in the quota, not started.
	if w.quota != 8 || w.st.started != 2 || w.inflight != 1 || !w.goAway || !w.noNew {
		t.Fatalf("quota %d started %d inflight %d goAway %v noNew %v", w.quota, w.st.started, w.inflight, w.goAway, w.noNew)
	}
}

// TestWorkerBody: with -d, the body goes out in DATA frames ending with
// END_STREAM, and flow control holds the rest until WINDOW_UPDATE.
func TestWorkerBody(t *testing.T) {
	body := make([]byte, 100000)
	w, srv := newMemWorker(t, "-n", "1")
	w.plan.body = body
	w.plan.requests[0].fields = requestFields(mustURL(t, "http://example.com/"), "POST", nil, body)
	now := time.Now()
	w.pump(now)
	var p frame.Parser
	p.MaxFrameSize = frame.MaxMaxFrameSize
	sent := 0
	parse := func() (end bool) {
		buf := w.out
		for len(buf) > 0 {
			f, n, err := p.Parse(buf)
			if err != nil || n == 0 {
				t.Fatalf("parse: %v (n=%d)", err, n)
			}
			buf = buf[n:]
			if d, ok := f.(*frame.Data); ok {
				sent += len(d.Data)
				end = end || d.EndStream
			}
		}
		w.out = w.out[:0]
		return end
	}
	w.out = w.conn.AppendOutgoing(w.out)
	w.out = w.out[len(frame.ClientPreface):] // the parser reads frames only
	if parse() {
		t.Fatal("END_STREAM before the body was sent")
	}
	if sent != 65535 || w.bodyWait != 1 {
		t.Fatalf("sent %d (bodyWait %d), want the initial window 65535 and a wait", sent, w.bodyWait)
	}
	var b []byte
	for _, id := range []uint32{0, 1} {
		wu := frame.WindowUpdate{StreamID: id, Increment: 1 << 20}
		b = wu.Append(b)
	}
	if _, err := w.conn.Receive(b, now); err != nil {
		t.Fatal(err)
	}
	w.pump(now)
	if !parse() || sent != len(body) || w.bodyWait != 0 {
		t.Fatalf("sent %d of %d, bodyWait %d", sent, len(body), w.bodyWait)
	}
	if _, err := w.conn.Receive(srv.respond(1, status200), now); err != nil {
		t.Fatal(err)
	}
	w.pump(now)
	if w.st.succeeded != 1 {
		t.Fatalf("succeeded %d", w.st.succeeded)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestWorkerAllocs pins the per-request path: once warm, starting a
// request, receiving its response and recording it allocate nothing.
func TestWorkerAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	for _, m := range []int{1, 8} {
		w, srv := newMemWorker(t, "-n", "100000", "-m", strconv.Itoa(m))
		now := time.Now()
		w.pump(now)
		round := answerOne(w, srv, now)
		for range 200 {
			round() // warm up: pools, maps and buffers reach their size
		}
		allocs := testing.AllocsPerRun(1000, round)
		if allocs != 0 {
			t.Errorf("-m %d: %.2f allocations per request, want 0", m, allocs)
		}
		if w.st.errored != 0 || w.st.failed != 0 || w.st.succeeded < 1200 {
			t.Fatalf("-m %d: succeeded %d failed %d errored %d", m, w.st.succeeded, w.st.failed, w.st.errored)
		}
	}
}

// BenchmarkWorkerRequest measures the client side of one request and
// response on an in-memory connection (engine included).
func BenchmarkWorkerRequest(b *testing.B) {
	w, srv := newMemWorker(b, "-n", "1000000", "-m", "10")
	now := time.Now()
	w.pump(now)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.out = w.out[:0]
		for i := range w.slots {
			if s := &w.slots[i]; s.active {
				w.conn.Receive(srv.respond(s.id, status200), now)
				w.pump(now)
				break
			}
		}
		if w.quota == 0 {
			b.StopTimer()
			w, srv = newMemWorker(b, "-n", "1000000", "-m", "10")
			w.pump(now)
			b.StartTimer()
		}
	}
}

// TestNoDataAfterEndStream is a regression test for an engine bug found
// with nghttpd: a WINDOW_UPDATE for a stream whose END_STREAM was already
// sent made AppendOutgoing write a second, empty DATA frame with
// END_STREAM, and the server ended the connection (STREAM_CLOSED).
func TestNoDataAfterEndStream(t *testing.T) {
	body := []byte("0123456789")
	w, _ := newMemWorker(t, "-n", "1")
	w.plan.body = body
	w.plan.requests[0].fields = requestFields(mustURL(t, "http://example.com/"), "POST", nil, body)
	now := time.Now()
	w.pump(now)
	w.out = w.out[:0]
	wu := frame.WindowUpdate{StreamID: 1, Increment: 1000}
	if _, err := w.conn.Receive(wu.Append(nil), now); err != nil {
		t.Fatal(err)
	}
	w.pump(now)
	var p frame.Parser
	for buf := w.out; len(buf) > 0; {
		f, n, err := p.Parse(buf)
		if err != nil || n == 0 {
			t.Fatalf("parse: %v", err)
		}
		buf = buf[n:]
		if d, ok := f.(*frame.Data); ok {
			t.Errorf("DATA (len %d, END_STREAM %v) sent after END_STREAM", len(d.Data), d.EndStream)
		}
	}
}

// answerOne returns a function that answers one request in flight with
// 200 and lets the worker go on (a new request takes its slot): one round
// of the allocation tests.
func answerOne(w *worker, srv *memServer, now time.Time) func() {
	return func() {
		w.out = w.out[:0]
		for i := range w.slots {
			if s := &w.slots[i]; s.active {
				w.conn.Receive(srv.respond(s.id, status200), now)
				w.pump(now)
				break
			}
		}
	}
}
