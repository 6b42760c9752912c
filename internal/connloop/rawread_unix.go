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
	rc  syscall.RawConn // nil: not a plain socket
	fn  func(fd uintptr) bool
	res readResult

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

// rawRead waits for the socket to be readable holding no buffer, then
// reads into a large one: an idle connection holds no read buffer at all.
func (l *Loop) rawRead() readResult {
	if l.raw.fn == nil {
		l.raw.fn = l.rawReadFn
	}
	l.raw.res = readResult{}
	if err := l.raw.rc.Read(l.raw.fn); err != nil {
		// Closed (or a read deadline): rawReadFn holds no buffer then.
		return readResult{err: err}
	}
	return l.raw.res
}

// rawReadFn is the RawConn.Read callback: it reads what the socket has,
// or reports (false) that it has nothing, to be called again once it is
// readable.
func (l *Loop) rawReadFn(fd uintptr) bool {
	p := l.getReadBuf(l.opts.ReadBufferSize)
	for {
		n, err := syscall.Read(int(fd), *p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			l.putReadBuf(p)
			return false
		case err != nil:
			l.putReadBuf(p)
			l.raw.res = readResult{err: os.NewSyscallError("read", err)}
		case n == 0:
			l.putReadBuf(p)
			l.raw.res = readResult{err: io.EOF}
		default:
			l.raw.res = readResult{buf: p, n: n}
		}
		return true
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
