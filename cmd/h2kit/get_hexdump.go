package main

// This file holds get's --hexdump: the bytes received, as hexdump -C
// shows them (encoding/hex.Dump: offset, 16 bytes in hex, the same as
// text), one dump per read, as nghttp --hexdump prints them. Over TLS,
// the bytes after decryption: get then does the TLS handshake itself
// (Transport.DialTLSContext) and dumps what the TLS connection reads.

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
)

// hexDumper writes the dumps of every connection to one writer, safe for
// concurrent use; each read's dump is one Write.
type hexDumper struct{ w io.Writer }

// dump writes the dump of p.
func (h *hexDumper) dump(p []byte) {
	if len(p) > 0 {
		h.w.Write([]byte(hex.Dump(p))) // best effort, as the trace
	}
}

// hexConn is a TLS connection whose reads are dumped. It keeps the TLS
// connection's ConnectionState (h2client checks ALPN with it).
type hexConn struct {
	*tls.Conn
	h *hexDumper
}

func (c *hexConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.h.dump(p[:n])
	return n, err
}

// dialTLS opens a TLS connection whose received bytes are dumped
// (Transport.DialTLSContext, with --hexdump).
func (d *getDialer) dialTLS(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
	nc, err := d.dial(ctx, network, addr, false)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(nc, cfg)
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		return nil, err
	}
	return &hexConn{Conn: tc, h: d.hex}, nil
}

// tlsConnOf returns the TLS connection of nc (a *tls.Conn, or one
// --hexdump wraps), or nil for a cleartext one.
func tlsConnOf(nc net.Conn) *tls.Conn {
	switch c := nc.(type) {
	case *tls.Conn:
		return c
	case *hexConn:
		return c.Conn
	}
	return nil
}
