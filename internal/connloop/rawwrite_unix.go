//go:build unix

package connloop

import "syscall"

// rawWriter is the owner's state while it writes a plain socket itself
// (rawWrite).
type rawWriter struct {
	fn    func(fd uintptr) bool // rawWriteFn (a method value allocates)
	pcs   [][]byte              // what rawWriteFn writes, in order
	total int                   // their length
	n     int                   // what it wrote
	iov   iovecs                // the gathering write's vector
}

// rawWrite writes what the socket takes of pcs (total bytes) now,
// without blocking (owner), and returns how much that was. Errors are
// left to the writer goroutine, which writes the rest and meets them
// again.
func (l *Loop) rawWrite(pcs [][]byte, total int) int {
	w := &l.rw
	if w.fn == nil {
		w.fn = l.rawWriteFn
	}
	w.pcs, w.total, w.n = pcs, total, 0
	l.raw.rc.Write(w.fn)
	w.pcs = nil
	return w.n
}

// rawWriteFn is the RawConn.Write callback: it writes what the socket
// takes and never asks to wait for writability (it returns true).
func (l *Loop) rawWriteFn(fd uintptr) bool {
	w := &l.rw
	for w.n < w.total {
		n, err := writePieces(int(fd), w.pcs, w.n, &w.iov)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		w.n += n
	}
	return true
}
