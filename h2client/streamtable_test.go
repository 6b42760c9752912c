package h2client

import (
	"math/rand/v2"
	"testing"
)

// TestStreamTable checks the table against a map through a random mix of
// opens (increasing odd ids, some even ones as pushes), lookups and
// closes, with streams that stay open long enough for newer ones to need
// their slot (the overflow map), and the walk over all of them.
func TestStreamTable(t *testing.T) {
	var tab streamTable
	want := map[uint32]*clientStream{}
	rng := rand.New(rand.NewPCG(1, 2))
	next := uint32(1)
	var open []uint32
	for i := range 20000 {
		switch r := rng.IntN(10); {
		case r < 4 || len(open) == 0:
			id := next
			next += 2
			if rng.IntN(20) == 0 {
				id = next - 1 // even: a pushed stream
			}
			st := &clientStream{id: id}
			tab.put(st)
			want[id] = st
			open = append(open, id)
		case r < 8:
			// Close one, mostly among the oldest, sometimes the newest:
			// old streams linger while the ids move on.
			k := rng.IntN(min(len(open), 4))
			if rng.IntN(3) == 0 {
				k = len(open) - 1
			}
			id := open[k]
			open = append(open[:k], open[k+1:]...)
			tab.del(want[id])
			delete(want, id)
		default:
			id := uint32(rng.IntN(int(next) + 10))
			if got := tab.get(id); got != want[id] {
				t.Fatalf("step %d: get(%d) = %p, want %p", i, id, got, want[id])
			}
		}
		if tab.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", i, tab.len(), len(want))
		}
	}
	if len(tab.over) == 0 {
		t.Fatal("the overflow map was never used: the test does not cover it")
	}
	for id, st := range want {
		if tab.get(id) != st {
			t.Fatalf("get(%d) lost its stream", id)
		}
	}
	// each visits every stream once, and the streams it deletes as it
	// goes are gone after.
	seen := map[*clientStream]int{}
	tab.each(func(st *clientStream) {
		seen[st]++
		tab.del(st)
	})
	if len(seen) != len(want) {
		t.Fatalf("each visited %d streams, want %d", len(seen), len(want))
	}
	for st, n := range seen {
		if n != 1 || want[st.id] != st {
			t.Fatalf("stream %d visited %d times", st.id, n)
		}
	}
	if tab.len() != 0 || tab.get(1) != nil {
		t.Fatalf("after deleting all: len %d", tab.len())
	}
}
