//go:build unix && !linux

package connloop

import "syscall"

// iovecs is unused: without writev, writePieces writes one piece at a time.
type iovecs struct{}

// writePieces writes the first piece of pcs that is not all within their
// first skip bytes to the non-blocking socket fd, and returns how many
// bytes it wrote; the caller calls again for the rest.
func writePieces(fd int, pcs [][]byte, skip int, _ *iovecs) (int, error) {
	for _, p := range pcs {
		if skip >= len(p) {
			skip -= len(p)
			continue
		}
		return syscall.Write(fd, p[skip:])
	}
	return 0, nil
}
