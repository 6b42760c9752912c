package h2kit

import (
	"errors"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Limits: what a peer may make the engine do. Exceeding one is a
// connection error ENHANCE_YOUR_CALM (RFC 9113, Section 5.4.1 and 10.5).

// TestLimitRapidReset: CVE-2023-44487 — HEADERS followed by RST_STREAM,
// again and again, beyond Limits.RemoteResets.
func TestLimitRapidReset(t *testing.T) {
	for _, lim := range []Rate{{}, {Burst: 50, PerSecond: 10}} {
		p := newPeer(t, Config{Role: Server, Limits: Limits{RemoteResets: lim}})
		burst := p.c.cfg.Limits.RemoteResets.Burst
		id := uint32(1)
		for i := 0; i < burst; i++ {
			p.get(id, "/")
			p.write(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
			id += 2
		}
		p.drainEvents()
		p.frames()
		if p.err != nil {
			t.Fatalf("burst %d: %v", burst, p.err)
		}
		p.get(id, "/")
		p.write(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
		p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
	}
	// The bucket refills with time: a steady rate below the limit is fine.
	p := newPeer(t, Config{Role: Server, Limits: Limits{RemoteResets: Rate{Burst: 10, PerSecond: 10}}})
	for id := uint32(1); id < 200; id += 2 {
		p.get(id, "/")
		p.write(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
		p.now = p.now.Add(110 * time.Millisecond)
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// TestLimitMadeYouReset: CVE-2025-8671 — a peer provoking stream errors
// (each answered with RST_STREAM) beyond Limits.LocalResets.
func TestLimitMadeYouReset(t *testing.T) {
	provoke := map[string]func(p *peer, id uint32){
		// Section 6.9: WINDOW_UPDATE with increment 0 on a stream.
		"window update 0": func(p *peer, id uint32) {
			p.post(id)
			p.write(&frame.WindowUpdate{StreamID: id, Increment: 0})
		},
		// Section 5.1: DATA on a half-closed (remote) stream.
		"data after end": func(p *peer, id uint32) {
			p.get(id, "/")
			p.write(&frame.Data{StreamID: id, Data: []byte("x")})
		},
		// Section 8.1.1: malformed requests.
		"malformed": func(p *peer, id uint32) {
			p.headers(id, true, ":method", "GET", ":path", "/")
		},
	}
	for name, f := range provoke {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server, Limits: Limits{LocalResets: Rate{Burst: 20, PerSecond: 1}}})
			id := uint32(1)
			for i := 0; i < 20; i++ {
				f(p, id)
				id += 2
			}
			if p.err != nil {
				t.Fatal(p.err)
			}
			rst := 0
			for _, fr := range p.frames() {
				if _, ok := fr.(*frame.RSTStream); ok {
					rst++
				}
			}
			if rst != 20 {
				t.Fatalf("%d RST_STREAM, want 20", rst)
			}
			f(p, id)
			p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
		})
	}
}

// TestLimitContinuationFlood: CVE-2024-27316 — a header block in more
// CONTINUATION frames than Limits.MaxContinuationFrames.
func TestLimitContinuationFlood(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxContinuationFrames: 10}})
	block := p.block(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "x-a", "0123456789abcdef")
	p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: block[:1]})
	for i := 1; i < 10; i++ { // frames 2..10
		p.write(&frame.Continuation{StreamID: 1, BlockFragment: block[i : i+1]})
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Continuation{StreamID: 1, BlockFragment: block[10:11]})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)

	// Within the limit the block is fine.
	p = newPeer(t, Config{Role: Server, Limits: Limits{MaxContinuationFrames: 10}})
	block = p.block(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/")
	p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: block[:3]})
	p.write(&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: block[3:]})
	wantEvent[*RequestReceived](p)

	// Empty CONTINUATION frames count as frames without progress too.
	p = newPeer(t, Config{Role: Server, Limits: Limits{EmptyFrames: Rate{Burst: 5, PerSecond: 1}}})
	p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: block[:1]})
	for i := 0; i < 5; i++ {
		p.write(&frame.Continuation{StreamID: 1})
	}
	p.write(&frame.Continuation{StreamID: 1})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
}

// TestLimitHeaderBlockSize: a header block larger than
// Limits.MaxHeaderBlockSize is refused before it is stored.
func TestLimitHeaderBlockSize(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxHeaderBlockSize: 20000}})
	chunk := make([]byte, 16384)
	p.write(&frame.Headers{StreamID: 1, BlockFragment: chunk})
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Continuation{StreamID: 1, BlockFragment: chunk})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
	if len(p.c.hb.buf) > 20000 {
		t.Fatalf("buffered %d bytes", len(p.c.hb.buf))
	}
	// A first fragment already too large.
	p = newPeer(t, Config{Role: Server, Limits: Limits{MaxHeaderBlockSize: 10000}})
	p.write(&frame.Headers{StreamID: 1, BlockFragment: chunk})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
}

