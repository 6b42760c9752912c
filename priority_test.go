package h2kit

import (
	"fmt"
	"math"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Priority: the RFC 7540 tree (RFC 7540, Section 5.3, deprecated by RFC
// 9113, Section 5.3.2 but still sent) and RFC 9218 extensible priorities.

// prioServer is a server whose peer grants huge windows, so only the
// scheduler decides which DATA goes first.
func prioServer(t *testing.T, cfg Config) *peer {
	t.Helper()
	cfg.Role = Server
	cfg.Limits.MaxStreamSendBuffer = 4 << 20
	p := newPeer(t, cfg)
	p.settings(sInitialWindow, frame.MaxWindowSize)
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: frame.MaxWindowSize - 65535})
	return p
}

// openWithPriority opens a GET stream whose HEADERS carry RFC 7540
// priority: dependency dep, weight w (1..256).
func (p *peer) openWithPriority(id, dep uint32, w int, exclusive bool) {
	p.t.Helper()
	p.write(&frame.Headers{StreamID: id, EndStream: true, EndHeaders: true, HasPriority: true,
		Priority:      frame.PriorityParam{StreamDep: dep, Weight: uint8(w - 1), Exclusive: exclusive},
		BlockFragment: p.block(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", fmt.Sprintf("/%d", id))})
	wantEvent[*RequestReceived](p)
}

// respondAll sends a 200 and n body bytes on each stream, without writing.
func (p *peer) respondAll(n int, ids ...uint32) {
	p.t.Helper()
	for _, id := range ids {
		if err := p.c.SendHeaders(id, fields(":status", "200"), false); err != nil {
			p.t.Fatal(err)
		}
	}
	for _, id := range ids {
		if got, err := p.c.SendData(id, make([]byte, n), true); err != nil || got != n {
			p.t.Fatalf("SendData(%d) = %d, %v", id, got, err)
		}
	}
}

// dataOrder reads the engine's output and returns the DATA bytes per
// stream within the first limit bytes of DATA, and the stream of each
// DATA frame in order.
func (p *peer) dataOrder(limit int) (map[uint32]int, []uint32) {
	p.t.Helper()
	bytesBy := map[uint32]int{}
	var order []uint32
	total := 0
	var buf []byte
	var ps frame.Parser
	ps.MaxFrameSize = frame.MaxMaxFrameSize
	// One AppendOutgoing call at a time, so that what is not needed stays
	// in the engine, still subject to the scheduler.
	for total < limit && p.c.WantWrite() {
		buf = p.c.AppendOutgoing(buf[:0])
		for b := buf; len(b) > 0; {
			f, n, err := ps.Parse(b)
			if err != nil || n == 0 {
				p.t.Fatalf("engine output: %v", err)
			}
			b = b[n:]
			d, ok := f.(*frame.Data)
			if !ok || total >= limit {
				continue
			}
			k := min(len(d.Data), limit-total)
			bytesBy[d.StreamID] += k
			total += k
			order = append(order, d.StreamID)
		}
	}
	return bytesBy, order
}

func checkShares(t *testing.T, got map[uint32]int, want map[uint32]int, total int, tol float64) {
	t.Helper()
	sum := 0
	for _, w := range want {
		sum += w
	}
	for id, w := range want {
		exp := float64(total) * float64(w) / float64(sum)
		if math.Abs(float64(got[id])-exp) > tol*float64(total) {
			t.Errorf("stream %d got %d bytes, want %.0f (weight %d of %d) ± %.0f%%; all: %v", id, got[id], exp, w, sum, tol*100, got)
		}
	}
}

// TestPriorityWeights20884: the REQUIRED weight test — four sibling
// streams with weights 20, 8, 8 and 4 and plenty of DATA share the first
// bytes 20:8:8:4 (RFC 7540, Section 5.3.2: "proportional to its weight").
func TestPriorityWeights20884(t *testing.T) {
	p := prioServer(t, Config{})
	weights := map[uint32]int{1: 20, 3: 8, 5: 8, 7: 4}
	for _, id := range []uint32{1, 3, 5, 7} {
		p.openWithPriority(id, 0, weights[id], false)
	}
	p.frames()
	p.respondAll(1<<20, 1, 3, 5, 7)
	for _, n := range []int{40 * 16384, 100 * 16384} {
		// Fresh stream state for each N: read N from the start.
		if n != 40*16384 {
			p = prioServer(t, Config{})
			for _, id := range []uint32{1, 3, 5, 7} {
				p.openWithPriority(id, 0, weights[id], false)
			}
			p.frames()
			p.respondAll(2<<20, 1, 3, 5, 7)
		}
		got, _ := p.dataOrder(n)
		checkShares(t, got, weights, n, 0.03)
	}
}

// TestPriorityWeightsSeedTree: the seed chapter's tree — index.html, then
// style.css, then critical.js, each depending on the one before; then
// less_critical.js (20), photo.jpg (8), header.jpg (8) and ad.js (4)
// depending on critical.js. A stream's dependents wait while it has data
// (RFC 7540, Section 5.3.1); the four leaves then share 20:8:8:4.
func TestPriorityWeightsSeedTree(t *testing.T) {
	p := prioServer(t, Config{})
	const index, style, critical = 1, 3, 5
	leaves := map[uint32]int{7: 20, 9: 8, 11: 8, 13: 4}
	p.openWithPriority(index, 0, 16, false)
	p.openWithPriority(style, index, 16, false)
	p.openWithPriority(critical, style, 16, false)
	for _, id := range []uint32{7, 9, 11, 13} {
		p.openWithPriority(id, critical, leaves[id], false)
	}
	p.frames()
	p.respondAll(30000, index, style, critical)
	p.respondAll(1<<20, 7, 9, 11, 13)
	_, order := p.dataOrder(3 * 30000)
	// 30000 bytes = 2 frames each, strictly in dependency order.
	want := []uint32{1, 1, 3, 3, 5, 5}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("first DATA frames on %v, want %v", order, want)
	}
	n := 60 * 16384
	got, _ := p.dataOrder(n)
	checkShares(t, got, leaves, n, 0.03)
}

// TestPriorityDefaultWeight: RFC 7540, Section 5.3.5 — streams without
// priority information get weight 16 under the root: with a weight-48
// sibling, two of them share 16:16:48.
func TestPriorityDefaultWeight(t *testing.T) {
	p := prioServer(t, Config{})
	p.get(1, "/")
	p.get(3, "/")
	p.openWithPriority(5, 0, 48, false)
	p.drainEvents()
	p.frames()
	p.respondAll(1<<20, 1, 3, 5)
	n := 50 * 16384
	got, _ := p.dataOrder(n)
	checkShares(t, got, map[uint32]int{1: 16, 3: 16, 5: 48}, n, 0.03)
}

// TestPrioritySubtreeShare: a node without data passes its share to its
// dependents: A (16) and B (16) under the root, C under A; A idle, B and
// C busy: C gets A's half.
func TestPrioritySubtreeShare(t *testing.T) {
	p := prioServer(t, Config{})
	p.openWithPriority(1, 0, 16, false) // A
	p.openWithPriority(3, 0, 16, false) // B
	p.openWithPriority(5, 1, 200, false)
	p.openWithPriority(7, 0, 16, false) // D, idle, ready later
	p.frames()
	p.respondAll(1<<20, 3, 5)
	n := 40 * 16384
	got, _ := p.dataOrder(n)
	checkShares(t, got, map[uint32]int{3: 1, 5: 1}, n, 0.03)
	// D gets data: three active subtrees under the root, equal weights.
	p.respondAll(1<<20, 7)
	got, _ = p.dataOrder(n)
	checkShares(t, got, map[uint32]int{3: 1, 5: 1, 7: 1}, n, 0.04)
}

// TestPriorityReprioritization: RFC 7540, Section 5.3.3 — a PRIORITY
// frame moves a stream; making a stream depend on its own dependent first
// moves that dependent to the stream's former parent. Exclusive
// dependencies adopt the new parent's children (Section 5.3.1).
func TestPriorityReprioritization(t *testing.T) {
	p := prioServer(t, Config{})
	p.openWithPriority(1, 0, 16, false)
	p.openWithPriority(3, 1, 16, false)
	p.openWithPriority(5, 3, 16, false)
	s := &p.c.sched
	parent := func(id uint32) uint32 { return s.nodes[id].parent.id }
	if parent(3) != 1 || parent(5) != 3 {
		t.Fatal("initial tree")
	}
	// 1 now depends on 5 (its grandchild): 5 moves under 1's old parent (root).
	p.write(&frame.Priority{StreamID: 1, PriorityParam: frame.PriorityParam{StreamDep: 5, Weight: 99}})
	if parent(5) != 0 || parent(1) != 5 || parent(3) != 1 || s.nodes[1].weight != 100 {
		t.Fatalf("after reprioritization: parents 1:%d 3:%d 5:%d", parent(1), parent(3), parent(5))
	}
	// 7 exclusive on the root adopts every other root child.
	p.openWithPriority(7, 0, 16, true)
	if parent(5) != 7 || parent(7) != 0 || len(s.root.children) != 1 {
		t.Fatalf("exclusive: parent(5)=%d, root children %d", parent(5), len(s.root.children))
	}
	// A PRIORITY frame on an idle stream creates a node others can depend on.
	p.write(&frame.Priority{StreamID: 11, PriorityParam: frame.PriorityParam{StreamDep: 0, Weight: 255}})
	p.openWithPriority(9, 11, 16, false)
	if parent(9) != 11 || s.nodes[11].weight != 256 {
		t.Fatal("dependency on an idle stream")
	}
	// A dependency on a stream not in the tree: default priority (5.3.1).
	p.openWithPriority(13, 101, 16, false)
	if parent(13) != 101 || parent(101) != 0 || s.nodes[101].weight != 16 {
		t.Fatal("dependency on an unknown stream")
	}
	// Self-dependency: stream error PROTOCOL_ERROR (Section 5.3.1).
	p.write(&frame.Priority{StreamID: 9, PriorityParam: frame.PriorityParam{StreamDep: 9}})
	p.wantRST(9, frame.ErrCodeProtocol)
}

// TestPriorityClosedNodes: RFC 7540, Section 5.3.4 — a closed stream's
// node stays for a while so dependencies keep their place; when it is
// dropped its children move to its parent. The number of such nodes is
// bounded (Limits.MaxPriorityNodes).
func TestPriorityClosedNodes(t *testing.T) {
	p := prioServer(t, Config{Limits: Limits{MaxPriorityNodes: 3}})
	p.openWithPriority(1, 0, 16, false)
	p.openWithPriority(3, 1, 16, false)
	p.respondAll(10, 1)
	p.frames() // stream 1 done and closed
	s := &p.c.sched
	if p.c.State(1) != StateClosed || s.nodes[1] == nil || s.nodes[3].parent.id != 1 {
		t.Fatal("closed stream's node should stay")
	}
	// Many PRIORITY frames for idle streams: the oldest idle nodes go,
	// and 3 moves up to the root when 1's node is dropped.
	for id := uint32(101); id < 200; id += 2 {
		p.write(&frame.Priority{StreamID: id, PriorityParam: frame.PriorityParam{Weight: 15}})
	}
	if len(s.nodes) > 3+1 {
		t.Fatalf("%d nodes kept, limit 3 idle + 1 open", len(s.nodes))
	}
	if s.nodes[1] != nil || s.nodes[3].parent != &s.root {
		t.Fatal("dropped node's child did not move to the root")
	}
}

// TestPriority9218Urgency: RFC 9218, Section 4 and 10 — lower urgency
// first; same urgency non-incremental one at a time in stream order;
// incremental ones round-robin.
func TestPriority9218Urgency(t *testing.T) {
	p := prioServer(t, Config{})
	prio := map[uint32]string{1: "u=5", 3: "u=1", 5: "u=3", 7: "u=3", 9: "u=4, i", 11: "u=4, i"}
	for _, id := range []uint32{1, 3, 5, 7, 9, 11} {
		p.headers(id, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "priority", prio[id])
		ev := wantEvent[*RequestReceived](p)
		if ev.Priority != ParsePriority(prio[id]) {
			t.Fatalf("stream %d priority %+v", id, ev.Priority)
		}
	}
	p.frames()
	p.respondAll(40000, 1, 3, 5, 7, 9, 11)
	_, order := p.dataOrder(6 * 40000)
	// 40000 bytes = 3 frames per stream.
	want := []uint32{3, 3, 3, 5, 5, 5, 7, 7, 7, 9, 11, 9, 11, 9, 11, 1, 1, 1}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("DATA order %v\nwant %v", order, want)
	}
}

// TestPriorityUpdateFrame: RFC 9218, Section 7.1 — PRIORITY_UPDATE
// changes an open stream's priority (reported), or one not yet opened,
// overriding the priority header field it then carries.
func TestPriorityUpdateFrame(t *testing.T) {
	p := prioServer(t, Config{})
	p.get(1, "/")
	p.get(3, "/")
	p.drainEvents()
	p.write(&frame.PriorityUpdate{PrioritizedID: 3, FieldValue: []byte("u=0")})
	if ev := wantEvent[*PriorityUpdated](p); ev.StreamID != 3 || ev.Priority.Urgency != 0 {
		t.Fatalf("%+v", ev)
	}
	// Before stream 5 opens; its header says u=7 but the frame wins.
	p.write(&frame.PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=1")})
	p.headers(5, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "priority", "u=7")
	if ev := wantEvent[*RequestReceived](p); ev.Priority.Urgency != 1 {
		t.Fatalf("stream 5 priority %+v, want the PRIORITY_UPDATE's u=1", ev.Priority)
	}
	p.frames()
	p.respondAll(16384, 1, 3, 5)
	_, order := p.dataOrder(3 * 16384)
	if fmt.Sprint(order) != "[3 5 1]" {
		t.Fatalf("order %v, want [3 5 1]", order)
	}
	// A closed stream: ignored.
	p.write(&frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=0")})
	p.wantNoEvent()
}

// TestPriorityUpdateErrors: RFC 9218, Section 7.1 — the connection
// errors of PRIORITY_UPDATE.
func TestPriorityUpdateErrors(t *testing.T) {
	// From a server.
	p := newPeer(t, Config{Role: Client})
	p.write(&frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// For an idle push stream.
	p = newPeer(t, Config{Role: Server})
	p.write(&frame.PriorityUpdate{PrioritizedID: 2, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// Prioritized stream 0.
	p = newPeer(t, Config{Role: Server})
	p.write(&frame.PriorityUpdate{PrioritizedID: 0, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// On a stream other than 0.
	p = newPeer(t, Config{Role: Server})
	p.writeRaw([]byte{0, 0, 7, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 3, 'u', '=', '1'})
	p.wantGoAway(frame.ErrCodeProtocol)
	// More idle prioritized streams than SETTINGS_MAX_CONCURRENT_STREAMS.
	p = newPeer(t, Config{Role: Server, Settings: Settings{MaxConcurrentStreams: 3}})
	p.get(1, "/")
	for _, id := range []uint32{3, 5} {
		p.write(&frame.PriorityUpdate{PrioritizedID: id, FieldValue: []byte("u=1")})
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=2")}) // same stream: fine
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.PriorityUpdate{PrioritizedID: 7, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestPriorityUpdateSkippedIDs: updates for ids the client skipped do not
// count against the limit for ever.
func TestPriorityUpdateSkippedIDs(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{MaxConcurrentStreams: 2}})
	for id := uint32(1); id < 200; id += 4 {
		p.write(&frame.PriorityUpdate{PrioritizedID: id, FieldValue: []byte("u=1")})
		p.get(id+2, "/") // id itself is skipped: closed
		p.c.ResetStream(id+2, frame.ErrCodeCancel)
		if p.err != nil {
			t.Fatalf("at %d: %v", id, p.err)
		}
	}
}

// TestPriorityNoRFC7540: RFC 9218, Section 2.1 — with
// SETTINGS_NO_RFC7540_PRIORITIES the RFC 7540 signals are ignored, ours or
// the peer's.
func TestPriorityNoRFC7540(t *testing.T) {
	for _, local := range []bool{true, false} {
		p := prioServer(t, Config{Settings: Settings{NoRFC7540Priorities: local}})
		if !local {
			p.settings(sNo7540, 1)
		}
		p.openWithPriority(1, 0, 1, false)
		p.openWithPriority(3, 0, 256, false)
		if p.c.sched.useTree || len(p.c.sched.nodes) != 0 {
			t.Fatalf("local=%v: RFC 7540 tree in use", local)
		}
		p.frames()
		p.respondAll(1<<20, 1, 3)
		n := 16 * 16384
		got, _ := p.dataOrder(n)
		// Weights 1 and 256 ignored: if anything, stream 1 goes first
		// (same default urgency, stream order), never 1:256.
		if got[1] < n/2 {
			t.Fatalf("local=%v: shares %v", local, got)
		}
	}
}

// TestPrioritySendUpdate: a client sends PRIORITY_UPDATE on stream 0
// (RFC 9218, Section 7.1); a server may not.
func TestPrioritySendUpdate(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id, _ := p.c.SendRequest(reqFields("GET", "/"), true)
	p.wantHeaders(id, true)
	if err := p.c.SendPriorityUpdate(id, Priority{Urgency: 1, Incremental: true}); err != nil {
		t.Fatal(err)
	}
	u := p.wantFrame(frame.TypePriorityUpdate).(*frame.PriorityUpdate)
	if u.PrioritizedID != id || string(u.FieldValue) != "u=1, i" {
		t.Fatalf("%+v %q", u, u.FieldValue)
	}
	s := newPeer(t, Config{Role: Server})
	if err := s.c.SendPriorityUpdate(1, DefaultPriority); err != ErrWrongRole {
		t.Fatal(err)
	}
}

// TestParsePriority: RFC 9218, Section 4 — the priority field; unknown
// members, parameters and out-of-range values are ignored.
func TestParsePriority(t *testing.T) {
	cases := []struct {
		in   string
		want Priority
	}{
		{"", DefaultPriority},
		{"u=0", Priority{0, false}},
		{"u=7, i", Priority{7, true}},
		{"i", Priority{3, true}},
		{"i=?1", Priority{3, true}},
		{"i=?0, u=2", Priority{2, false}},
		{"u=8", DefaultPriority},
		{"u=-1", DefaultPriority},
		{"u=x", DefaultPriority},
		{"u", DefaultPriority},
		{"u=1;foo=bar, i;x", Priority{1, true}},
		{"foo=1, u=2, bar", Priority{2, false}},
		{" u=4 ,  i ", Priority{4, true}},
		{"u=1, u=5", Priority{5, false}},
	}
	for _, c := range cases {
		if got := ParsePriority(c.in); got != c.want {
			t.Errorf("ParsePriority(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	if s := (Priority{Urgency: 2, Incremental: true}).String(); s != "u=2, i" {
		t.Error(s)
	}
	if s := DefaultPriority.String(); s != "u=3" {
		t.Error(s)
	}
}

// TestPriorityRecomputeNested: shares stay right when they are recomputed
// (a stream gets data) in a tree with intermediate nodes that have no data
// of their own: root: X (16) and Z (16); X: A (16) and Y (16); A: C (16).
// With C, Y, Z busy and then W (16, under the root) too, the shares are
// C 1/6, Y 1/6, Z 1/3, W 1/3.
func TestPriorityRecomputeNested(t *testing.T) {
	p := prioServer(t, Config{})
	const X, Z, A, Y, C, W = 1, 3, 5, 7, 9, 11
	p.openWithPriority(X, 0, 16, false)
	p.openWithPriority(Z, 0, 16, false)
	p.openWithPriority(A, X, 16, false)
	p.openWithPriority(Y, X, 16, false)
	p.openWithPriority(C, A, 16, false)
	p.openWithPriority(W, 0, 16, false)
	p.frames()
	p.respondAll(2<<20, Y, C, Z)
	n := 40 * 16384
	got, _ := p.dataOrder(n)
	checkShares(t, got, map[uint32]int{Y: 1, C: 1, Z: 2}, n, 0.03)
	p.respondAll(2<<20, W)
	got, _ = p.dataOrder(n)
	checkShares(t, got, map[uint32]int{Y: 1, C: 1, Z: 2, W: 2}, n, 0.03)
}
