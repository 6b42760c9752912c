//go:build unix

package connloop

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// rawReader reads a socket directly, with the read system call.
type rawReader struct {
	rc syscall.RawConn // nil: not a plain socket
	nc net.Conn        // the socket, for its read deadline
	fn func(fd uintptr) bool

	// The reader's stack (see rawReadLoop): busy says it waits padded,
	// active that it read since the deadline was last set, reads counts
	// its reads while not busy.
	busy, active bool
	reads        int
	stop         bool // fn returned true: the reader is done
	// kept is the buffer of the last read, which the reader handled
	// itself (Loop.handleRead): its next read goes into it, and back to
	// the pool it goes only once a read finds nothing (or fails). Under
	// one request at a time that read, after each request, costs no
	// trip through the pool, and the reader still waits with no buffer.
	kept *[]byte
}

// A reader handles most reads itself (Loop.handleRead), deep in the
// engine and the Handler, which grows its stack to several times what it
// uses while it waits for the socket; and the garbage collector halves
// the stack of a goroutine that uses less than a quarter of it, so every
// GC cycle shrank each busy reader's stack and its next read grew it
// again, two copies of the stack per connection and cycle. So once a
// reader has read busyReads times, it waits with readerPad bytes of its
// stack in use, which the collector leaves alone; once it has read
// nothing for a whole readerIdle period it waits unpadded again, so an
// idle connection's stack can shrink. The period is a read deadline,
// set once per period, not per read.
const (
	busyReads = 16
	readerPad = 5 << 10
)

// readerIdle is the period (a variable for tests).
var readerIdle = time.Second

// paddedReads counts the readers waiting padded, for tests.
var paddedReads atomic.Int32

func (r *rawReader) ok() bool { return r.rc != nil }

// newRawReader returns a rawReader for nc if the reader may read the
// socket directly: only for the standard library's own socket types,
// whose Read is the read system call (a wrapper that embeds one may
// change Read), possibly behind Passthrough wrappers.
func newRawReader(nc net.Conn) rawReader {
	var sc syscall.Conn
	nc = unwrapPassthrough(nc)
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return rawReader{}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return rawReader{}
	}
	return rawReader{rc: rc, nc: nc}
}

// rawReadLoop is the reader on a plain socket: it waits for the socket to
// be readable holding no buffer, reads into a large one, hands it to the
// owner, and goes on until an error or quit. An idle connection holds no
// read buffer at all.
//
// It reads until EAGAIN before it waits. A short read does not mean the
// socket is drained: the peer's FIN (or a reset) may be queued behind the
// bytes it returned, and only the next read reports it; waiting for
// readability then would wait for an event that already came. It stays
// inside one RawConn.Read until it turns busy or idle (the padding
// above); a new RawConn.Read forgets an earlier readiness, which is safe
// because rawReadFn reads before it lets RawConn.Read wait.
func (l *Loop) rawReadLoop() {
	r := &l.raw
	if r.fn == nil {
		r.fn = l.rawReadFn
	}
	defer func() {
		// RawConn.Read may return without calling rawReadFn (the socket
		// closed), with a buffer still kept.
		l.putReadBuf(r.kept)
		r.kept = nil
	}()
	for {
		var err error
		if r.busy {
			err = paddedRead(r)
		} else {
			err = r.rc.Read(r.fn)
		}
		switch {
		case r.stop:
			// The reader is done; or, with err, the loop is.
		case err == nil:
			// rawReadFn made the reader busy: wait padded from now on.
			paddedReads.Add(1)
			r.nc.SetReadDeadline(time.Now().Add(readerIdle))
			continue
		case r.busy && errors.Is(err, os.ErrDeadlineExceeded):
			if r.active {
				r.active = false
				r.nc.SetReadDeadline(time.Now().Add(readerIdle))
			} else {
				r.busy, r.reads = false, 0
				paddedReads.Add(-1)
				r.nc.SetReadDeadline(time.Time{})
			}
			continue
		default:
			// Closed (or a read deadline not ours): rawReadFn holds no
			// buffer then.
			l.deliver(readResult{err: err})
		}
		if r.busy {
			paddedReads.Add(-1)
		}
		return
	}
}

// paddedRead reads with readerPad bytes of stack in use.
//
//go:noinline
func paddedRead(r *rawReader) error {
	var pad [readerPad]byte
	touchPad(pad[:])
	return r.rc.Read(r.fn)
}

// touchPad keeps its argument's frame from being optimized away.
//
//go:noinline
func touchPad(p []byte) { p[len(p)-1] = 0 }

// rawReadFn is the RawConn.Read callback: it reads and delivers what the
// socket has until it has nothing (false: call again once it is
// readable) or the reader is done (true).
func (l *Loop) rawReadFn(fd uintptr) bool {
	for {
		p := l.raw.kept
		if p != nil {
			l.raw.kept = nil
		} else {
			p = l.getReadBuf(l.opts.ReadBufferSize)
		}
		n, err := sysRead(int(fd), *p)
		var r readResult
		switch {
		case err == syscall.EINTR:
			l.putReadBuf(p)
			continue
		case err == syscall.EAGAIN:
			l.putReadBuf(p)
			return false
		case err != nil:
			l.putReadBuf(p)
			r = readResult{err: os.NewSyscallError("read", err)}
		case n == 0:
			l.putReadBuf(p)
			r = readResult{err: io.EOF}
		default:
			r = readResult{buf: p, n: n}
		}
		short := r.err == nil && r.n < len(*p)
		if !l.deliver(r) {
			l.raw.stop = true
			return true
		}
		if short {
			// Most likely the socket is drained and the next read
			// only finds that out. Let the goroutines the read made
			// runnable (its handlers, say) go first: the answer to a
			// lone request then leaves before that read rather than
			// after it, and the reader does it once they are done.
			runtime.Gosched()
		}
		if l.raw.busy {
			l.raw.active = true
		} else if l.raw.reads++; l.raw.reads >= busyReads {
			l.raw.busy = true
			return true // rawReadLoop goes on padded
		}
	}
}
