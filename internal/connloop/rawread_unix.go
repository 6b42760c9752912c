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
