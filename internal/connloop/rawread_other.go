//go:build !unix

package connloop

import "net"

// rawReader: reading the socket directly is done on Unix systems only.
type rawReader struct {
	kept *[]byte // never set: see rawread_unix.go
}

func (*rawReader) ok() bool { return false }

func newRawReader(net.Conn) rawReader { return rawReader{} }

func (l *Loop) rawReadLoop() { panic("connloop: no raw reads") }
