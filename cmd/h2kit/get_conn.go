package main

// This file holds get's dialer: it opens the TCP connections of the
// h2client Transport, prints nghttp's connection lines with -v
// ("Connected"; with -u the HTTP/1.1 Upgrade request and response, as
// they go over the wire), and keeps count of the open connections so that
// the run can wait for their GOAWAY and close before it exits.

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// upgradeHeadMax bounds what the Upgrade sniffer keeps of an HTTP/1.1
// message head.
const upgradeHeadMax = 64 << 10

// getDialer opens get's TCP connections.
type getDialer struct {
	trace   *traceOutput  // nil without -v
	traceW  io.Writer     // trace's writer, safe for concurrent use
	upgrade bool          // -u: show the Upgrade exchange (with -v)
	timeout time.Duration // --connect-timeout: bounds the TCP connect
	hex     *hexDumper    // --hexdump: dumps the bytes read; nil without it

	mu   sync.Mutex
	open int
	idle chan struct{}       // closed when open drops to 0; nil while none is awaited
	last map[string]*getConn // the last connection to each address
}

// firstBytes returns the first bytes the server sent on the last
// connection to addr, and false if none was made, to word errors (see
// requestError).
func (d *getDialer) firstBytes(addr string) ([]byte, bool) {
	d.mu.Lock()
	c := d.last[addr]
	d.mu.Unlock()
	if c == nil {
		return nil, false
	}
	return c.first.get(), true
}

// DialContext connects to addr (h2client.Transport.DialContext). With
// --hexdump, h2client dials its TLS connections with dialTLS
// (get_hexdump.go), so this is cleartext: the bytes read are dumped.
func (d *getDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.dial(ctx, network, addr, d.hex != nil)
}

// dial connects to addr; dump asks for the bytes read to be dumped.
func (d *getDialer) dial(ctx context.Context, network, addr string, dump bool) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.timeout}
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		if d.trace != nil {
			d.trace.Event("", "Could not connect to "+addr+": "+err.Error())
		}
		return nil, err
	}
	if d.trace != nil {
		d.trace.Event("", "Connected")
	}
	gc := &getConn{Conn: c, d: d, addr: addr}
	if dump {
		gc.hex = d.hex
	}
	d.mu.Lock()
	d.open++
	if d.last == nil {
		d.last = map[string]*getConn{}
	}
	d.last[addr] = gc
	d.mu.Unlock()
	if d.trace != nil && d.upgrade {
		gc.sniff = &upgradeSniffer{trace: d.trace, writing: true, gate: &gateWriter{w: d.traceW}}
	}
	return gc, nil
}

// waitClosed waits until every connection is closed, for at most max,
// and reports whether they are.
func (d *getDialer) waitClosed(max time.Duration) bool {
	d.mu.Lock()
	if d.open == 0 {
		d.mu.Unlock()
		return true
	}
	if d.idle == nil {
		d.idle = make(chan struct{})
	}
	ch := d.idle
	d.mu.Unlock()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

func (d *getDialer) closed() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.open--
	if d.open == 0 && d.idle != nil {
		close(d.idle)
		d.idle = nil
	}
}

// getConn is a connection of get's dialer.
type getConn struct {
	net.Conn
	d     *getDialer
	addr  string          // the address dialed (host:port)
	sniff *upgradeSniffer // nil unless -v -u
	hex   *hexDumper      // --hexdump of a cleartext connection, or nil
	first firstBytes      // the first bytes read
	once  sync.Once
}

func (c *getConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.first.note(p[:n])
	}
	if c.sniff != nil && n > 0 {
		c.sniff.read(p[:n])
	}
	if c.hex != nil {
		c.hex.dump(p[:n])
	}
	return n, err
}

func (c *getConn) Write(p []byte) (int, error) {
	if c.sniff != nil {
		c.sniff.write(p)
	}
	return c.Conn.Write(p)
}

// Close closes the connection and counts it out.
func (c *getConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		if c.sniff != nil {
			c.sniff.gate.release()
		}
		c.d.closed()
	})
	return err
}

// CloseWrite half-closes the connection when the underlying one can.
func (c *getConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// upgradeSniffer prints the HTTP/1.1 Upgrade exchange at the start of a
// cleartext connection, as nghttp -v does: the request head written, then
// the response heads read (1xx ones too) up to the 101 or the final
// answer. A connection that starts with anything else (a TLS handshake,
// the HTTP/2 preface) is left alone.
//
// The engine traces its first SETTINGS when it is made, before the
// Upgrade request goes out, though the frame is only written after the
// 101: the frames of the connection are held in gate until the exchange
// is printed.
type upgradeSniffer struct {
	trace *traceOutput
	gate  *gateWriter

	mu      sync.Mutex
	writing bool // watching the request
	reading bool // watching the response
	buf     []byte
}

func (s *upgradeSniffer) write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.writing || len(p) == 0 {
		return
	}
	if len(s.buf) == 0 && (p[0] == 0x16 || bytes.HasPrefix(p, []byte("PRI "))) {
		s.writing = false // TLS or prior knowledge: no Upgrade
		s.gate.release()
		return
	}
	s.buf = append(s.buf, p[:min(len(p), upgradeHeadMax-len(s.buf))]...)
	i := bytes.Index(s.buf, []byte("\r\n\r\n"))
	if i < 0 {
		if len(s.buf) >= upgradeHeadMax {
			s.writing, s.buf = false, nil
			s.gate.release()
		}
		return
	}
	s.printHead("HTTP Upgrade request", s.buf[:i])
	s.writing, s.reading, s.buf = false, true, nil
}

func (s *upgradeSniffer) read(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reading {
		return
	}
	s.buf = append(s.buf, p[:min(len(p), upgradeHeadMax-len(s.buf))]...)
	for s.reading {
		i := bytes.Index(s.buf, []byte("\r\n\r\n"))
		if i < 0 {
			if len(s.buf) >= upgradeHeadMax {
				s.reading, s.buf = false, nil
				s.gate.release()
			}
			return
		}
		head := s.buf[:i]
		s.printHead("HTTP Upgrade response", head)
		code := h1StatusOf(head)
		switch {
		case code == 101:
			s.trace.Event("", "HTTP Upgrade success")
			s.reading = false
		case code >= 100 && code < 200:
			s.buf = s.buf[i+4:] // 100 Continue: the answer follows
			continue
		default:
			s.trace.Event("", "HTTP Upgrade failed: the server answered over HTTP/1.1")
			s.reading = false
		}
	}
	s.buf = nil
	s.gate.release()
}

// printHead prints a title line and the lines of an HTTP/1.1 message
// head, then an empty line.
func (s *upgradeSniffer) printHead(title string, head []byte) {
	s.trace.Event("", title)
	for line := range strings.SplitSeq(string(head), "\r\n") {
		s.trace.Println(line)
	}
	s.trace.Println("")
}

// h1StatusOf returns the status code of an HTTP/1.1 response head, or 0.
func h1StatusOf(head []byte) int {
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return 0
	}
	return n
}

// gateWriter holds what is written to it until release, then writes it
// to w and lets later writes through.
type gateWriter struct {
	w    io.Writer
	mu   sync.Mutex
	open bool
	buf  []byte
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		return g.w.Write(p)
	}
	g.buf = append(g.buf, p...)
	return len(p), nil
}

// release writes what was held and opens the gate.
func (g *gateWriter) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		g.open = true
		if len(g.buf) > 0 {
			g.w.Write(g.buf)
		}
		g.buf = nil
	}
}
