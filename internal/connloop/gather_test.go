package connloop

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// bodyServer answers every request with body, from the owner goroutine.
type bodyServer struct {
	l    *Loop
	body []byte
	left map[uint32][]byte
}

func (s *bodyServer) Event(ev h2kit.Event) {
	eng := s.l.Engine()
	switch e := ev.(type) {
	case *h2kit.RequestReceived:
		eng.SendHeaders(e.StreamID, []hpack.Field{{Name: ":status", Value: "200"}}, false)
		s.left[e.StreamID] = s.body
		s.send(eng, e.StreamID)
	case *h2kit.WindowUpdated:
		for id := range s.left {
			s.send(eng, id)
		}
	}
}

func (s *bodyServer) send(eng *h2kit.Conn, id uint32) {
	b := s.left[id]
	n, _ := eng.SendData(id, b, true)
	if n == len(b) {
		delete(s.left, id)
	} else {
		s.left[id] = b[n:]
	}
}

func (s *bodyServer) Wake()               {}
func (s *bodyServer) Written()            {}
func (s *bodyServer) Deadline() time.Time { return time.Time{} }
func (s *bodyServer) Timer(time.Time)     {}
func (s *bodyServer) Closed(error)        {}

// TestLoopGatherSlowPeer: on a plain socket the loop writes DATA payloads
// from the engine's send buffers with gathering writes (writev). A peer
// that reads only after a pause, through small socket buffers, makes the
// owner's non-blocking write stop part way and the writer goroutine
// write the rest, again and again; the streams' bodies still arrive
// whole and in order (RFC 9113, Section 6.1), and their buffers are not
// reused while a write holds them.
//
// With small batches the owner's non-blocking write starts each batch and
// stops part way; with large ones the writer goroutine writes them whole.
func TestLoopGatherSlowPeer(t *testing.T) {
	for _, batch := range []int{40000, 0} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) { testGatherSlowPeer(t, batch) })
	}
}

func testGatherSlowPeer(t *testing.T, batch int) {
	cc, sc := tcpPair(t)
	cc.(*net.TCPConn).SetReadBuffer(16 << 10)
	sc.(*net.TCPConn).SetWriteBuffer(16 << 10)
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(i*7 + i>>16)
	}
	now := time.Now()
	srv := &bodyServer{body: body, left: map[uint32][]byte{}}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server, Limits: h2kit.Limits{MaxStreamSendBuffer: 20000}}, now), srv, Options{LingerTimeout: -1, MaxWriteBatch: batch})
	go srv.l.Run()
	defer func() {
		cc.Close() // a write the client left waiting fails
		srv.l.Close(nil)
		select {
		case <-srv.l.Done():
		case <-time.After(10 * time.Second):
			t.Error("the server's loop did not end")
		}
	}()

	// The client: an engine driven by hand over the socket, with windows
	// that let the server send everything at once.
	cl := h2kit.NewConn(h2kit.Config{Role: h2kit.Client, ConnectionWindow: 4 << 20,
		Settings: h2kit.Settings{InitialWindowSize: 256 << 10}}, now)
	req := []hpack.Field{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"}}
	got := map[uint32][]byte{}
	send := func(n int) {
		for range n {
			id, err := cl.SendRequest(req, true)
			if err != nil {
				t.Fatal(err)
			}
			got[id] = nil
		}
		if _, err := cc.Write(cl.AppendOutgoing(nil)); err != nil {
			t.Fatal(err)
		}
	}
	send(3)
	time.Sleep(200 * time.Millisecond) // the server's socket fills up
	// While the server's writer waits with a batch, a new stream's
	// SendData must not take a buffer that batch still writes from.
	send(1)
	time.Sleep(100 * time.Millisecond)
	streams := len(got)
	cc.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 32<<10)
	for ended := 0; ended < streams; {
		n, err := cc.Read(buf)
		if err != nil && err != io.EOF {
			t.Fatalf("read: %v (%d streams done)", err, ended)
		}
		cl.Receive(buf[:n], time.Now())
		for ev := cl.NextEvent(); ev != nil; ev = cl.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.DataReceived:
				got[e.StreamID] = append(got[e.StreamID], e.Data...)
				cl.ConsumeData(e.StreamID, len(e.Data))
				if e.EndStream {
					ended++
				}
			case *h2kit.ConnectionTerminated:
				t.Fatalf("connection ended: %v", cl.Err())
			}
		}
		if cl.WantWrite() {
			if _, err := cc.Write(cl.AppendOutgoing(nil)); err != nil {
				t.Fatal(err)
			}
		}
		if err == io.EOF {
			t.Fatal("server closed")
		}
	}
	for id, b := range got {
		if !bytes.Equal(b, body) {
			t.Errorf("stream %d: %d bytes, differing from the body sent", id, len(b))
		}
	}
}
