package idmap

import (
	"maps"
	"math/rand/v2"
	"testing"
)

// check compares m with the reference map want, entry by entry and as a
// whole.
func check(t *testing.T, m *Map[int], want map[uint32]int) {
	t.Helper()
	if m.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", m.Len(), len(want))
	}
	for id, v := range want {
		if got, ok := m.Lookup(id); !ok || got != v {
			t.Fatalf("Lookup(%d) = %d, %v; want %d, true", id, got, ok, v)
		}
	}
	got := maps.Collect(m.All())
	if !maps.Equal(got, want) {
		t.Fatalf("All = %v, want %v", got, want)
	}
	displaced := 0
	mask := uint32(len(m.slots) - 1)
	for i, s := range m.slots {
		if s.id != 0 && uint32(i) != s.id>>1&mask {
			displaced++
		}
	}
	if displaced != m.displaced {
		t.Fatalf("displaced = %d, counted %d", m.displaced, displaced)
	}
}

// A sliding window of client streams (odd ids) with server streams (even
// ids) and a few long-lived ones mixed in, against Go's map: lookups,
// deletes in any order, growth and the probe runs that wrap around the
// table's end.
func TestMapAgainstGoMap(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		var m Map[int]
		want := map[uint32]int{}
		next := uint32(1)
		for step := range 5000 {
			switch op := r.IntN(10); {
			case op < 4: // open a stream: the next odd or even id
				id := next
				if r.IntN(4) == 0 {
					id++ // a server stream
				}
				next += 2
				m.Set(id, step)
				want[id] = step
			case op < 8: // close one at random
				for id := range want {
					m.Delete(id)
					delete(want, id)
					break
				}
			case op < 9: // overwrite one, or look up one that is gone
				for id := range want {
					m.Set(id, -step)
					want[id] = -step
					break
				}
				if _, ok := m.Lookup(next + 2); ok {
					t.Fatalf("Lookup of an id never set succeeded")
				}
			default: // delete an absent id
				m.Delete(next + 4)
			}
			if step%97 == 0 {
				check(t, &m, want)
			}
		}
		check(t, &m, want)
		for id := range want {
			m.Delete(id)
		}
		if m.Len() != 0 {
			t.Fatalf("Len after deleting all = %d", m.Len())
		}
	}
}

// Keys that share a home slot form probe runs; deleting from the middle
// of a run that wraps around the end must keep every other key reachable.
func TestMapCollidingRuns(t *testing.T) {
	var m Map[int]
	want := map[uint32]int{}
	// With 8 slots (up to 4 entries) ids 13, 15 and 29, 31 share homes
	// 6, 7 (id>>1 mod 8): a run from slot 6 wraps to slots 0 and 1.
	for i, id := range []uint32{13, 15, 29, 31} {
		m.Set(id, i)
		want[id] = i
	}
	check(t, &m, want)
	for _, id := range []uint32{13, 29, 15, 31} {
		m.Delete(id)
		delete(want, id)
		check(t, &m, want)
	}
}

func TestMapZero(t *testing.T) {
	var m Map[*int]
	if v := m.Get(1); v != nil || m.Len() != 0 {
		t.Fatalf("zero Map: Get = %v, Len = %d", v, m.Len())
	}
	m.Delete(3) // no table yet
	defer func() {
		if recover() == nil {
			t.Fatal("Set(0) did not panic")
		}
	}()
	m.Set(0, nil)
}

// The steady state of a busy connection: a window of 100 open streams
// moving forward, one opened and one closed per request.
func BenchmarkMapWindow(b *testing.B) {
	var m Map[*int]
	x := new(int)
	id := uint32(1)
	for range 100 {
		m.Set(id, x)
		id += 2
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Set(id, x)
		_ = m.Get(id)
		_ = m.Get(id - 100)
		m.Delete(id - 200)
		id += 2
	}
}

// BenchmarkGoMapWindow is BenchmarkMapWindow with Go's map, to compare.
func BenchmarkGoMapWindow(b *testing.B) {
	m := map[uint32]*int{}
	x := new(int)
	id := uint32(1)
	for range 100 {
		m[id] = x
		id += 2
	}
	b.ReportAllocs()
	for b.Loop() {
		m[id] = x
		_ = m[id]
		_ = m[id-100]
		delete(m, id-200)
		id += 2
	}
}
