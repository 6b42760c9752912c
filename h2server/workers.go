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
// doubling it in several copies deep inside the handler; and a worker
// keeps idlePad bytes of its stack in use for its whole life, below the
// handlers it runs (its loop's frame, zeroed once, in run), so that while
// it waits the garbage collector, which halves the stack of a goroutine
// that uses less than a quarter of it, leaves it alone (without that,
// every GC shrank the idle workers' stacks and the next requests grew
// them again: about a sixth of the server's CPU under many small
// requests). A pad set up per wait instead cost its zeroing on every
// request that left the worker idle (one at a time, say).
//
// Idle workers are bounded, and leave after workerIdle: a server that
// goes quiet soon keeps none.

// workerIdle is how long an idle worker waits for a request.
const workerIdle = time.Second

const (
	// workerStack is the stack a worker grows to before its first
	// request: room for idlePad, ServeMux, a handler and the response
	// writer.
	workerStack = 16 << 10
	// idlePad is the stack a worker keeps in use below its handlers, and
	// so while it waits: above a quarter of workerStack, so GC does not
	// shrink it.
	idlePad = 5 << 10
)

// Requests wait for a worker in one queue, in the order their owners
// started them, and a worker serves them one after the other: a worker
// that takes a request while more are queued wakes one more worker (unless
// one is already on its way) before it runs the handler, then comes back
// for the next. So a queued request always has a worker that will take it
// however long the handlers before it run or block (each handler still
// runs alone on its goroutine, free to block), while a burst of short
// requests (a connection's batch of ten, say) costs a goroutine hand-off
// or two instead of one per request: with one P the woken worker finds
// the queue drained by then and goes back to wait, with more Ps it takes
// the next request in parallel and wakes the next worker in turn.
//
// The idle workers, most recently idle last: a wake takes the last, so
// busy periods reuse the same few (warm) workers and the ones at the
// bottom are the ones idle longest, which one timer for all of them
// (reap, every workerIdle) ends once they have been idle through a whole
// period (between workerIdle and twice that). A worker waits on its own
// channel, with no timer, select or clock reading per request.
var pool struct {
	mu    sync.Mutex
	queue streamQueue // requests no worker has taken yet
	// searching counts the workers woken (or started) to take from the
	// queue that have not looked yet: while it is above zero, nobody
	// needs waking for a request queued now.
	searching int
	idle      []*worker
	timer     *time.Timer // runs reap while idle is not empty
	armed     bool
	epoch     int // reap's runs
}

// worker is a handler goroutine.
type worker struct {
	ch    chan bool // capacity 1: true to look at the queue, false to leave
	epoch int       // pool.epoch when it went idle (pool.mu)
	// header is the response header map of the worker's last request,
	// emptied, for its next one (stream.serve): a small map keeps its
	// storage through clear, which saves the allocation a handler's
	// first Header().Set would make. net/http forbids using a
	// ResponseWriter, its Header map included, after ServeHTTP returns.
	header http.Header
}

// maxIdleWorkers bounds the idle workers. Idle workers are never more
// than the handlers that ran at once during the last workerIdle.
func maxIdleWorkers() int { return 1024 * runtime.GOMAXPROCS(0) }

// goServe queues st for a worker, and wakes (or starts) one unless one is
// already on its way to the queue.
func goServe(st *stream) {
	pool.mu.Lock()
	pool.queue.push(st)
	if pool.searching > 0 {
		pool.mu.Unlock()
		return
	}
	wakeWorkerLocked()
}

// wakeWorkerLocked counts one more searching worker and wakes the most
// recently idle one, or starts one; it unlocks pool.mu.
func wakeWorkerLocked() {
	pool.searching++
	n := len(pool.idle)
	if n == 0 {
		pool.mu.Unlock()
		go serveWorker()
		return
	}
	w := pool.idle[n-1]
	pool.idle[n-1] = nil
	pool.idle = pool.idle[:n-1]
	pool.mu.Unlock()
	w.ch <- true // never blocks: w waits, and only we took it
}

// serveWorker serves queued requests until it has been idle for
// workerIdle (or there are enough idle workers). Whoever started it
// counted it as searching.
func serveWorker() {
	growStack()
	w := &worker{ch: make(chan bool, 1)}
	w.run()
}

// run is the worker's loop, in a frame of idlePad bytes or more, so that
// everything it calls (the handlers, and the wait for the next request)
// sits above that much of the stack.
//
//go:noinline
func (w *worker) run() {
	var pad [idlePad]byte
	touch(pad[:])
	searching := true
	for {
		st, stay := w.take(searching)
		switch {
		case st != nil:
			searching = false
			st.serve(&w.header)
		case !stay || !<-w.ch:
			return
		default:
			searching = true // woken
		}
	}
}

// take takes the next queued request, first waking one more worker for
// the requests still queued behind it if none is on its way. searching
// tells whether w was counted as searching. With the queue empty, w goes
// idle (st nil, stay true) unless there are enough idle workers (stay
// false: w ends).
func (w *worker) take(searching bool) (st *stream, stay bool) {
	pool.mu.Lock()
	if searching {
		pool.searching--
	}
	st = pool.queue.pop()
	switch {
	case st == nil:
		stay = w.parkLocked()
		pool.mu.Unlock()
	case pool.queue.n == 0 || pool.searching > 0:
		pool.mu.Unlock()
	default:
		wakeWorkerLocked()
	}
	return st, stay
}

// parkLocked puts w on the idle list, unless it is full (false).
func (w *worker) parkLocked() bool {
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
		pool.idle[n].ch <- false
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

// streamQueue is a FIFO of streams in a ring buffer.
type streamQueue struct {
	buf  []*stream
	head int
	n    int
}

func (q *streamQueue) push(st *stream) {
	if q.n == len(q.buf) {
		buf := make([]*stream, max(16, 2*len(q.buf)))
		k := copy(buf, q.buf[q.head:])
		copy(buf[k:], q.buf[:q.head])
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = st
	q.n++
}

func (q *streamQueue) pop() *stream {
	if q.n == 0 {
		return nil
	}
	st := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 && len(q.buf) > 1024 {
		// A burst is over: do not keep its large ring.
		q.buf, q.head = nil, 0
	}
	return st
}

// growStack makes the stack at least workerStack bytes, in one copy
// while it is nearly empty: its frame is that large.
//
//go:noinline
func growStack() {
	var pad [workerStack - 2<<10]byte
	touch(pad[:])
}

// touch keeps its argument's frame from being optimized away.
//
//go:noinline
func touch(p []byte) { p[len(p)-1] = 0 }
