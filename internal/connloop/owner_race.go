//go:build race

package connloop

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// ownerCheck remembers which goroutine is the owner at the moment (holds
// the Loop's lock: Run's goroutine, or one acting for it), so that
// AssertOwner can tell. Only race builds carry it: finding the calling
// goroutine costs a runtime.Stack call.
type ownerCheck struct {
	running atomic.Bool   // Run has started and not yet returned
	id      atomic.Uint64 // the owner's goroutine id, 0 while there is none
}

// start and stop bracket Run.
func (o *ownerCheck) start() { o.running.Store(true) }
func (o *ownerCheck) stop()  { o.running.Store(false) }

// enter records the calling goroutine as the owner (it took the lock).
func (o *ownerCheck) enter() { o.id.Store(goroutineID()) }

// leave forgets the owner (before the lock is let go).
func (o *ownerCheck) leave() { o.id.Store(0) }

// check panics unless the calling goroutine is the owner, or Run is not
// running (before it starts, the goroutine that made the Loop may set the
// engine up).
func (o *ownerCheck) check() {
	if !o.running.Load() {
		return
	}
	owner := o.id.Load()
	if id := goroutineID(); id != owner {
		panic("connloop: owner-only code called on goroutine " + strconv.FormatUint(id, 10) +
			"; the connection's owner is goroutine " + strconv.FormatUint(owner, 10) + " (0: none)")
	}
}

// stackBufs holds the buffers goroutineID reads stack traces into:
// runtime.Stack would move a local array to the heap, and the hot paths
// that call AssertOwner must not allocate (alloc tests run in race builds
// too).
var stackBufs = sync.Pool{New: func() any { return new([64]byte) }}

// goroutineID parses the calling goroutine's id from the first line of
// its stack trace ("goroutine 18 [running]:").
func goroutineID() uint64 {
	buf := stackBufs.Get().(*[64]byte)
	defer stackBufs.Put(buf)
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		panic("connloop: unexpected stack trace format: " + string(b))
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
