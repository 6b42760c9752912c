//go:build unix

package h2server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// This file holds the machinery of the attack tests (attack_test.go): a
// server under attack that counts what it receives, sends and runs, a raw
// TCP attacker writing frames built with the frame and hpack packages, and
// a meter for the memory and CPU an attack costs.

// attackServer is an h2server (h2c with prior knowledge) under attack.
type attackServer struct {
	srv  *Server
	addr string

	traces sync.Map // client address -> *connTrace

	// Handlers: running now, the most at once, started in all.
	running    atomic.Int64
	maxRunning atomic.Int64
	started    atomic.Int64
}

// startAttackServer serves s over loopback. Accepted sockets get a small
// send buffer, so that a client that does not read fills the path quickly
// and the server's own buffering shows (as it would over a slow network).
func startAttackServer(t testing.TB, s *Server) *attackServer {
	t.Helper()
	if s == nil {
		s = new(Server)
	}
	as := &attackServer{srv: s}
	if s.Logger == nil {
		s.Logger = discardLogger()
	}
	s.Handler = http.HandlerFunc(as.serveHTTP)
	s.NewTracer = func(nc net.Conn) h2kit.Tracer {
		ct := new(connTrace)
		as.traces.Store(nc.RemoteAddr().String(), ct)
		return ct
	}
	l := testpeer.Listen(t)
	go s.Serve(smallSendBufListener{l})
	t.Cleanup(func() { s.Close() })
	as.addr = l.Addr().String()
	return as
}

