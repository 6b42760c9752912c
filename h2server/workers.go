package h2server

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Handler goroutines are reused: a new goroutine starts on a small stack
// and a typical handler (net/http.ServeMux's routing, ServeContent, a
// logger) grows it several times, copying it each time, which costs more
// than the rest of a small request's handling. A goroutine that has
// served a request waits a while for the next one, with the stack it
// grew. Each request still runs alone on its goroutine, as net/http's do
// (net/http/1 also serves the requests of a connection, one after the
// other, on one).
//
// Two things keep that stack: a new worker grows it once, in one copy,
// to workerStack before its first request (growStack), instead of
// doubling it in several copies deep inside the handler; and an idle
// worker waits with idlePad bytes of its stack in use (idleWait), so the
// garbage collector, which halves the stack of a goroutine that uses
// less than a quarter of it, leaves it alone (without that, every GC
// shrank the idle workers' stacks and the next requests grew them
// again: about a sixth of the server's CPU under many small requests).
//
// Idle workers are bounded, and leave after workerIdle: a server that
// goes quiet soon keeps none.

// workerIdle is how long an idle worker waits for a request.
const workerIdle = time.Second

const (
	// workerStack is the stack a worker grows to before its first
	// request: room for ServeMux, a handler and the response writer.
	workerStack = 16 << 10
	// idlePad is the stack an idle worker keeps in use while it waits:
	// above a quarter of workerStack, so GC does not shrink it.
	idlePad = 5 << 10
)

var (
	workerCh    = make(chan *stream) // unbuffered: a send finds a waiting worker or fails
	idleWorkers atomic.Int32
)

// maxIdleWorkers bounds the idle workers. Idle workers are never more
// than the handlers that ran at once during the last workerIdle; the
// bound is high enough that a burst of many connections' requests (each
// connection's owner starts its batch of handlers before any runs) finds
// workers waiting instead of starting goroutines: with 64 per core, most
// of 1000 concurrent small requests started a new goroutine.
func maxIdleWorkers() int32 { return int32(1024 * runtime.GOMAXPROCS(0)) }

// goServe runs st.serve on an idle worker, or on a new goroutine.
func goServe(st *stream) {
	select {
	case workerCh <- st:
	default:
		go serveWorker(st)
	}
}

// serveWorker serves st, then the requests handed to it until it has
// been idle for workerIdle (or there are enough idle workers).
func serveWorker(st *stream) {
	growStack()
	var t *time.Timer
	for {
		st.serve()
		st = nil
		if idleWorkers.Add(1) > maxIdleWorkers() {
			idleWorkers.Add(-1)
			return
		}
		if t == nil {
			t = time.NewTimer(workerIdle)
		} else {
			t.Reset(workerIdle)
		}
		if st = idleWait(t); st == nil {
			return
		}
	}
}

// growStack makes the stack at least workerStack bytes, in one copy
// while it is nearly empty: its frame is that large.
//
//go:noinline
func growStack() {
	var pad [workerStack - 2<<10]byte
	touch(pad[:])
}

// idleWait waits for a request (nil after workerIdle) with idlePad bytes
// of stack in use.
//
//go:noinline
func idleWait(t *time.Timer) *stream {
	var pad [idlePad]byte
	touch(pad[:])
	select {
	case st := <-workerCh:
		idleWorkers.Add(-1)
		return st
	case <-t.C:
		idleWorkers.Add(-1)
		return nil
	}
}

// touch keeps its argument's frame from being optimized away.
//
//go:noinline
func touch(p []byte) { p[len(p)-1] = 0 }
