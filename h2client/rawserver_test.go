package h2client

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// rawServer is an h2c server made of the bare engine, for behaviours no
// real server shows on demand (refusing streams, GOAWAY mid-flight,
// going silent). Each connection runs on one goroutine: read, Receive,
// handle events, write.
type rawServer struct {
	t     testing.TB
	l     net.Listener
	cfg   h2kit.Config
	conns atomic.Int32
	// onRequest handles a request on connection number conn (from 1);
	// it uses the engine freely.
	onRequest func(s *rawConn, id uint32, fields []hpack.Field)
	mu        sync.Mutex
	live      []net.Conn
}

// rawConn is one connection of a rawServer.
type rawConn struct {
	n      int
	eng    *h2kit.Conn
	nc     net.Conn
	silent bool // stop answering anything (a dead peer)
}

// respond sends a complete small response.
func (c *rawConn) respond(id uint32, status, body string) {
	c.eng.SendHeaders(id, []hpack.Field{{Name: ":status", Value: status}}, body == "")
	if body != "" {
		c.eng.SendData(id, []byte(body), true)
	}
}

func startRawServer(t testing.TB, cfg h2kit.Config, onRequest func(c *rawConn, id uint32, fields []hpack.Field)) *rawServer {
	cfg.Role = h2kit.Server
	s := &rawServer{t: t, l: testpeer.Listen(t), cfg: cfg, onRequest: onRequest}
	go s.serve()
	t.Cleanup(func() {
		s.l.Close()
		s.mu.Lock()
		for _, c := range s.live {
			c.Close()
		}
		s.mu.Unlock()
	})
	return s
}

func (s *rawServer) url() string { return "http://" + s.l.Addr().String() }

func (s *rawServer) serve() {
	for {
		nc, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.live = append(s.live, nc)
		s.mu.Unlock()
		c := &rawConn{n: int(s.conns.Add(1)), eng: h2kit.NewConn(s.cfg, time.Now()), nc: nc}
		go s.run(c)
	}
}

func (s *rawServer) run(c *rawConn) {
	defer c.nc.Close()
	buf := make([]byte, 64<<10)
	var out []byte
	flush := func() bool {
		if c.silent {
			return true
		}
		out = c.eng.AppendOutgoing(out[:0])
		if len(out) > 0 {
			if _, err := c.nc.Write(out); err != nil {
				return false
			}
		}
		return true
	}
	if !flush() {
		return
	}
	for {
		n, err := c.nc.Read(buf)
		if n > 0 && !c.silent {
			c.eng.Receive(buf[:n], time.Now())
			for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
				switch e := ev.(type) {
				case *h2kit.RequestReceived:
					fields := append([]hpack.Field(nil), e.Fields...)
					for i := range fields {
						fields[i].Name = string([]byte(fields[i].Name))
						fields[i].Value = string([]byte(fields[i].Value))
					}
					s.onRequest(c, e.StreamID, fields)
				case *h2kit.DataReceived:
					c.eng.ConsumeData(e.StreamID, len(e.Data))
				}
			}
			if !flush() {
				return
			}
			if c.eng.Done() {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