// TestLimitQueuedControlFrames: CVE-2019-9512/9515 — a peer that sends
// PINGs or SETTINGS and does not read the answers: more answers queued
// than Limits.MaxQueuedControlFrames end the connection.
func TestLimitQueuedControlFrames(t *testing.T) {
	lim := Limits{MaxQueuedControlFrames: 50, Pings: Rate{Burst: 1 << 20, PerSecond: 1}, Settings: Rate{Burst: 1 << 20, PerSecond: 1}}
	for _, kind := range []string{"ping", "settings"} {
		p := newPeer(t, Config{Role: Server, Limits: lim})
		batch := func(n int) []byte {
			var b []byte
			for i := 0; i < n; i++ {
				if kind == "ping" {
					b = (&frame.Ping{Data: [8]byte{byte(i)}}).Append(b)
				} else {
					b = (&frame.Settings{}).Append(b)
				}
			}
			return b
		}
		// Answers taken in between: fine.
		for i := 0; i < 5; i++ {
			p.writeRaw(batch(50))
			p.frames()
			p.drainEvents()
		}
		if p.err != nil {
			t.Fatalf("%s: %v", kind, p.err)
		}
		// One big batch, nothing read.
		p.writeRaw(batch(51))
		p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
	}
}

// TestLimitEmptyFrames: CVE-2019-9518 — floods of frames that carry no
// progress: empty DATA, PRIORITY, unknown frame types.
func TestLimitEmptyFrames(t *testing.T) {
	lim := Limits{EmptyFrames: Rate{Burst: 100, PerSecond: 10}}
	floods := map[string]func(p *peer, i int) frame.Frame{
		"empty data": func(p *peer, i int) frame.Frame { return &frame.Data{StreamID: 1} },
		"priority": func(p *peer, i int) frame.Frame {
			return &frame.Priority{StreamID: uint32(101 + 2*i), PriorityParam: frame.PriorityParam{Weight: 15}}
		},
		"unknown": func(p *peer, i int) frame.Frame {
			return &frame.Unknown{Hdr: frame.Header{Type: 0xee}, Payload: []byte("x")}
		},
		"priority update": func(p *peer, i int) frame.Frame {
			return &frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=2")}
		},
	}
	for name, f := range floods {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server, Limits: lim})
			p.post(1)
			p.drainEvents()
			for i := 0; i < 100; i++ {
				p.write(f(p, i))
			}
			if p.err != nil {
				t.Fatal(p.err)
			}
			p.write(f(p, 100))
			p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
		})
	}
	// An empty DATA frame with END_STREAM is progress.
	p := newPeer(t, Config{Role: Server, Limits: lim})
	for id := uint32(1); id < 400; id += 2 {
		p.post(id)
		p.write(&frame.Data{StreamID: id, EndStream: true})
		p.c.ResetStream(id, frame.ErrCodeNo)
		p.frames()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// TestLimitPingAndSettingsRate: Limits.Pings and Limits.Settings bound
// how many the peer may send, even when it reads the answers.
func TestLimitPingAndSettingsRate(t *testing.T) {
	lim := Limits{Pings: Rate{Burst: 10, PerSecond: 2}, Settings: Rate{Burst: 5, PerSecond: 1}}
	p := newPeer(t, Config{Role: Server, Limits: lim})
	for i := 0; i < 10; i++ {
		p.write(&frame.Ping{})
		p.frames()
	}
	p.now = p.now.Add(time.Second) // two more
	p.write(&frame.Ping{})
	p.write(&frame.Ping{})
	p.frames()
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Ping{})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)

	// The handshake used one SETTINGS.
	p = newPeer(t, Config{Role: Server, Limits: lim})
	for i := 0; i < 4; i++ {
		p.settings(sMaxStreams, uint32(10+i))
	}
	p.write(&frame.Settings{})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
}

