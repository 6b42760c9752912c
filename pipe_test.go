package h2kit

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Two engines wired together in memory (pipe), with a small application
// on each side: bodies are sent as flow control allows and consumed as
// they arrive.

// msg is what one side received on a stream.
type msg struct {
	headers  []hpack.Field
	trailers []hpack.Field
	body     []byte
	ended    bool
	reset    *StreamReset
	promised []uint32 // pushes promised on this stream
	done     bool     // the handler ran (server)
}

// outBody is what one side still has to send on a stream.
type outBody struct {
	data     []byte
	trailers []hpack.Field
}

type pipeApp struct {
	*pipe
	cIn, sIn   map[uint32]*msg
	cOut, sOut map[uint32]*outBody
	// handler answers a complete request on the server.
	handler func(a *pipeApp, id uint32, m *msg)
	// onPush is told of a promise on the client (may reset it).
	onPush     func(a *pipeApp, ev *PushPromiseReceived)
	goAways    []*GoAwayReceived
	clientStop bool // the client stops consuming (flow control test)
	// bytes in flight for runLatency
	toSrv, toClient []flight
}

// flight is bytes on their way, delivered at at.
type flight struct {
	at time.Time
	b  []byte
}

func newPipeApp(t *testing.T, ccfg, scfg Config) *pipeApp {
	return &pipeApp{pipe: newPipe(t, ccfg, scfg),
		cIn: map[uint32]*msg{}, sIn: map[uint32]*msg{},
		cOut: map[uint32]*outBody{}, sOut: map[uint32]*outBody{}}
}

// request sends a request and queues its body and trailers.
func (a *pipeApp) request(fs []hpack.Field, body []byte, trailers []hpack.Field) uint32 {
	a.t.Helper()
	id, err := a.client.SendRequest(fs, body == nil && trailers == nil)
	if err != nil {
		a.t.Fatalf("SendRequest: %v", err)
	}
	if body != nil || trailers != nil {
		a.cOut[id] = &outBody{data: body, trailers: trailers}
	}
	return id
}

// respond sends response headers and queues the body and trailers.
func (a *pipeApp) respond(id uint32, fs []hpack.Field, body []byte, trailers []hpack.Field) {
	a.t.Helper()
	if err := a.srv.SendHeaders(id, fs, body == nil && trailers == nil); err != nil {
		a.t.Fatalf("SendHeaders(%d): %v", id, err)
	}
	if body != nil || trailers != nil {
		a.sOut[id] = &outBody{data: body, trailers: trailers}
	}
}

// sendBodies pushes queued bodies into the engines; it reports progress.
func (a *pipeApp) sendBodies(c *Conn, out map[uint32]*outBody) bool {
	progress := false
	for id, o := range out {
		if c.State(id) == StateClosed {
			delete(out, id)
			continue
		}
		if len(o.data) > 0 {
			n, err := c.SendData(id, o.data, o.trailers == nil)
			if err != nil {
				a.t.Fatalf("SendData(%d): %v", id, err)
			}
			o.data = o.data[n:]
			progress = progress || n > 0
			if len(o.data) > 0 {
				continue
			}
			if o.trailers == nil {
				delete(out, id)
				continue
			}
		}
		if o.trailers != nil {
			if err := c.SendHeaders(id, o.trailers, true); err != nil {
				a.t.Fatalf("SendHeaders(%d, trailers): %v", id, err)
			}
		} else if o.data != nil {
			// An empty body: END_STREAM alone.
			if _, err := c.SendData(id, nil, true); err != nil {
				a.t.Fatalf("SendData(%d, end): %v", id, err)
			}
		}
		progress = true
		delete(out, id)
	}
	return progress
}

func (a *pipeApp) get(m map[uint32]*msg, id uint32) *msg {
	if m[id] == nil {
		m[id] = &msg{}
	}
	return m[id]
}

