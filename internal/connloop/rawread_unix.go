//go:build unix

package connloop

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawReader reads a socket directly, with the read system call.
type rawReader struct {
	rc syscall.RawConn // nil: not a plain socket
	fn func(fd uintptr) bool

	wfn  func(fd uintptr) bool // rawWriteFn (owner)
	wbuf []byte                // what rawWriteFn writes
	wn   int                   // what it wrote
}

func (r *rawReader) ok() bool { return r.rc != nil }

// newRawReader returns a rawReader for nc if the reader may read the
// socket directly: only for the standard library's own socket types,
// whose Read is the read system call (a wrapper that embeds one may
// change Read), possibly behind Passthrough wrappers.
func newRawReader(nc net.Conn) rawReader {
	var sc syscall.Conn
	switch c := unwrapPassthrough(nc).(type) {
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
	return rawReader{rc: rc}
}

// rawReadLoop is the reader on a plain socket: it waits for the socket to
// be readable holding no buffer, reads into a large one, hands it to the
// owner, and goes on until an error or quit. An idle connection holds no
// read buffer at all.
//
// It runs inside one RawConn.Read for the connection's whole life and
// reads until EAGAIN before it waits. A short read does not mean the
// socket is drained: the peer's FIN (or a reset) may be queued behind the
// bytes it returned, and only the next read reports it; waiting for
// readability then would wait for an event that already came.
func (l *Loop) rawReadLoop() {
	if l.raw.fn == nil {
		l.raw.fn = l.rawReadFn
	}
	if err := l.raw.rc.Read(l.raw.fn); err != nil {
		// Closed (or a read deadline): rawReadFn holds no buffer then.
		l.deliver(readResult{err: err})
	}
}

// rawReadFn is the RawConn.Read callback: it reads and delivers what the
// socket has until it has nothing (false: call again once it is
// readable) or the reader is done (true).
func (l *Loop) rawReadFn(fd uintptr) bool {
	for {
		p := l.getReadBuf(l.opts.ReadBufferSize)
		n, err := syscall.Read(int(fd), *p)
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
		if !l.deliver(r) {
			return true
		}
	}
}

// rawWrite writes what the socket takes of b now, without blocking
// (owner), and returns how much that was. Errors are left to the writer
// goroutine, which writes the rest and meets them again.
func (l *Loop) rawWrite(b []byte) int {
	if l.raw.wfn == nil {
		l.raw.wfn = l.rawWriteFn
	}
	l.raw.wbuf, l.raw.wn = b, 0
	l.raw.rc.Write(l.raw.wfn)
	l.raw.wbuf = nil
	return l.raw.wn
}

// rawWriteFn is the RawConn.Write callback: it writes what the socket
// takes and never asks to wait for writability (it returns true).
func (l *Loop) rawWriteFn(fd uintptr) bool {
	for l.raw.wn < len(l.raw.wbuf) {
		n, err := syscall.Write(int(fd), l.raw.wbuf[l.raw.wn:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		l.raw.wn += n
	}
	return true
}