// TestLimitClosedStreamMemory: closed streams are not kept: the memory
// of reset streams is bounded by Limits.MaxClosedStreams, the priority
// tree by Limits.MaxPriorityNodes, pooled records by a constant.
func TestLimitClosedStreamMemory(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxClosedStreams: 16, MaxPriorityNodes: 8,
		RemoteResets: Rate{Burst: 1 << 20, PerSecond: 1}}})
	id := uint32(1)
	for i := 0; i < 2000; i++ {
		switch i % 3 {
		case 0: // reset by the peer, with RFC 7540 priority
			p.write(&frame.Headers{StreamID: id, EndHeaders: true, HasPriority: true, Priority: frame.PriorityParam{Weight: 3},
				BlockFragment: p.block(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/")})
			p.write(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
		case 1: // reset by us
			p.post(id)
			p.c.ResetStream(id, frame.ErrCodeRefusedStream)
		case 2: // completed
			p.get(id, "/")
			p.c.SendHeaders(id, fields(":status", "204"), true)
		}
		p.frames()
		p.drainEvents()
		id += 2
	}
	c := p.c
	if c.streams.Len() != 0 || c.ActiveStreams() != 0 {
		t.Fatalf("%d streams kept", c.streams.Len())
	}
	if len(c.closed.reset.recs) > 16 {
		t.Fatalf("%d closed ids remembered", len(c.closed.reset.recs))
	}
	if len(c.sched.nodes) > 8+1 || len(c.sched.idle) > 8 {
		t.Fatalf("%d priority nodes, %d idle", len(c.sched.nodes), len(c.sched.idle))
	}
	if len(c.streamPool) > 64 || len(c.bufPool) > 64 || len(c.sched.ready) != 0 {
		t.Fatalf("pools %d %d, ready %d", len(c.streamPool), len(c.bufPool), len(c.sched.ready))
	}
	if c.peerActive != 0 || c.localActive != 0 {
		t.Fatalf("active counts %d %d", c.peerActive, c.localActive)
	}
	// A recently reset stream's late frames are ignored...
	p.write(&frame.Data{StreamID: id - 2, Data: []byte("late")}) // reset by us
	p.wantNoFrame()
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// TestLimitQueuedResponses: CVE-2019-9517 — requests for responses without
// a body from a client that never reads: each response closes its stream
// at once, so SETTINGS_MAX_CONCURRENT_STREAMS does not hold them back;
// Limits.MaxQueuedControlFrames does.
func TestLimitQueuedResponses(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxQueuedControlFrames: 50}})
	noContent := []hpack.Field{{Name: ":status", Value: "204"}}
	id := uint32(1)
	respond := func() {
		p.get(id, "/")
		p.drainEvents()
		if err := p.c.SendHeaders(id, noContent, true); err != nil {
			t.Fatal(err)
		}
		id += 2
	}
	// Responses taken in between: fine.
	for i := 0; i < 200; i++ {
		respond()
		if i%40 == 39 {
			p.frames()
		}
	}
	p.frames()
	if err := p.c.Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 51; i++ {
		respond()
	}
	var ce *ConnError
	if err := p.c.Err(); !errors.As(err, &ce) || ce.Code != frame.ErrCodeEnhanceYourCalm {
		t.Fatalf("after 51 responses not taken: %v, want ENHANCE_YOUR_CALM", err)
	}
	fs := p.frames()
	if g, ok := fs[len(fs)-1].(*frame.GoAway); !ok || g.Code != frame.ErrCodeEnhanceYourCalm {
		t.Fatalf("last frame %v, want GOAWAY ENHANCE_YOUR_CALM", fs[len(fs)-1])
	}
}

// TestLimitPingsFollowingData: a peer that sends a PING each time DATA
// reaches it (grpc-go's bandwidth probe does) measures our data and is
// not cut off, however many it sends; PINGs with no DATA in between still
// run into Limits.Pings.
func TestLimitPingsFollowingData(t *testing.T) {
	lim := Limits{Pings: Rate{Burst: 10, PerSecond: 1}}
	p := newPeer(t, Config{Role: Server, Limits: lim})
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 1 << 30})
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	if err := p.c.SendHeaders(1, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := p.c.SendData(1, []byte("chunk"), false); err != nil {
			t.Fatal(err)
		}
		p.frames() // the DATA goes out
		p.write(&frame.Ping{Data: [8]byte{byte(i)}})
		p.frames()
		p.write(&frame.WindowUpdate{StreamID: 1, Increment: 5})
	}
	if p.err != nil {
		t.Fatalf("PINGs following DATA cut the connection: %v", p.err)
	}
	// Without DATA in between, the limit applies: the burst of 10, then
	// GOAWAY ENHANCE_YOUR_CALM.
	for i := 0; i < 10; i++ {
		p.write(&frame.Ping{})
		p.frames()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Ping{})
	p.wantGoAway(frame.ErrCodeEnhanceYourCalm)
}