// handle applies the events both sides produced; it reports progress.
func (a *pipeApp) handle() bool {
	progress := len(a.cEvents)+len(a.sEvents) > 0
	sev, cev := a.sEvents, a.cEvents
	a.sEvents, a.cEvents = nil, nil
	for _, ev := range sev {
		switch e := ev.(type) {
		case *RequestReceived:
			m := a.get(a.sIn, e.StreamID)
			m.headers, m.ended = e.Fields, e.EndStream
		case *DataReceived:
			m := a.get(a.sIn, e.StreamID)
			m.body = append(m.body, e.Data...)
			m.ended = m.ended || e.EndStream
			a.srv.ConsumeData(e.StreamID, len(e.Data))
		case *TrailersReceived:
			m := a.get(a.sIn, e.StreamID)
			m.trailers, m.ended = e.Fields, true
		case *StreamReset:
			x := *e
			a.get(a.sIn, e.StreamID).reset = &x
		}
	}
	for id, m := range a.sIn {
		if m.ended && !m.done && m.reset == nil && a.handler != nil {
			m.done = true
			a.handler(a, id, m)
		}
	}
	for _, ev := range cev {
		switch e := ev.(type) {
		case *ResponseReceived:
			m := a.get(a.cIn, e.StreamID)
			m.headers, m.ended = e.Fields, e.EndStream
		case *DataReceived:
			m := a.get(a.cIn, e.StreamID)
			m.body = append(m.body, e.Data...)
			m.ended = m.ended || e.EndStream
			if !a.clientStop {
				a.client.ConsumeData(e.StreamID, len(e.Data))
			}
		case *TrailersReceived:
			m := a.get(a.cIn, e.StreamID)
			m.trailers, m.ended = e.Fields, true
		case *StreamReset:
			x := *e
			a.get(a.cIn, e.StreamID).reset = &x
		case *PushPromiseReceived:
			m := a.get(a.cIn, e.StreamID)
			m.promised = append(m.promised, e.PromisedStreamID)
			if a.onPush != nil {
				a.onPush(a, e)
			}
		case *GoAwayReceived:
			a.goAways = append(a.goAways, e)
		}
	}
	return progress
}

// exchange runs both applications until nothing moves.
func (a *pipeApp) exchange() {
	a.t.Helper()
	for i := 0; i < 100000; i++ {
		p1 := a.sendBodies(a.client, a.cOut)
		p2 := a.sendBodies(a.srv, a.sOut)
		a.run()
		p3 := a.handle()
		if !p1 && !p2 && !p3 && !a.client.WantWrite() && !a.srv.WantWrite() {
			return
		}
	}
	a.t.Fatal("exchange did not settle")
}

func reqFields(method, path string, kv ...string) []hpack.Field {
	return fields(append([]string{":method", method, ":scheme", "https", ":authority", "example.com", ":path", path}, kv...)...)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7+i/251)
	}
	return b
}

// echo answers each request with its own body and trailers.
func echo(a *pipeApp, id uint32, m *msg) {
	var tr []hpack.Field
	if m.trailers != nil {
		tr = fields("x-echo-trailer", fieldValue(m.trailers, "x-trailer"))
	}
	body := m.body
	if body == nil && tr != nil {
		body = []byte{}
	}
	a.respond(id, fields(":status", "200"), body, tr)
}

func TestPipeRequests(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	a.handler = func(a *pipeApp, id uint32, m *msg) {
		a.respond(id, fields(":status", "200", "x-path", fieldValue(m.headers, ":path")), []byte("hi "+fieldValue(m.headers, ":path")), nil)
	}
	var ids []uint32
	for i := 0; i < 10; i++ {
		ids = append(ids, a.request(reqFields("GET", fmt.Sprintf("/r%d", i)), nil, nil))
	}
	a.exchange()
	for i, id := range ids {
		m := a.cIn[id]
		want := fmt.Sprintf("/r%d", i)
		if m == nil || !m.ended || fieldValue(m.headers, "x-path") != want || string(m.body) != "hi "+want {
			t.Fatalf("stream %d: %+v", id, m)
		}
		if a.client.State(id) != StateClosed || a.srv.State(id) != StateClosed {
			t.Fatalf("stream %d states %v %v", id, a.client.State(id), a.srv.State(id))
		}
	}
	if a.client.ActiveStreams() != 0 || a.srv.ActiveStreams() != 0 {
		t.Fatal("streams left")
	}
}