// serveHTTP: "/" answers "ok"; "/work?ms=N" works N ms without looking at
// its context (a backend call that cannot be cancelled); "/wait" waits for
// its context (at most 10s); "/big?kb=N" writes N KiB (default 1024);
// "/empty" answers 204; "/discard" reads the body.
func (as *attackServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n := as.running.Add(1)
	defer as.running.Add(-1)
	as.started.Add(1)
	for {
		m := as.maxRunning.Load()
		if n <= m || as.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	switch r.URL.Path {
	case "/work":
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "/wait":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	case "/big":
		kb, err := strconv.Atoi(r.URL.Query().Get("kb"))
		if err != nil {
			kb = 1024
		}
		chunk := bytes.Repeat([]byte("b"), 1024)
		for range kb {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	case "/empty":
		w.WriteHeader(http.StatusNoContent)
		return
	case "/discard":
		io.Copy(io.Discard, r.Body)
	}
	io.WriteString(w, "ok")
}

// trace returns what the server saw on the connection from client address
// local (waiting a little for the server to accept it).
func (as *attackServer) trace(t testing.TB, local string) *connTrace {
	t.Helper()
	for i := 0; i < 500; i++ {
		if ct, ok := as.traces.Load(local); ok {
			return ct.(*connTrace)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the server has no connection from %s", local)
	return nil
}

// wantHealthy checks that a fresh connection still gets 200 for "/".
func (as *attackServer) wantHealthy(t testing.TB) {
	t.Helper()
	c := newRawClient(t, dial(t, as.addr), h2kit.Config{})
	id, err := c.eng.SendRequest(reqFields("GET", as.addr, "/"), true)
	if err != nil {
		t.Fatal(err)
	}
	fs, body := c.response(id)
	if field(fs, ":status") != "200" || string(body) != "ok" {
		t.Fatalf("after the attack: %v %q", fs, body)
	}
	c.nc.Close()
}

// waitHandlers waits until no handler runs (the attack's work is over).
func (as *attackServer) waitHandlers(t testing.TB, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	for as.running.Load() > 0 {
		if time.Now().After(end) {
			t.Fatalf("%d handlers still running %v after the attack", as.running.Load(), d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type smallSendBufListener struct{ net.Listener }

func (l smallSendBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// connTrace counts the frames of one server connection (a Tracer: called
// on the connection's owner goroutine, read by the test).
type connTrace struct {
	recv, sent [256]atomic.Int64
	rstSent    [16]atomic.Int64 // RST_STREAM sent, by error code

	// The first GOAWAY with an error: written before goAwaySent is set,
	// read after.
	goAwaySent   atomic.Bool
	goAwayCode   frame.ErrCode
	goAwayDebug  string
	goAwayAt     time.Time
	recvAtGoAway [256]int64 // frames received by then, by type
	sentAtGoAway [256]int64 // frames sent by then, by type
}

func (ct *connTrace) FrameReceived(h frame.Header, f frame.Frame, _ []hpack.Field) {
	ct.recv[h.Type].Add(1)
}

func (ct *connTrace) FrameSent(h frame.Header, f frame.Frame, _ []hpack.Field) {
	ct.sent[h.Type].Add(1)
	switch f := f.(type) {
	case *frame.RSTStream:
		ct.rstSent[min(int(f.Code), 15)].Add(1)
	case *frame.GoAway:
		if f.Code == frame.ErrCodeNo || ct.goAwaySent.Load() {
			return // graceful shutdown, or a second GOAWAY
		}
		ct.goAwayCode = f.Code
		ct.goAwayDebug = string(f.DebugData)
		ct.goAwayAt = time.Now()
		for i := range ct.recv {
			ct.recvAtGoAway[i] = ct.recv[i].Load()
			ct.sentAtGoAway[i] = ct.sent[i].Load()
		}
		ct.goAwaySent.Store(true)
	}
}

// wantGoAway checks that the server ended the connection with a GOAWAY
// of code (waiting for it a few seconds).
func (ct *connTrace) wantGoAway(t testing.TB, code frame.ErrCode) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for !ct.goAwaySent.Load() && time.Now().Before(end) {
		time.Sleep(2 * time.Millisecond)
	}
	if !ct.goAwaySent.Load() {
		var got []string
		for i := range ct.recv {
			if n := ct.recv[i].Load(); n > 0 {
				got = append(got, fmt.Sprintf("%v: %d", frame.Type(i), n))
			}
		}
		t.Fatalf("the server did not end the connection (frames received: %v)", got)
	}
	if ct.goAwayCode != code {
		t.Fatalf("GOAWAY %v (%q), want %v", ct.goAwayCode, ct.goAwayDebug, code)
	}
}

// noGoAway checks that the server did not end the connection with an error.
func (ct *connTrace) noGoAway(t testing.TB) {
	t.Helper()
	if ct.goAwaySent.Load() {
		t.Fatalf("GOAWAY %v (%q)", ct.goAwayCode, ct.goAwayDebug)
	}
}

// attacker is a raw HTTP/2 client: it writes whatever frames it is told,
// built with the frame and hpack packages, and (if asked) reads the
// server's frames in the background.
type attacker struct {
	t      testing.TB
	nc     net.Conn
	enc    *hpack.Encoder
	out    []byte
	nextID uint32
	start  time.Time  // before the dial: the server's limits start later
	ct     *connTrace // the server's side of the connection

	// Set by the reader goroutine.
	recv      [256]atomic.Int64
	rst       [16]atomic.Int64 // RST_STREAM received, by code
	goAway    atomic.Bool
	goAwayErr atomic.Uint32
	closed    chan struct{} // the reader saw EOF or an error
	readDone  chan struct{}
}

// dialAttacker connects to as with a small receive buffer and sends the
// preface, settings, and an ACK of the server's SETTINGS (always its
// first frame). With read, a goroutine reads and counts the server's
// frames; without, the attacker never reads.
func dialAttacker(t testing.TB, as *attackServer, read bool, settings ...frame.Setting) *attacker {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
	}}
	start := time.Now()
	nc, err := d.Dial("tcp", as.addr)
	if err != nil {
		t.Fatal(err)
	}
	a := &attacker{t: t, nc: nc, enc: hpack.NewEncoder(), nextID: 1, start: start,
		closed: make(chan struct{}), readDone: make(chan struct{})}
	t.Cleanup(func() {
		nc.Close()
		<-a.readDone
	})
	a.ct = as.trace(t, a.local())
	a.out = append(a.out, frame.ClientPreface...)
	a.frame(&frame.Settings{Settings: settings})
	a.frame(&frame.Settings{Ack: true})
	if err := a.flush(); err != nil {
		t.Fatal(err)
	}
	if read {
		go a.readLoop()
	} else {
		close(a.readDone)
	}
	return a
}

func (a *attacker) local() string { return a.nc.LocalAddr().String() }

// frame queues f; flush writes what is queued.
func (a *attacker) frame(f frame.Frame) { a.out = f.Append(a.out) }

func (a *attacker) flush() error {
	a.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := a.nc.Write(a.out)
	a.out = a.out[:0]
	return err
}

// block encodes a request header block (the attacker's HPACK context
// goes on: encode each block once, in the order it is sent).
func (a *attacker) block(method, path string, extra ...string) []byte {
	return a.enc.Encode(nil, reqFields(method, "attack.test", path, extra...))
}

// request queues a HEADERS frame opening the next stream with a request
// for path, and returns its id.
func (a *attacker) request(method, path string, endStream bool, extra ...string) uint32 {
	id := a.nextID
	a.nextID += 2
	a.frame(&frame.Headers{StreamID: id, EndHeaders: true, EndStream: endStream, BlockFragment: a.block(method, path, extra...)})
	return id
}

// over reports whether the server ended the connection: GOAWAY read or
// queued (seen by the server's tracer), or the socket closed.
func (a *attacker) over() bool {
	if a.goAway.Load() || a.ct.goAwaySent.Load() {
		return true
	}
	select {
	case <-a.closed:
		return true
	default:
		return false
	}
}

func (a *attacker) readLoop() {
	defer close(a.readDone)
	defer close(a.closed)
	var p frame.Parser
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		n, err := a.nc.Read(tmp)
		buf = append(buf, tmp[:n]...)
		used := 0
		for {
			f, k, perr := p.Parse(buf[used:])
			if k == 0 {
				break
			}
			used += k
			if perr != nil {
				continue
			}
			h := p.LastHeader()
			a.recv[h.Type].Add(1)
			switch f := f.(type) {
			case *frame.RSTStream:
				a.rst[min(int(f.Code), 15)].Add(1)
			case *frame.GoAway:
				a.goAwayErr.Store(uint32(f.Code))
				a.goAway.Store(true)
			}
		}
		buf = append(buf[:0], buf[used:]...)
		if err != nil {
			return
		}
	}
}

// sendUntil calls step (which queues frames and returns how many) and
// flushes, until the server ends the connection, a write fails, max frames
// were sent or d passed. It returns the frames sent.
func (a *attacker) sendUntil(max int, d time.Duration, step func() int) int {
	sent := 0
	end := time.Now().Add(d)
	for sent < max && time.Now().Before(end) && !a.over() {
		sent += step()
		if err := a.flush(); err != nil {
			break
		}
	}
	return sent
}

// waitClosed waits until the reader goroutine sees the connection
// closed; false after d.
func (a *attacker) waitClosed(d time.Duration) bool {
	select {
	case <-a.closed:
		return true
	case <-time.After(d):
		return false
	}
}

// drainUntilClosed reads and discards until EOF or error (for attackers
// without a reader goroutine); false if d passed first.
func (a *attacker) drainUntilClosed(d time.Duration) bool {
	a.nc.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, a.nc)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// rateBound is the most events rate r lets through in d, plus slack.
func rateBound(r h2kit.Rate, d time.Duration, slack int) int64 {
	return int64(r.Burst) + int64(d.Seconds()*float64(r.PerSecond)) + int64(slack)
}

// elapsed is the time from the attacker's dial to the server's GOAWAY.
func (a *attacker) elapsed(ct *connTrace) time.Duration { return ct.goAwayAt.Sub(a.start) }

// usage is what an attack cost the process (server and attacker: both
// run here, the attacker's share being small and constant).
type usage struct {
	wall       time.Duration
	cpu        time.Duration // user + system
	heapPeak   int64         // highest HeapInuse above the baseline during the attack
	heapAfter  int64         // HeapInuse above the baseline after it, after a GC
	goroutines int           // most goroutines above the baseline
}

func (u usage) String() string {
	return fmt.Sprintf("wall %v, cpu %v, heap peak +%.2f MiB, heap after +%.2f MiB, goroutines peak +%d",
		u.wall.Round(time.Millisecond), u.cpu.Round(time.Millisecond),
		float64(u.heapPeak)/(1<<20), float64(u.heapAfter)/(1<<20), u.goroutines)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs attack, sampling the heap and goroutines every few
// milliseconds, and returns what it cost.
func measure(attack func()) usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := int64(ms.HeapInuse)
	baseG := runtime.NumGoroutine()
	var peak, peakG atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if h := int64(ms.HeapInuse) - base; h > peak.Load() {
				peak.Store(h)
			}
			if g := int64(runtime.NumGoroutine() - baseG); g > peakG.Load() {
				peakG.Store(g)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cpu0, t0 := cpuTime(), time.Now()
	attack()
	u := usage{wall: time.Since(t0), cpu: cpuTime() - cpu0}
	close(stop)
	<-sampled
	runtime.GC()
	runtime.ReadMemStats(&ms)
	u.heapPeak, u.heapAfter, u.goroutines = peak.Load(), int64(ms.HeapInuse)-base, int(peakG.Load())
	return u
}

// within fails the test if u exceeds the bounds (zero: not checked).
func (u usage) within(t testing.TB, heapPeak int64, cpu time.Duration) {
	t.Helper()
	if heapPeak > 0 && u.heapPeak > heapPeak {
		t.Errorf("heap grew by %.2f MiB during the attack, want at most %.2f MiB", float64(u.heapPeak)/(1<<20), float64(heapPeak)/(1<<20))
	}
	if cpu > 0 && u.cpu > cpu {
		t.Errorf("the attack cost %v of CPU, want at most %v", u.cpu, cpu)
	}
}
