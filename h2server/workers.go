package h2server

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Handler goroutines are reused: a new goroutine starts on a small stack
// and a typical handler (net/http.ServeContent, a logger) grows it
// several times, copying it each time, which costs more than the rest of
// a small request's handling. A goroutine that has served a request
// waits a while for the next one, with the stack it grew. Each request
// still runs alone on its goroutine, as net/http's do (net/http/1 also
// serves the requests of a connection, one after the other, on one).
//
// Idle workers are bounded, and leave after workerIdle: a server that
// goes quiet soon keeps none.

// workerIdle is how long an idle worker waits for a request.
const workerIdle = time.Second

var (
	workerCh    = make(chan *stream) // unbuffered: a send finds a waiting worker or fails
	idleWorkers atomic.Int32
)

// maxIdleWorkers bounds the idle workers.
func maxIdleWorkers() int32 { return int32(64 * runtime.GOMAXPROCS(0)) }

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
		select {
		case st = <-workerCh:
			idleWorkers.Add(-1)
		case <-t.C:
			idleWorkers.Add(-1)
			return
		}
	}
}