// TestPipeLargeBodiesSmallWindows: bodies much larger than small windows,
// both ways at once, moved in small chunks (partial frames on every
// Receive), arrive intact (RFC 9113, Section 6.9).
func TestPipeLargeBodiesSmallWindows(t *testing.T) {
	small := Config{Settings: Settings{InitialWindowSize: 1000, MaxFrameSize: 16384}, ConnectionWindow: 65535}
	for _, chunk := range []int{0, 7, 1000} {
		t.Run(fmt.Sprintf("chunk%d", chunk), func(t *testing.T) {
			a := newPipeApp(t, small, small)
			a.maxChunk = chunk
			a.handler = echo
			bodies := map[uint32][]byte{}
			for i := 0; i < 3; i++ {
				b := pattern(150000+i*1000, byte(i))
				bodies[a.request(reqFields("POST", "/echo"), b, nil)] = b
			}
			a.exchange()
			for id, b := range bodies {
				if got := a.sIn[id].body; !bytes.Equal(got, b) {
					t.Fatalf("stream %d: server got %d bytes, want %d", id, len(got), len(b))
				}
				if got := a.cIn[id].body; !bytes.Equal(got, b) || !a.cIn[id].ended {
					t.Fatalf("stream %d: client got %d bytes, want %d", id, len(got), len(b))
				}
			}
		})
	}
}

// TestPipeTrailers: trailers both ways (RFC 9113, Section 8.1), after a
// body that has to wait for flow control.
func TestPipeTrailers(t *testing.T) {
	small := Config{Settings: Settings{InitialWindowSize: 5000}}
	a := newPipeApp(t, small, small)
	a.handler = echo
	body := pattern(40000, 3)
	id := a.request(reqFields("POST", "/t"), body, fields("x-trailer", "abc"))
	// Trailers alone, no body.
	id2 := a.request(reqFields("POST", "/t2"), nil, fields("x-trailer", "def"))
	a.exchange()
	if m := a.sIn[id]; fieldValue(m.trailers, "x-trailer") != "abc" || !bytes.Equal(m.body, body) {
		t.Fatalf("server got trailers %v, %d bytes", m.trailers, len(m.body))
	}
	if m := a.cIn[id]; fieldValue(m.trailers, "x-echo-trailer") != "abc" || !bytes.Equal(m.body, body) {
		t.Fatalf("client got trailers %v, %d bytes", m.trailers, len(m.body))
	}
	if m := a.cIn[id2]; fieldValue(m.trailers, "x-echo-trailer") != "def" || len(m.body) != 0 {
		t.Fatalf("client got %+v", m)
	}
}

