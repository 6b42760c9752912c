//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference server of the comparison

package h2server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// Memory held by idle connections: TestAttack_IdleConnections opens
// thousands of h2c connections that complete the handshake and then say
// nothing (or make one request first), and checks the memory each holds
// and that ReadHeaderTimeout and IdleTimeout close them all;
// BenchmarkIdleConnMemory compares the memory per idle connection with
// net/http's own HTTP/2 server and golang.org/x/net/http2's.

// idleConns is how many idle connections the test opens: fewer under the
// race detector, whose goroutines are heavier and limited to 8128.
func idleConns() int {
	if raceEnabled {
		return 500
	}
	return 2000
}

// openIdle connects to addr and completes the HTTP/2 handshake: preface
// and SETTINGS, the server's SETTINGS acknowledged, ours acknowledged by
// the server. With req, it then makes one GET and reads the response
// until END_STREAM. buf is scratch space.
func openIdle(addr string, req bool, buf []byte) (net.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	out := append(buf[:0], frame.ClientPreface...)
	out = (&frame.Settings{}).Append(out)
	out = (&frame.Settings{Ack: true}).Append(out) // the server's SETTINGS come first, always
	if req {
		// :method GET, :scheme http, :path /, :authority "x", static
		// table only.
		out = (&frame.Headers{StreamID: 1, EndHeaders: true, EndStream: true,
			BlockFragment: []byte{0x82, 0x86, 0x84, 0x01, 0x01, 'x'}}).Append(out)
	}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(out); err != nil {
		nc.Close()
		return nil, err
	}
	// Read until the server acknowledged our SETTINGS and, with req,
	// ended stream 1.
	var p frame.Parser
	in := buf[:0]
	acked, ended := false, !req
	for !acked || !ended {
		if len(in) == cap(in) {
			nc.Close()
			return nil, errors.New("handshake: too much to read")
		}
		n, err := nc.Read(in[len(in):cap(in)])
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
		in = in[:len(in)+n]
		for {
			f, k, err := p.Parse(in)
			if err != nil {
				nc.Close()
				return nil, err
			}
			if k == 0 {
				break
			}
			h := p.LastHeader()
			if h.Type == frame.TypeSettings && h.Flags.Has(frame.FlagAck) {
				acked = true
			}
			if h.StreamID == 1 && h.Flags.Has(frame.FlagEndStream) {
				ended = true
			}
			if g, ok := f.(*frame.GoAway); ok {
				nc.Close()
				return nil, fmt.Errorf("handshake: GOAWAY %v", g.Code)
			}
			in = in[:copy(in, in[k:])]
		}
	}
	nc.SetDeadline(time.Time{})
	return nc, nil
}

// heapAndStacks is the memory the Go runtime uses for objects and
// goroutine stacks, after two GCs (the second empties sync.Pools).
func heapAndStacks() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// idleCost opens n idle connections to addr (every reqEvery-th one makes
// a request first; 0: none) and returns them with the memory and
// goroutines they hold in this process (both ends: the client's part is
// a socket without goroutines or buffers).
func idleCost(tb testing.TB, addr string, n, reqEvery int) (conns []net.Conn, bytesPer, goroutinesPer float64) {
	tb.Helper()
	buf := make([]byte, 0, 16<<10)
	conns = make([]net.Conn, 0, n)
	g0, m0 := runtime.NumGoroutine(), heapAndStacks()
	for i := range n {
		nc, err := openIdle(addr, reqEvery > 0 && i%reqEvery == 0, buf)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			tb.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, nc)
	}
	time.Sleep(50 * time.Millisecond) // let the servers' goroutines settle
	m1, g1 := heapAndStacks(), runtime.NumGoroutine()
	return conns, float64(m1-m0) / float64(n), float64(g1-g0) / float64(n)
}

