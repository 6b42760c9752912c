//go:build !unix

package connloop

// rawWriter: writing the socket directly is done on Unix systems only.
type rawWriter struct{}

func (l *Loop) rawWrite([][]byte, int) int { panic("connloop: no raw writes") }
