//go:build h2kit_openssl && cgo

package tlsossl

import "net"

// NewListener returns a listener whose Accept wraps each connection of
// inner in a Server with cfg, as crypto/tls's NewListener does; the
// handshake runs on the connection's first Read, Write or Handshake
// (h2server.ServeTLSConns runs it). cfg must have Certificates.
func NewListener(inner net.Listener, cfg *Config) net.Listener {
	return &listener{Listener: inner, cfg: cfg}
}

type listener struct {
	net.Listener
	cfg *Config
}

// Accept waits for the next connection and returns it as a *Conn.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, err := Server(c, l.cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}
