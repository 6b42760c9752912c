package pipe

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/idmap"
)

func TestQueueFIFO(t *testing.T) {
	var q Queue
	q.Write([]byte("hello "))
	q.Write([]byte("world"))
	if q.Len() != 11 || string(q.Bytes()) != "hello world" {
		t.Fatalf("Len %d Bytes %q", q.Len(), q.Bytes())
	}
	p := make([]byte, 4)
	if n := q.Read(p); n != 4 || string(p) != "hell" {
		t.Fatalf("Read %d %q", n, p)
	}
	q.Advance(2)
	if string(q.Bytes()) != "world" {
		t.Fatalf("after Advance: %q", q.Bytes())
	}
	if n := q.Reset(1 << 10); n != 5 || q.Len() != 0 {
		t.Fatalf("Reset dropped %d, Len %d", n, q.Len())
	}
}

// The buffer stays as large as the most bytes waiting at once: a stream
// that passes megabytes through a queue that never holds more than 16 KiB
// keeps a buffer of about that size (the unread bytes move to the front
// instead of the buffer growing).
func TestQueueCompacts(t *testing.T) {
	var q Queue
	chunk := bytes.Repeat([]byte("x"), 4<<10)
	out := make([]byte, 3<<10)
	for i := 0; i < 1000; i++ {
		for q.Len() < 16<<10 {
			q.Write(chunk)
		}
		q.Read(out)
	}
	if c := cap(q.b); c > 64<<10 {
		t.Errorf("buffer grew to %d bytes for at most 20 KiB waiting", c)
	}
	// Draining frees the front at once: the next write starts at 0.
	q.Advance(q.Len())
	if q.off != 0 || len(q.b) != 0 {
		t.Errorf("drained queue: off %d len %d", q.off, len(q.b))
	}
}

func TestQueueNoAllocs(t *testing.T) {
	var q Queue
	chunk := make([]byte, 1500)
	out := make([]byte, 1000)
	q.Write(chunk)
	if n := testing.AllocsPerRun(1000, func() {
		q.Write(chunk)
		q.Read(out)
		q.Read(out)
	}); n != 0 {
		t.Errorf("%.1f allocations per write/read", n)
	}
}

func TestSignal(t *testing.T) {
	s := NewSignal()
	s.Notify()
	s.Notify() // merged
	<-s
	select {
	case <-s:
		t.Fatal("two notifications kept")
	default:
	}
	s.Notify()
	s.Clear()
	select {
	case <-s:
		t.Fatal("Clear kept the notification")
	default:
	}
}

// A writer fills the free space outside the lock while the owner drains
// the queue: the bytes stay where they are until Commit, even when the
// owner takes every unread byte meanwhile.
func TestQueueSpaceCommit(t *testing.T) {
	var q Queue
	q.Move(make([]byte, 0, 16))
	q.Write([]byte("abc"))
	if n := q.Avail(8); n != 13 || q.Cap() != 16 {
		t.Fatalf("Avail %d Cap %d; want 13, 16", n, q.Cap())
	}
	space := q.Space(5)
	if !q.Filling() {
		t.Fatal("Filling false during a Space")
	}
	q.Advance(3) // the owner takes everything meanwhile
	copy(space, "defgh")
	q.Commit(4)
	if q.Filling() || string(q.Bytes()) != "defg" {
		t.Fatalf("after Commit: Filling %v, Bytes %q", q.Filling(), q.Bytes())
	}
	// Avail moves the unread bytes to the front only when needed.
	if n := q.Avail(14); n != 12 || q.off != 0 || string(q.Bytes()) != "defg" {
		t.Fatalf("Avail(14) = %d, off %d, Bytes %q", n, q.off, q.Bytes())
	}
	// Move keeps the unread bytes in the new buffer.
	q.Move(make([]byte, 0, 64))
	if q.Cap() != 64 || string(q.Bytes()) != "defg" {
		t.Fatalf("after Move: Cap %d Bytes %q", q.Cap(), q.Bytes())
	}
}

func TestWaiter(t *testing.T) {
	var w Waiter
	defer w.Stop()
	s := NewSignal()
	s.Notify()
	if err := w.Wait(s, time.Time{}); err != nil {
		t.Fatalf("notified, no deadline: %v", err)
	}
	if err := w.Wait(s, time.Now().Add(-time.Second)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
	if err := w.Wait(s, time.Now().Add(10*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("deadline passing while waiting: %v", err)
	}
	// The timer is reused: a later wait is woken by the signal, not by
	// the timer of the wait before.
	go s.Notify()
	if err := w.Wait(s, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("notified before the deadline: %v", err)
	}
}

// TestWindowUpdated: a stream's WINDOW_UPDATE flushes that stream only
// (none if it is not open), the connection's flushes them all, also when
// a flush ends its stream (deletes it from the table).
func TestWindowUpdated(t *testing.T) {
	type st struct{ id, n int }
	a, b, c := &st{id: 1}, &st{id: 3}, &st{id: 7}
	var streams idmap.Map[*st]
	streams.Set(1, a)
	streams.Set(3, b)
	streams.Set(7, c)
	var scratch []*st
	flush := func(s *st) {
		s.n++
		if s == a {
			streams.Delete(1) // a stream that ends as it is flushed
		}
	}
	WindowUpdated(&streams, 3, flush, &scratch)
	WindowUpdated(&streams, 5, flush, &scratch)
	if a.n != 0 || b.n != 1 || c.n != 0 {
		t.Fatalf("stream 3's update: flushed %d, %d, %d times; want 0, 1, 0", a.n, b.n, c.n)
	}
	WindowUpdated(&streams, 0, flush, &scratch)
	if a.n != 1 || b.n != 2 || c.n != 1 {
		t.Fatalf("connection's update: flushed %d, %d, %d times; want 1, 2, 1", a.n, b.n, c.n)
	}
	if len(scratch) != 0 || cap(scratch) > 0 && scratch[:cap(scratch)][0] != nil {
		t.Fatalf("scratch left holding streams: %v", scratch[:cap(scratch)])
	}
}
