package connloop

import (
	"syscall"
	"unsafe"
)

// iovecs is writePieces' reusable vector.
type iovecs []syscall.Iovec

// maxIovecs is the most pieces one writev takes (Linux's UIO_MAXIOV);
// writePieces writes the rest in its next call.
const maxIovecs = 1024

// writePieces writes pcs, less their first skip bytes, to the
// non-blocking socket fd with one gathering write (writev), and returns
// how many bytes it wrote.
func writePieces(fd int, pcs [][]byte, skip int, iov *iovecs) (int, error) {
	v := (*iov)[:0]
	total := 0
	for _, p := range pcs {
		if skip >= len(p) {
			skip -= len(p)
			continue
		}
		p, skip = p[skip:], 0
		if len(v) == maxIovecs {
			break
		}
		v = append(v, syscall.Iovec{Base: &p[0]})
		v[len(v)-1].SetLen(len(p))
		total += len(p)
	}
	*iov = v
	if len(v) == 0 {
		return 0, nil
	}
	var r uintptr
	var e syscall.Errno
	switch {
	case total <= rawSyscallMax && len(v) == 1:
		// One piece (a batch of frames without lent payloads: small
		// responses, say): write, which spares the kernel the vector.
		r, _, e = syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(v[0].Base)), uintptr(total))
	case total <= rawSyscallMax:
		// A short write, without the scheduler: see sysread_linux.go.
		r, _, e = syscall.RawSyscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
	default:
		r, _, e = syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
	}
	clear(v) // hold no buffer of the engine's past the call
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
