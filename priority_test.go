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
	// The browsers' forms, which take a short cut, and their neighbours
	// mean what the general parse says.
	for _, in := range []string{"u=0", "u=0, i", "u=7, i", "u=3", "u=8", "u=8, i", "u=0,i", "u=0, i=?0",
		"u=1, ix", "u=1, i;a", "u=/", "u=0 ", "U=0"} {
		if got, want := ParsePriority(in), parsePriority(in); got != want {
			t.Errorf("ParsePriority(%q) = %+v, the general parse %+v", in, got, want)
		}
	}
	if s := (Priority{Urgency: 2, Incremental: true}).String(); s != "u=2, i" {
		t.Error(s)
	}
	if s := DefaultPriority.String(); s != "u=3" {
		t.Error(s)
	}
}
