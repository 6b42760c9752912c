package main

import "net"

// PassthroughConn says that a trackedConn reads and writes exactly as the
// connection it wraps (it only watches Close): h2server's connection loop
// then uses the socket directly, as for an unwrapped connection, instead
// of a reader goroutine and a writer goroutine (connloop.Passthrough).
func (c *trackedConn) PassthroughConn() net.Conn { return c.Conn }