// TestPipeReset: RST_STREAM both ways, with the reason and who did it
// (RFC 9113, Section 6.4).
func TestPipeReset(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	a.handler = func(a *pipeApp, id uint32, m *msg) {
		if err := a.srv.ResetStream(id, frame.ErrCodeRefusedStream); err != nil {
			t.Fatal(err)
		}
	}
	id := a.request(reqFields("GET", "/"), nil, nil)
	a.exchange()
	r := a.cIn[id].reset
	if r == nil || r.Code != frame.ErrCodeRefusedStream || r.Initiator != Remote || !r.Retryable {
		t.Fatalf("client reset %+v", r)
	}
	// Client side cancel of a request with a body in progress.
	a.handler = nil
	id = a.request(reqFields("POST", "/"), pattern(200000, 1), nil)
	a.sendBodies(a.client, a.cOut)
	a.run()
	a.handle()
	if err := a.client.ResetStream(id, frame.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	delete(a.cOut, id)
	a.exchange()
	r = a.sIn[id].reset
	if r == nil || r.Code != frame.ErrCodeCancel || r.Initiator != Remote || r.Retryable {
		t.Fatalf("server reset %+v", r)
	}
	if a.client.State(id) != StateClosed || a.srv.State(id) != StateClosed {
		t.Fatal("stream not closed")
	}
	// The connection window is whole again on both sides: a new request
	// with a large body goes through.
	a.handler = echo
	b := pattern(300000, 9)
	id = a.request(reqFields("POST", "/"), b, nil)
	a.exchange()
	if !bytes.Equal(a.cIn[id].body, b) {
		t.Fatal("large body after reset failed")
	}
}

// TestPipePush: a pushed response end to end (RFC 9113, Section 8.4), and
// a push the client cancels.
func TestPipePush(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	var promised []uint32
	a.handler = func(a *pipeApp, id uint32, m *msg) {
		for _, path := range []string{"/style.css", "/ad.js"} {
			pid, err := a.srv.PushPromise(id, reqFields("GET", path))
			if err != nil {
				t.Fatal(err)
			}
			promised = append(promised, pid)
			if path == "/style.css" {
				a.respond(pid, fields(":status", "200"), []byte("pushed "+path), nil)
			}
		}
		a.respond(id, fields(":status", "200"), []byte("index"), nil)
	}
	a.onPush = func(a *pipeApp, ev *PushPromiseReceived) {
		if fieldValue(ev.Fields, ":path") == "/ad.js" {
			a.client.ResetStream(ev.PromisedStreamID, frame.ErrCodeCancel)
		}
	}
	id := a.request(reqFields("GET", "/"), nil, nil)
	a.exchange()
	if len(promised) != 2 || promised[0]%2 != 0 || promised[1] <= promised[0] {
		t.Fatalf("promised ids %v", promised)
	}
	if got := a.cIn[id].promised; len(got) != 2 || got[0] != promised[0] {
		t.Fatalf("client saw promises %v", got)
	}
	if m := a.cIn[promised[0]]; m == nil || string(m.body) != "pushed /style.css" || !m.ended {
		t.Fatalf("pushed response %+v", m)
	}
	if r := a.sIn[promised[1]]; r == nil || r.reset == nil || r.reset.Code != frame.ErrCodeCancel || r.reset.Initiator != Remote {
		t.Fatalf("server did not see the cancel: %+v", r)
	}
	if err := a.srv.SendHeaders(promised[1], fields(":status", "200"), true); err != ErrUnknownStream {
		t.Fatalf("responding on a cancelled push: %v", err)
	}
	if string(a.cIn[id].body) != "index" {
		t.Fatal("main response")
	}
	if a.client.ActiveStreams() != 0 || a.srv.ActiveStreams() != 0 {
		t.Fatalf("streams left: %d %d", a.client.ActiveStreams(), a.srv.ActiveStreams())
	}
}

// TestPipePriority: RFC 9218 urgency between two engines: the client asks
// for u=0 on the second request; its response is sent first.
func TestPipePriority(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	a.clientStop = true // hold the windows so nothing finishes early
	a.handler = func(a *pipeApp, id uint32, m *msg) {}
	low := a.request(reqFields("GET", "/low", "priority", "u=5"), nil, nil)
	high := a.request(reqFields("GET", "/high", "priority", "u=0"), nil, nil)
	a.exchange()
	for _, id := range []uint32{low, high} {
		a.respond(id, fields(":status", "200"), pattern(20000, 1), nil)
	}
	a.sendBodies(a.srv, a.sOut)
	order := dataOrder(t, a.srv.AppendOutgoing(nil))
	if len(order) < 2 || order[0] != high || order[1] != low {
		t.Fatalf("DATA order %v, want %d (u=0) before %d (u=5)", order, high, low)
	}
}

// TestPipeGoAway: a graceful shutdown between two engines: the request in
// flight completes, the client can open no more, both sides are Done.
func TestPipeGoAway(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	var held []uint32
	a.handler = func(a *pipeApp, id uint32, m *msg) { held = append(held, id) }
	id := a.request(reqFields("GET", "/slow"), nil, nil)
	a.exchange()
	a.srv.Shutdown()
	a.exchange()
	if len(a.goAways) == 0 || a.goAways[len(a.goAways)-1].LastStreamID != id {
		t.Fatalf("GOAWAYs %+v, want last stream id %d", a.goAways, id)
	}
	if _, err := a.client.SendRequest(reqFields("GET", "/"), true); err != ErrStreamsExhausted {
		t.Fatalf("SendRequest after GOAWAY: %v", err)
	}
	if a.client.Done() || a.srv.Done() {
		t.Fatal("Done with a stream in flight")
	}
	a.respond(held[0], fields(":status", "200"), []byte("late"), nil)
	a.exchange()
	if string(a.cIn[id].body) != "late" {
		t.Fatal("in-flight stream did not complete")
	}
	if !a.client.Done() || !a.srv.Done() {
		t.Fatalf("Done: client %v server %v", a.client.Done(), a.srv.Done())
	}
}

// TestPipeUnknownStreamReset: a client that sends no SETTINGS ACK for a
// while is still served (values are applied on receipt).
func TestPipeSettingsUpdate(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	a.handler = echo
	if err := a.client.UpdateSettings(Settings{InitialWindowSize: 1 << 20, MaxFrameSize: 1 << 20, HeaderTableSize: 100}); err != nil {
		t.Fatal(err)
	}
	b := pattern(500000, 4)
	id := a.request(reqFields("POST", "/", "x-long-header", string(bytes.Repeat([]byte("h"), 300))), b, nil)
	a.exchange()
	if !bytes.Equal(a.cIn[id].body, b) {
		t.Fatal("body")
	}
	if got := a.srv.PeerSettings(); got.MaxFrameSize != 1<<20 || got.InitialWindowSize != 1<<20 || got.HeaderTableSize != 100 {
		t.Fatalf("server sees %+v", got)
	}
}

// runLatency moves bytes with a one-way delay: each tick, everything the
// engines have to send is taken and delivered latency later; app runs
// after each delivery and once per tick. It stops after d of simulated time.
func (a *pipeApp) runLatency(latency, tick, d time.Duration, app func()) {
	a.t.Helper()
	toSrv, toClient := &a.toSrv, &a.toClient
	end := a.now.Add(d)
	for ; a.now.Before(end); a.now = a.now.Add(tick) {
		a.client.Advance(a.now)
		a.srv.Advance(a.now)
		for _, dir := range []struct {
			from *Conn
			q    *[]flight
		}{{a.client, toSrv}, {a.srv, toClient}} {
			var b []byte
			for dir.from.WantWrite() {
				b = dir.from.AppendOutgoing(b)
			}
			if len(b) > 0 {
				*dir.q = append(*dir.q, flight{a.now.Add(latency), b})
			}
		}
		for _, dir := range []struct {
			to *Conn
			q  *[]flight
		}{{a.srv, toSrv}, {a.client, toClient}} {
			for len(*dir.q) > 0 && !(*dir.q)[0].at.After(a.now) {
				if _, err := dir.to.Receive((*dir.q)[0].b, a.now); err != nil {
					a.t.Fatalf("Receive: %v", err)
				}
				*dir.q = (*dir.q)[1:]
				a.collect()
				app()
			}
		}
		app()
	}
}

// TestPipeAutoWindow: with Config.AutoWindow, a bulk download over a path
// with latency grows the receiver's windows (measured with PINGs) up to
// MaxAutoWindow and not beyond.
func TestPipeAutoWindow(t *testing.T) {
	const maxWin = 1 << 20
	tr := &traceRec{}
	a := newPipeApp(t, Config{AutoWindow: true, MaxAutoWindow: maxWin, ConnectionWindow: 65535, Tracer: tr},
		Config{Limits: Limits{MaxStreamSendBuffer: 4 << 20}})
	id := a.request(reqFields("GET", "/bulk"), nil, nil)
	a.exchange()
	if err := a.srv.SendHeaders(id, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	received := 0
	var rtts []time.Duration
	maxInFlight := 0
	app := func() {
		for _, ev := range a.cEvents {
			switch e := ev.(type) {
			case *DataReceived:
				received += len(e.Data)
				a.client.ConsumeData(e.StreamID, len(e.Data))
			case *PingAcked:
				rtts = append(rtts, e.RTT)
			}
		}
		a.cEvents, a.sEvents = nil, nil
		// The server writes whatever the windows allow.
		for {
			n, err := a.srv.SendData(id, chunk, false)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		// What the server may send (its view of our windows) never exceeds
		// the cap.
		s := a.srv.streams.Get(id)
		maxInFlight = max(maxInFlight, int(s.sendWindow)+s.pending(), int(a.srv.sendWindow)+s.pending())
	}
	countPings := func() int {
		n := 0
		for _, f := range tr.sent {
			if f.h.Type == frame.TypePing {
				n++
			}
		}
		return n
	}
	a.runLatency(10*time.Millisecond, time.Millisecond, 300*time.Millisecond, app)
	if got := a.client.ReceiveWindow(); got != maxWin {
		t.Errorf("ReceiveWindow = %d, want %d", got, maxWin)
	}
	if got := a.client.StreamReceiveWindow(); got != maxWin {
		t.Errorf("StreamReceiveWindow = %d, want %d", got, maxWin)
	}
	// 65535 to 1 MiB: four doublings and a last step to the cap, a PING
	// each (two round trips apart: DATA sent under the old window must
	// arrive first). Then no more PINGs.
	pings := countPings()
	if pings != 5 {
		t.Errorf("client sent %d PINGs while growing", pings)
	}
	received = 0
	a.runLatency(10*time.Millisecond, time.Millisecond, 100*time.Millisecond, app)
	if n := countPings(); n != pings {
		t.Errorf("%d more PINGs once at MaxAutoWindow", n-pings)
	}
	if maxInFlight > maxWin {
		t.Errorf("the server could send %d bytes at once, more than MaxAutoWindow %d", maxInFlight, maxWin)
	}
	// 10ms each way, plus a tick on each side before the frame is taken.
	const rtt = 22 * time.Millisecond
	if len(rtts) == 0 || rtts[0] != rtt || a.client.RTT() != rtt {
		t.Errorf("RTTs %v (last %v), want %v", rtts, a.client.RTT(), rtt)
	}
	// With a 1 MiB window and a 22ms round trip, ~45 MiB/s: far more than
	// the initial 64 KiB window would allow (~3 MiB/s, 0.3 MiB in 100ms).
	if received < 3<<20 {
		t.Errorf("received only %d bytes in 100ms", received)
	}
}

// dataOrder returns the streams of the DATA frames in buf in the order
// they start sending (a stream's consecutive frames count once).
func dataOrder(t *testing.T, buf []byte) []uint32 {
	t.Helper()
	var ps frame.Parser
	var order []uint32
	for len(buf) > 0 {
		f, n, err := ps.Parse(buf)
		if err != nil || n == 0 {
			t.Fatalf("parse: %v", err)
		}
		if d, ok := f.(*frame.Data); ok && (len(order) == 0 || order[len(order)-1] != d.StreamID) {
			order = append(order, d.StreamID)
		}
		buf = buf[n:]
	}
	return order
}
