package connloop

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// gid returns the calling goroutine's id, from its stack trace's first
// line ("goroutine 18 [running]:").
func gid() uint64 {
	var buf [64]byte
	s := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, _ := strconv.ParseUint(s[:strings.IndexByte(s, ' ')], 10, 64)
	return id
}

// busyEcho is echoServer whose Wake takes long, as a handler's work may:
// reads that arrive meanwhile cannot be handled by the reader (Run's
// goroutine is the owner) and queue up for Run's goroutine. It records
// who handled the events.
type busyEcho struct {
	echoServer
	runG      atomic.Uint64 // Run's goroutine
	events    int
	onReader  int   // events handled on a goroutine other than Run's
	onRun     int   // events handled by Run's goroutine
	maxQueued int32 // most reads seen waiting for Run's goroutine
}

func (s *busyEcho) Event(ev h2kit.Event) {
	if _, ok := ev.(*h2kit.DataReceived); ok {
		s.events++
		if gid() == s.runG.Load() {
			s.onRun++
		} else {
			s.onReader++
		}
		s.maxQueued = max(s.maxQueued, s.l.pendingReads.Load())
	}
	s.echoServer.Event(ev)
}

func (s *busyEcho) Wake() { time.Sleep(3 * time.Millisecond) }

// The reader handles what it reads itself when it can be the owner, and
// hands reads to Run's goroutine while the owner is busy; either way the
// engine gets the bytes in the order they came (a 2 MB body echoed byte
// for byte), and once Run's goroutine has caught up the reader handles
// reads again.
func TestLoopReadsInOrderWhileOwnerBusy(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2: the reader must run while the owner sleeps")
	}
	cc, sc := tcpPair(t)
	now := time.Now()
	srv := &busyEcho{echoServer: echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, Options{ReadBufferSize: 2000})
	srv.echoServer.l = srv.l
	body := bytes.Repeat([]byte("0123456789abcdefghij"), 400000) // 8 MB
	cl := &client{body: body, done: make(chan struct{}), closed: make(chan error, 1)}
	cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{MaxWriteBatch: 4000})
	started := make(chan struct{})
	go func() {
		srv.runG.Store(gid())
		close(started)
		srv.l.Run()
	}()
	<-started
	go cl.l.Run()
	cl.l.Wake()
	// Keep Run's goroutine busy in Wake now and then while data comes.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				srv.l.Wake()
			}
		}
	}()
	select {
	case <-cl.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no response")
	}
	close(stop)
	if !bytes.Equal(cl.got, body) {
		t.Fatalf("echo: %d bytes differ from the %d sent", len(cl.got), len(body))
	}
	cl.l.Close(nil)
	srv.l.Close(nil)
	<-srv.closed
	<-cl.closed
	t.Logf("DATA events: %d by the reader, %d by Run's goroutine; at most %d reads queued", srv.onReader, srv.onRun, srv.maxQueued)
	// DATA events reach Run's goroutine only through reads it took from
	// the channel.
	if srv.onReader == 0 || srv.onRun == 0 {
		t.Errorf("DATA events: %d by the reader, %d by Run's goroutine: want both paths taken", srv.onReader, srv.onRun)
	}
}

// wakeNowServer answers each request from Handler.Wake with a body that
// another goroutine prepared, as h2server's handlers do.
type wakeNowServer struct {
	l       *Loop
	mu      sync.Mutex
	ready   []uint32 // requests whose answer is ready
	wakeG   []uint64 // goroutines that ran Wake
	closed  chan error
	request chan uint32
}

func (s *wakeNowServer) Event(ev h2kit.Event) {
	if e, ok := ev.(*h2kit.RequestReceived); ok {
		s.request <- e.StreamID
	}
}

func (s *wakeNowServer) Wake() {
	s.mu.Lock()
	ids := s.ready
	s.ready = nil
	s.mu.Unlock()
	s.wakeG = append(s.wakeG, gid())
	for _, id := range ids {
		s.l.Engine().SendHeaders(id, []hpack.Field{{Name: ":status", Value: "200"}}, false)
		s.l.Engine().SendData(id, []byte("answered by WakeNow"), true)
	}
}

func (s *wakeNowServer) Written()            {}
func (s *wakeNowServer) Deadline() time.Time { return time.Time{} }
func (s *wakeNowServer) Timer(time.Time)     {}
func (s *wakeNowServer) Closed(err error)    { s.closed <- err }

// WakeNow from a goroutine that is not the owner, while no one is, runs
// Handler.Wake and the write on that goroutine: the response reaches the
// peer with no turn of Run's goroutine.
func TestLoopWakeNowActsAsOwner(t *testing.T) {
	cc, sc := tcpPair(t)
	now := time.Now()
	srv := &wakeNowServer{closed: make(chan error, 1), request: make(chan uint32, 1)}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, Options{})
	go srv.l.Run()
	cl := &client{body: []byte("x"), done: make(chan struct{}), closed: make(chan error, 1)}
	cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{})
	go cl.l.Run()
	cl.l.Wake()
	var id uint32
	select {
	case id = <-srv.request:
	case <-time.After(10 * time.Second):
		t.Fatal("no request")
	}
	// The owner is idle once it has handled the request: WakeNow then
	// finds the lock free (retry briefly if the owner is still busy).
	var me uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		me = gid()
		srv.mu.Lock()
		srv.ready = append(srv.ready, id)
		srv.mu.Unlock()
		for range 100 {
			if srv.l.mu.TryLock() {
				srv.l.mu.Unlock()
				break
			}
			time.Sleep(time.Millisecond)
		}
		srv.l.WakeNow()
	}()
	<-done
	select {
	case <-cl.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no response")
	}
	if string(cl.got) != "answered by WakeNow" {
		t.Fatalf("response %q", cl.got)
	}
	srv.l.Close(nil)
	<-srv.closed
	cl.l.Close(nil)
	<-cl.closed
	if len(srv.wakeG) == 0 || srv.wakeG[0] != me {
		t.Fatalf("Wake ran on goroutines %v, want the WakeNow caller %d first", srv.wakeG, me)
	}
}
