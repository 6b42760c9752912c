//go:build unix && !linux

package connloop

import "syscall"

// sysRead reads from the non-blocking fd into p.
func sysRead(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }
