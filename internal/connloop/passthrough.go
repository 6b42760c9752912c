package connloop

import "net"

// Passthrough is implemented by a net.Conn wrapper whose Read and Write
// are exactly those of the connection it wraps (it only watches Close,
// say, to keep a table of open connections). The loop then reads and
// writes the wrapped socket directly, as it does a *net.TCPConn, instead
// of going through the wrapper's Read and Write with a reader goroutine.
// Close, CloseWrite and deadlines still go through the wrapper.
//
// A wrapper that changes Read or Write (TLS, byte counting, tracing) must
// not implement it. Embedding a net.Conn does not implement it by
// accident: the method has to be written out.
type Passthrough interface {
	net.Conn
	PassthroughConn() net.Conn
}

// unwrapPassthrough follows Passthrough wrappers down to the connection
// whose Read and Write they use (at most a few levels: a cycle ends too).
func unwrapPassthrough(nc net.Conn) net.Conn {
	for range 8 {
		p, ok := nc.(Passthrough)
		if !ok {
			return nc
		}
		inner := p.PassthroughConn()
		if inner == nil || inner == nc {
			return nc
		}
		nc = inner
	}
	return nc
}
