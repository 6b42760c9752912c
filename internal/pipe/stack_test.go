package pipe

import (
	"sync"
	"testing"
	"time"
)

type node struct {
	link Link[node]
	id   int
}

func (n *node) DirtyLink() *Link[node] { return &n.link }

func TestStackOrderAndOnce(t *testing.T) {
	var s Stack[node, *node]
	a, b, c := &node{id: 1}, &node{id: 2}, &node{id: 3}
	s.Add(a)
	s.Add(b)
	s.Add(a) // already on: no second entry
	s.Add(c)
	got := s.TakeAll(nil)
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Fatalf("TakeAll = %v, want a b c", ids(got))
	}
	if !s.Empty() {
		t.Fatal("not empty after TakeAll")
	}
	s.Add(a) // may be pushed again once taken
	if got := s.TakeAll(got[:0]); len(got) != 1 || got[0] != a {
		t.Fatalf("second TakeAll = %v", ids(got))
	}
}

// Many goroutines pushing while the owner takes: every push that found
// the node off the stack puts it on once, and nothing is lost.
func TestStackConcurrent(t *testing.T) {
	var s Stack[node, *node]
	const goroutines, rounds = 8, 2000
	nodes := make([]*node, goroutines)
	for i := range nodes {
		nodes[i] = &node{id: i}
	}
	var wg sync.WaitGroup
	seen := make([]int, goroutines)
	stop := make(chan struct{})
	taken := make(chan struct{})
	go func() {
		defer close(taken)
		var buf []*node
		for {
			select {
			case <-stop:
				for _, n := range s.TakeAll(buf[:0]) {
					seen[n.id]++
				}
				return
			default:
			}
			buf = s.TakeAll(buf[:0])
			dup := map[*node]bool{}
			for _, n := range buf {
				if dup[n] {
					t.Errorf("node %d twice in one TakeAll", n.id)
				}
				dup[n] = true
				seen[n.id]++
			}
		}
	}()
	for i := range nodes {
		n := nodes[i]
		wg.Go(func() {
			for r := 0; r < rounds; r++ {
				s.Add(n)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-taken
	for i, c := range seen {
		if c == 0 {
			t.Errorf("node %d never taken", i)
		}
	}
	if !s.Empty() {
		t.Error("stack not empty at the end")
	}
}

func TestStackNoAllocs(t *testing.T) {
	var s Stack[node, *node]
	n := &node{}
	buf := make([]*node, 0, 4)
	if a := testing.AllocsPerRun(1000, func() {
		s.Add(n)
		buf = s.TakeAll(buf[:0])
	}); a != 0 {
		t.Errorf("%.1f allocations per push and take", a)
	}
}

func ids(ns []*node) []int {
	var out []int
	for _, n := range ns {
		out = append(out, n.id)
	}
	return out
}

// TestStackDrain: Drain visits the streams oldest first, leaves the
// stack empty and its room holding none of them, and allocates nothing
// once the room is large enough.
func TestStackDrain(t *testing.T) {
	var s Stack[node, *node]
	a, b := &node{id: 1}, &node{id: 2}
	var batch []*node
	var got []int
	s.Add(a)
	s.Add(b)
	s.Drain(&batch, func(n *node) { got = append(got, n.id) })
	if len(got) != 2 || got[0] != 1 || got[1] != 2 || !s.Empty() {
		t.Fatalf("Drain visited %v (empty after: %v), want [1 2]", got, s.Empty())
	}
	if len(batch) != 0 || cap(batch) < 2 || batch[:2][0] != nil || batch[:2][1] != nil {
		t.Fatal("Drain's room keeps streams")
	}
	count := 0
	f := func(*node) { count++ }
	if n := testing.AllocsPerRun(1000, func() {
		s.Add(a)
		s.Drain(&batch, f)
	}); n != 0 {
		t.Errorf("%.1f allocations per Drain", n)
	}
}

// Push reports whether the stack was empty, the one push that has to
// wake the owner.
func TestStackPushReportsEmpty(t *testing.T) {
	var s Stack[node, *node]
	a, b := &node{id: 1}, &node{id: 2}
	if !s.Mark(a) || !s.Push(a) {
		t.Fatal("first push: stack not reported empty")
	}
	if !s.Mark(b) || s.Push(b) {
		t.Fatal("second push: stack reported empty")
	}
	s.TakeAll(nil)
	if !s.Mark(b) || !s.Push(b) {
		t.Fatal("push after TakeAll: stack not reported empty")
	}
}

// An owner that drains only when woken, woken only by pushes onto an
// empty stack, still takes every push: each pusher waits until the owner
// took its node, which would hang (and fail) if a push went unseen.
func TestStackWakeOnEmptyLosesNothing(t *testing.T) {
	var s Stack[node, *node]
	const goroutines, rounds = 8, 500
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	taken := make([]chan struct{}, goroutines)
	for i := range taken {
		taken[i] = make(chan struct{}, 1)
	}
	go func() {
		var buf []*node
		for {
			select {
			case <-wake:
			case <-done:
				return
			}
			s.Drain(&buf, func(n *node) { taken[n.id] <- struct{}{} })
		}
	}()
	var wg sync.WaitGroup
	for i := range goroutines {
		n := &node{id: i}
		wg.Go(func() {
			for r := 0; r < rounds; r++ {
				if !s.Mark(n) {
					t.Errorf("node %d still on the stack after it was taken", n.id)
					return
				}
				if s.Push(n) {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
				select {
				case <-taken[n.id]:
				case <-time.After(5 * time.Second):
					t.Errorf("node %d pushed onto a non-empty stack was never taken", n.id)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
}
