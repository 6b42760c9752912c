// Package pipe holds the per-stream plumbing that h2server and h2client
// share: the byte queues between an application goroutine and the
// connection's owner goroutine, the inbound body with its blocking Read,
// the signals that wake a waiting goroutine, and the lock-free stack of
// streams that have work for the owner.
//
// The owner goroutine (internal/connloop) is the only one that touches the
// engine. An application goroutine (an HTTP handler, a request's caller,
// a body writer) never does: it reads what the owner put in a stream's
// Inbound, writes into a stream's Queue, marks the stream dirty (Stack)
// and wakes the owner; the owner moves the work into the engine and
// signals back. Queue and Inbound hold no lock of their own: they are
// guarded by their stream's mutex, which also guards the stream's other
// shared state, so one lock covers a stream's whole exchange.
package pipe

import (
	"os"
	"time"

	"github.com/h2kit/h2kit/internal/idmap"
)

// Signal wakes one waiting goroutine: a channel of capacity one, so that
// a notification sent while nobody waits is kept for the next wait, and
// notifications sent meanwhile merge into it.
type Signal chan struct{}

// NewSignal returns a Signal with nothing pending.
func NewSignal() Signal { return make(Signal, 1) }

// Notify wakes the waiter, or the next one to wait. It never blocks. (It
// does not skip the send when the channel's length says a notification is
// pending: that read is not ordered with the notifier's own writes, so a
// waiter could take the old notification, miss the new state and wait.)
func (s Signal) Notify() {
	select {
	case s <- struct{}{}:
	default:
	}
}

// Clear drops a pending notification (before the Signal is reused, when
// no one else holds it: its length then says whether there is one).
func (s Signal) Clear() {
	if len(s) == 0 {
		return
	}
	select {
	case <-s:
	default:
	}
}

// Waiter waits for a Signal until a deadline, with one timer reused across
// the waits of a call (a blocking Read or Write waits again after each
// wake-up that did not let it go on). The zero value is ready; Stop it when
// done.
type Waiter struct {
	timer *time.Timer
}

// Wait blocks until s is notified (nil) or the deadline passes
// (os.ErrDeadlineExceeded, at once when it has passed already). A zero
// deadline waits for s alone.
func (w *Waiter) Wait(s Signal, deadline time.Time) error {
	if deadline.IsZero() {
		<-s
		return nil
	}
	wait := time.Until(deadline)
	if wait <= 0 {
		return os.ErrDeadlineExceeded
	}
	if w.timer == nil {
		w.timer = time.NewTimer(wait)
	} else {
		w.timer.Reset(wait)
	}
	select {
	case <-s:
		return nil
	case <-w.timer.C:
		return os.ErrDeadlineExceeded
	}
}

// Stop releases the timer.
func (w *Waiter) Stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Queue is a FIFO of bytes: one side appends, the other takes from the
// front. The bytes taken are not freed one by one: the front moves, and
// the unread bytes move back to the start only when an append would
// otherwise grow the buffer, so the buffer stays as large as the most
// bytes ever waiting at once, not as the bytes that passed through.
//
// A writer may also fill the free space after the unread bytes outside
// the stream's lock (Space, then Commit): reading into the queue saves a
// copy. Meanwhile the owner may still take bytes from the front, but the
// queue does not move its bytes.
type Queue struct {
	b       []byte
	off     int  // b[off:] is unread
	filling bool // between Space and Commit: b stays where it is
}

// MaxPending bounds the bytes an application goroutine queues on one
// stream for the owner before it waits for the owner to take some.
const MaxPending = 64 << 10

// Len returns the number of unread bytes.
func (q *Queue) Len() int { return len(q.b) - q.off }

// Bytes returns the unread bytes, valid until the next Write, Advance or
// Reset.
func (q *Queue) Bytes() []byte { return q.b[q.off:] }

// Write appends p.
func (q *Queue) Write(p []byte) {
	if q.off > 0 && len(q.b)+len(p) > cap(q.b) {
		n := copy(q.b, q.b[q.off:])
		q.b, q.off = q.b[:n], 0
	}
	q.b = append(q.b, p...)
}

// Read moves unread bytes into p and returns how many.
func (q *Queue) Read(p []byte) int {
	n := copy(p, q.b[q.off:])
	q.Advance(n)
	return n
}

// Advance drops the first n unread bytes (n <= Len).
func (q *Queue) Advance(n int) {
	q.off += n
	if q.off == len(q.b) && !q.filling {
		q.b, q.off = q.b[:0], 0
	}
}

// Cap returns the capacity of the buffer.
func (q *Queue) Cap() int { return cap(q.b) }

// Avail returns how many bytes may be written without growing the
// buffer, after moving the unread bytes to its start if n more would not
// fit behind them otherwise (as Write does).
func (q *Queue) Avail(n int) int {
	if q.off > 0 && len(q.b)+n > cap(q.b) {
		k := copy(q.b, q.b[q.off:])
		q.b, q.off = q.b[:k], 0
	}
	return cap(q.b) - len(q.b)
}

// Move makes buf (capacity at least Len) the buffer: the unread bytes
// are copied to its start. The old buffer is no longer used, and the
// caller may recycle it.
func (q *Queue) Move(buf []byte) {
	q.b, q.off = append(buf[:0], q.b[q.off:]...), 0
}

// Space returns the n bytes of free space after the unread ones
// (n <= Avail(n)), for a writer to fill without the lock; Commit then adds
// the bytes it filled. In between, only Len, Bytes, Read and Advance may
// be used: the queue keeps its bytes where they are.
func (q *Queue) Space(n int) []byte {
	q.filling = true
	return q.b[len(q.b) : len(q.b)+n]
}

// Commit ends a Space: the first m bytes of that space are appended.
func (q *Queue) Commit(m int) {
	q.filling = false
	q.b = q.b[:len(q.b)+m]
	if q.off == len(q.b) {
		q.b, q.off = q.b[:0], 0
	}
}

// Filling reports whether a writer is filling a Space.
func (q *Queue) Filling() bool { return q.filling }

// Reset drops the unread bytes and returns how many there were; the
// buffer is kept unless it is larger than keep bytes.
func (q *Queue) Reset(keep int) int {
	n := q.Len()
	q.filling = false
	if cap(q.b) > keep {
		q.b = nil
	} else {
		q.b = q.b[:0]
	}
	q.off = 0
	return n
}

// WindowUpdated runs flush for the streams a WINDOW_UPDATE may unblock:
// the one it names, or every stream when it names the connection (id 0,
// RFC 9113, Section 6.9). Both adapters keep their open streams in an
// idmap.Map and call it from the owner. flush may end streams (delete
// them from the table): for the whole connection it runs over a copy of
// the streams taken first, in *scratch, which it leaves empty (and
// holding no stream) for next time.
func WindowUpdated[S comparable](streams *idmap.Map[S], id uint32, flush func(S), scratch *[]S) {
	var none S
	if id != 0 {
		if st := streams.Get(id); st != none {
			flush(st)
		}
		return
	}
	all := (*scratch)[:0]
	for st := range streams.Values() {
		all = append(all, st)
	}
	for _, st := range all {
		flush(st)
	}
	clear(all)
	*scratch = all[:0]
}
