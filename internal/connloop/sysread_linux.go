package connloop

import (
	"syscall"
	"unsafe"
)

// The reader's and the owner's system calls on a plain socket go in
// without telling the scheduler (RawSyscall): the socket is non-blocking,
// so the call cannot block, and what syscall.Syscall does around it
// (entersyscall, exitsyscall) cost more than a short read or write itself.
// Worse, a call made after the process was idle woke the runtime's
// monitor thread (sysmon, asleep while nothing ran) through a futex,
// which under one request at a time (h2load -c 1 -m 1) was 4.5% of the
// server's CPU, plus that thread's switch on the same core. A large
// read or write (above rawSyscallMax) still tells the scheduler, so that another
// thread may run goroutines while the kernel copies.

// rawSyscallMax is the largest read or write made with RawSyscall.
const rawSyscallMax = 64 << 10

// sysRead reads from the non-blocking fd into p (len(p) > 0).
func sysRead(fd int, p []byte) (int, error) {
	if len(p) > rawSyscallMax {
		return syscall.Read(fd, p) // a large buffer (Options.ReadBufferSize)
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
