package pipe

import (
	"bytes"
	"testing"
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