// TestAttack_IdleConnections: thousands of connections that complete the
// handshake and go idle, a tenth after one request. Each must hold a
// bounded amount of memory, and ReadHeaderTimeout (no request yet) and
// IdleTimeout (after the request) must close them all.
func TestAttack_IdleConnections(t *testing.T) {
	const timeout = 2 * time.Second
	n := idleConns()
	s := &Server{ReadHeaderTimeout: timeout, IdleTimeout: timeout, ShutdownTimeout: 100 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	l := testpeer.Listen(t)
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	addr := l.Addr().String()

	start := time.Now()
	m0, g0 := heapAndStacks(), runtime.NumGoroutine()
	conns, perConn, gPerConn := idleCost(t, addr, n, 10)
	opened := time.Since(start)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	s.mu.Lock()
	tracked := len(s.conns)
	s.mu.Unlock()
	t.Logf("%d idle connections opened in %v: %.1f KiB and %.2f goroutines per connection (heap and stacks, both ends)",
		n, opened.Round(time.Millisecond), perConn/1024, gPerConn)
	if tracked != n {
		t.Errorf("the server tracks %d connections, want %d", tracked, n)
	}
	// What an idle connection holds: the engine (HPACK tables, settings,
	// buffers), the connloop's goroutines (owner, reader, writer) and its
	// two read buffers. Generous: the point is that it is bounded.
	if limit := 96.0 * 1024; perConn > limit {
		t.Errorf("%.1f KiB per idle connection, want at most %.0f KiB", perConn/1024, limit/1024)
	}

	// Every connection must be closed by the server, none before its
	// timeout (less a margin: some were opened up to `opened` ago).
	deadline := start.Add(opened + timeout + 5*time.Second)
	var early, open int
	var last time.Duration
	for i, c := range conns {
		c.SetReadDeadline(deadline)
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			open++
			continue
		}
		if el := time.Since(start); el < timeout-100*time.Millisecond {
			early++
		} else if i == len(conns)-1 {
			last = el
		}
	}
	if open > 0 || early > 0 {
		t.Errorf("%d connections still open %v after the timeout, %d closed before it", open, deadline.Sub(start), early)
	}
	end := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		tracked = len(s.conns)
		s.mu.Unlock()
		if tracked == 0 || time.Now().After(end) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	// The server's goroutines linger until the client closes too.
	for runtime.NumGoroutine() > g0+10 && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	after := heapAndStacks() - m0
	t.Logf("all closed by the server %v after the first was opened (timeouts %v); %d still tracked; memory left: %+.2f MiB",
		last.Round(time.Millisecond), timeout, tracked, float64(after)/(1<<20))
	if tracked != 0 {
		t.Errorf("the server still tracks %d connections", tracked)
	}
	// Dead goroutines keep their stacks for reuse a while: what is left
	// must be a small part of what the connections held, and no
	// goroutine of theirs may be left.
	if held := perConn * float64(n); float64(after) > held/4 {
		t.Errorf("%.1f MiB still held after the connections closed (they held %.1f MiB)", float64(after)/(1<<20), held/(1<<20))
	}
	if g := runtime.NumGoroutine() - g0; g > 10 {
		t.Errorf("%d goroutines left after the connections closed", g)
	}
	c := newRawClient(t, dial(t, addr), h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	if fs, body := c.response(id); field(fs, ":status") != "200" || !bytes.Equal(body, []byte("ok")) {
		t.Fatalf("after the idle connections: %v %q", fs, body)
	}
}

// startNetHTTPH2C serves h with net/http's own HTTP/2 server, unencrypted
// (prior knowledge).
func startNetHTTPH2C(tb testing.TB, h http.Handler) string {
	l := testpeer.Listen(tb)
	hs := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	hs.Protocols.SetUnencryptedHTTP2(true)
	go hs.Serve(l)
	tb.Cleanup(func() { hs.Close() })
	return l.Addr().String()
}

// BenchmarkIdleConnMemory opens 1000 idle HTTP/2 connections (handshake
// done, no request) per iteration against h2kit, net/http's own HTTP/2
// server and golang.org/x/net/http2's, and reports the memory (heap and
// goroutine stacks, both ends of each connection) and goroutines each
// holds. Run it alone: -run '^$' -bench IdleConnMemory.
func BenchmarkIdleConnMemory(b *testing.B) {
	const n = 1000
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, srv := range []struct {
		name  string
		start func(testing.TB, http.Handler) string
	}{{"h2kit", startH2kitH2C}, {"nethttp", startNetHTTPH2C}, {"xnet", startXnetH2C}} {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.start(b, ok)
			var bytesSum, gSum float64
			for b.Loop() {
				conns, perConn, gPerConn := idleCost(b, addr, n, 0)
				bytesSum += perConn
				gSum += gPerConn
				b.StopTimer()
				for _, c := range conns {
					c.Close()
				}
				time.Sleep(100 * time.Millisecond) // the servers notice
				b.StartTimer()
			}
			b.ReportMetric(bytesSum/float64(b.N), "B/conn")
			b.ReportMetric(gSum/float64(b.N), "goroutines/conn")
		})
	}
}
