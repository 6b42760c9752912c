package h2server

import (
	"net/http"
	"runtime"
	"sync"
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

// The idle workers, most recently idle last: goServe takes the last, so
// busy periods reuse the same few (warm) workers and the ones at the
// bottom are the ones idle longest, which one timer for all of them
// (reap, every workerIdle) ends once they have been idle through a whole
// period (between workerIdle and twice that). A worker waits on its own
// channel, with no timer, select or clock reading per request.
var pool struct {
	mu    sync.Mutex
	idle  []*worker
	timer *time.Timer // runs reap while idle is not empty
	armed bool
	epoch int // reap's runs
}

// worker is a handler goroutine waiting for a request.
type worker struct {
	ch    chan *stream // capacity 1: a request, or nil to leave
	epoch int          // pool.epoch when it went idle (pool.mu)
	// header is the response header map of the worker's last request,
	// emptied, for its next one (stream.serve): a small map keeps its
	// storage through clear, which saves the allocation a handler's
	// first Header().Set would make. net/http forbids using a
	// ResponseWriter, its Header map included, after ServeHTTP returns.
	header http.Header
}

// maxIdleWorkers bounds the idle workers. Idle workers are never more
// than the handlers that ran at once during the last workerIdle; the
// bound is high enough that a burst of many connections' requests (each
// connection's owner starts its batch of handlers before any runs) finds
// workers waiting instead of starting goroutines: with 64 per core, most
// of 1000 concurrent small requests started a new goroutine.
func maxIdleWorkers() int { return 1024 * runtime.GOMAXPROCS(0) }

// goServe runs st.serve on an idle worker, or on a new goroutine.
func goServe(st *stream) {
	pool.mu.Lock()
	if n := len(pool.idle); n > 0 {
		w := pool.idle[n-1]
		pool.idle[n-1] = nil
		pool.idle = pool.idle[:n-1]
		pool.mu.Unlock()
		w.ch <- st // never blocks: w waits, and only we took it
		return
	}
	pool.mu.Unlock()
	go serveWorker(st)
}

// serveWorker serves st, then the requests handed to it until it has
// been idle for workerIdle (or there are enough idle workers).
func serveWorker(st *stream) {
	growStack()
	w := &worker{ch: make(chan *stream, 1)}
	for st != nil {
		st.serve(&w.header)
		if !w.park() {
			return
		}
		st = idleWait(w)
	}
}

// park puts w on the idle list, unless it is full.
func (w *worker) park() bool {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if len(pool.idle) >= maxIdleWorkers() {
		return false
	}
	w.epoch = pool.epoch
	pool.idle = append(pool.idle, w)
	if !pool.armed {
		pool.armed = true
		if pool.timer == nil {
			pool.timer = time.AfterFunc(workerIdle, reap)
		} else {
			pool.timer.Reset(workerIdle)
		}
	}
	return true
}

// reap ends the workers idle since before its last run, and runs again
// after workerIdle while some are idle.
func reap() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	n := 0
	for n < len(pool.idle) && pool.idle[n].epoch < pool.epoch {
		pool.idle[n].ch <- nil
		n++
	}
	pool.epoch++
	k := copy(pool.idle, pool.idle[n:])
	clear(pool.idle[k:])
	pool.idle = pool.idle[:k]
	if k == 0 {
		pool.armed = false
		return
	}
	pool.timer.Reset(workerIdle)
}

// growStack makes the stack at least workerStack bytes, in one copy
// while it is nearly empty: its frame is that large.
//
//go:noinline
func growStack() {
	var pad [workerStack - 2<<10]byte
	touch(pad[:])
}

// idleWait waits for w's next request (nil: leave) with idlePad bytes of
// stack in use.
//
//go:noinline
func idleWait(w *worker) *stream {
	var pad [idlePad]byte
	touch(pad[:])
	return <-w.ch
}

// touch keeps its argument's frame from being optimized away.
//
//go:noinline
func touch(p []byte) { p[len(p)-1] = 0 }
