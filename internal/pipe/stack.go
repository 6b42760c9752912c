package pipe

import "sync/atomic"

// Link is the part of a stream that a Stack uses: embed it (or keep it in
// a field) and return it from the stream's DirtyLink method.
type Link[T any] struct {
	on   atomic.Bool // on a stack, or claimed by Mark
	next *T
}

// Node is a pointer to a stream type that carries a Link.
type Node[T any] interface {
	*T
	DirtyLink() *Link[T]
}

// Stack is a lock-free stack of streams with work for the owner: any
// goroutine pushes, the owner takes them all at once. A stream is on it at
// most once, however often it is pushed before the owner looks.
type Stack[T any, P Node[T]] struct {
	head atomic.Pointer[T]
}

// Mark claims p for a push and reports whether it was not on the stack
// yet. Only after true may the caller Push it (taking, say, a reference
// the owner drops after handling it); after false it is on the stack
// already, or about to be.
func (s *Stack[T, P]) Mark(p P) bool {
	return p.DirtyLink().on.CompareAndSwap(false, true)
}

// Push puts p, which Mark claimed, on the stack, and reports whether the
// stack was empty. Only a push onto an empty stack needs to wake the
// owner: a stream found on the stack went there with a push whose
// wake-up, after it, leads to a TakeAll that takes p too, as p lies
// above it.
func (s *Stack[T, P]) Push(p P) (wasEmpty bool) {
	l := p.DirtyLink()
	for {
		old := s.head.Load()
		l.next = old
		if s.head.CompareAndSwap(old, (*T)(p)) {
			return old == nil
		}
	}
}

// Add pushes p unless it is on the stack already.
func (s *Stack[T, P]) Add(p P) {
	if s.Mark(p) {
		s.Push(p)
	}
}

// TakeAll empties the stack and appends its streams to dst, oldest
// first. Each may be pushed again from then on.
func (s *Stack[T, P]) TakeAll(dst []P) []P {
	start := len(dst)
	for t := s.head.Swap(nil); t != nil; {
		p := P(t)
		l := p.DirtyLink()
		next := l.next
		l.next = nil
		l.on.Store(false)
		dst = append(dst, p)
		t = next
	}
	// Pushed newest first: reverse to serve streams in the order they
	// asked.
	for i, j := start, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
	return dst
}

// Drain empties the stack and runs f for each of its streams, oldest
// first, using *batch as room (kept for the next call, emptied, so it
// holds no stream). This is the owner's loop over the streams that have
// work for it.
func (s *Stack[T, P]) Drain(batch *[]P, f func(P)) {
	b := s.TakeAll((*batch)[:0])
	for i, p := range b {
		f(p)
		b[i] = nil
	}
	*batch = b[:0]
}

// Empty reports whether nothing is on the stack.
func (s *Stack[T, P]) Empty() bool { return s.head.Load() == nil }
