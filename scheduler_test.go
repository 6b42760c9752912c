package h2kit

import (
	"fmt"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

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
