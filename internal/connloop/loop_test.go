package connloop

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// echoServer answers each request with its body, from the owner goroutine.
type echoServer struct {
	l      *Loop
	bodies map[uint32][]byte
	closed chan error
}

func (s *echoServer) Event(ev h2kit.Event) {
	eng := s.l.Engine()
	switch e := ev.(type) {
	case *h2kit.RequestReceived:
		s.bodies[e.StreamID] = nil
		if e.EndStream {
			s.respond(eng, e.StreamID)
		}
	case *h2kit.DataReceived:
		s.bodies[e.StreamID] = append(s.bodies[e.StreamID], e.Data...)
		eng.ConsumeData(e.StreamID, len(e.Data))
		if e.EndStream {
			s.respond(eng, e.StreamID)
		}
	case *h2kit.WindowUpdated:
		for id := range s.bodies {
			s.send(eng, id)
		}
	}
}

func (s *echoServer) respond(eng *h2kit.Conn, id uint32) {
	eng.SendHeaders(id, []hpack.Field{{Name: ":status", Value: "200"}}, false)
	s.send(eng, id)
}

func (s *echoServer) send(eng *h2kit.Conn, id uint32) {
	b, ok := s.bodies[id]
	if !ok || eng.State(id) == h2kit.StateOpen {
		return // still receiving
	}
	n, _ := eng.SendData(id, b, true)
	if n == len(b) {
		delete(s.bodies, id)
	} else {
		s.bodies[id] = b[n:]
	}
}

func (s *echoServer) Wake()               {}
func (s *echoServer) Written()            {}
func (s *echoServer) Deadline() time.Time { return time.Time{} }
func (s *echoServer) Timer(time.Time)     {}
func (s *echoServer) Closed(err error)    { s.closed <- err }

// client sends one request when woken and collects the response.
type client struct {
	l       *Loop
	body    []byte
	id      uint32
	sent    int
	got     []byte
	done    chan struct{}
	closed  chan error
	started bool
}

func (c *client) Wake() {
	eng := c.l.Engine()
	if !c.started {
		c.started = true
		c.id, _ = eng.SendRequest([]hpack.Field{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
			{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"}}, false)
	}
	c.push(eng)
}

func (c *client) push(eng *h2kit.Conn) {
	if c.sent < len(c.body) || c.sent == 0 {
		n, _ := eng.SendData(c.id, c.body[c.sent:], true)
		c.sent += n
	}
}

func (c *client) Event(ev h2kit.Event) {
	switch e := ev.(type) {
	case *h2kit.DataReceived:
		c.got = append(c.got, e.Data...)
		c.l.Engine().ConsumeData(e.StreamID, len(e.Data))
		if e.EndStream {
			close(c.done)
		}
	case *h2kit.WindowUpdated:
		if c.started {
			c.push(c.l.Engine())
		}
	}
}

func (c *client) Written()            {}
func (c *client) Deadline() time.Time { return time.Time{} }
func (c *client) Timer(time.Time)     {}
func (c *client) Closed(err error)    { c.closed <- err }

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return cc, sc
}

func TestLoopEcho(t *testing.T) {
	cc, sc := tcpPair(t)
	now := time.Now()
	srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, Options{ReadBufferSize: 1000})
	body := bytes.Repeat([]byte("0123456789"), 300000) // 3 MB: many windows
	cl := &client{body: body, done: make(chan struct{}), closed: make(chan error, 1)}
	cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{MaxWriteBatch: 20000})
	go srv.l.Run()
	go cl.l.Run()
	cl.l.Wake()
	select {
	case <-cl.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no response")
	}
	if !bytes.Equal(cl.got, body) {
		t.Fatalf("echo: %d bytes, want %d", len(cl.got), len(body))
	}
	shutdownEcho(t, cl, srv)
}

// shutdownEcho ends an echo test's two loops gracefully (GOAWAY both
// ways) and checks that both end without an error.
func shutdownEcho(t *testing.T, cl *client, srv *echoServer) {
	t.Helper()
	cl.l.Shutdown()
	srv.l.Shutdown()
	for _, ch := range []chan error{cl.closed, srv.closed} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("closed with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("loop did not end")
		}
	}
	<-cl.l.Done()
	<-srv.l.Done()
}

func TestLoopCloseAndPeerGone(t *testing.T) {
	cc, sc := tcpPair(t)
	srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, time.Now()), srv, Options{LingerTimeout: -1})
	go srv.l.Run()
	// The server's SETTINGS come first, before the client sent anything.
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 9)
	if _, err := cc.Read(b); err != nil || b[3] != 0x4 {
		t.Fatalf("first bytes %x %v", b, err)
	}
	cc.Close() // the peer goes away
	select {
	case err := <-srv.closed:
		// EOF, or a reset when our frames after SETTINGS were unread:
		// ErrPeerClosed either way (wrapping the read's error then).
		if !errors.Is(err, ErrPeerClosed) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loop did not notice")
	}

	cc, sc = tcpPair(t)
	defer cc.Close()
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, time.Now()), srv, Options{Prefix: []byte("PRI * HTTP/2.0\r\n")})
	go srv.l.Run()
	srv.l.Close(nil)
	select {
	case <-srv.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the loop")
	}
}
