package h2client

import (
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// connCounter counts the distinct connections requests got.
type connCounter struct {
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func (c *connCounter) trace(req *http.Request) *http.Request {
	tr := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		c.mu.Lock()
		if c.conns == nil {
			c.conns = make(map[net.Conn]bool)
		}
		c.conns[info.Conn] = true
		c.mu.Unlock()
	}}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), tr))
}

func (c *connCounter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

// get50 runs n requests to /gate at once, opens the gate once all are in
// the handler, and returns how many connections carried them.
func runGated(t *testing.T, tr *Transport, th *testHandler, base string, n int, wantInFlight int32) int {
	t.Helper()
	var cc connCounter
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/gate", nil)
			resp, err := client(tr).Do(cc.trace(req))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "open" {
				errs <- err
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for th.inFlight.Load() < wantInFlight && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := th.inFlight.Load()
	close(th.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got < wantInFlight {
		t.Fatalf("%d handlers in flight at once, want %d", got, wantInFlight)
	}
	return cc.n()
}

// TestConcurrentOneConn: 50 requests overlap on one connection.
func TestConcurrentOneConn(t *testing.T) {
	th := newTestHandler()
	for name, base := range map[string]string{"h2server": startH2Server(t, th, nil)} {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			if n := runGated(t, tr, th, base, 50, 50); n != 1 {
				t.Fatalf("%d connections, want 1", n)
			}
			t.Logf("max handlers in flight: %d", th.maxInFlight.Load())
		})
	}
}

// TestMaxConcurrentStreams: beyond the server's limit, requests open
// more connections, or wait with StrictMaxConcurrentStreams.
func TestMaxConcurrentStreams(t *testing.T) {
	t.Run("more-conns", func(t *testing.T) {
		th := newTestHandler()
		base := startH2Server(t, th, &h2server.Server{MaxConcurrentStreams: 5})
		tr := newTransport(t)
		// Make the first connection learn the limit before the burst.
		if resp, err := client(tr).Get(base + "/hello"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		} else {
			t.Fatal(err)
		}
		if n := runGated(t, tr, th, base, 20, 20); n != 4 {
			t.Fatalf("%d connections, want 4", n)
		}
	})
	t.Run("strict", func(t *testing.T) {
		th := newTestHandler()
		base := startH2Server(t, th, &h2server.Server{MaxConcurrentStreams: 5})
		tr := newTransport(t)
		tr.StrictMaxConcurrentStreams = true
		var cc connCounter
		var wg sync.WaitGroup
		var fails atomic.Int32
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("GET", base+"/wait?ms=20", nil)
				resp, err := client(tr).Do(cc.trace(req))
				if err != nil {
					t.Error(err)
					fails.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		wg.Wait()
		if n := cc.n(); n != 1 {
			t.Fatalf("%d connections, want 1", n)
		}
		if m := th.maxInFlight.Load(); m > 5 {
			t.Fatalf("%d requests in flight, server allows 5", m)
		}
	})
}

// TestIdleConnTimeout: an idle connection closes; the next request opens
// a new one.
func TestIdleConnTimeout(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	tr := newTransport(t)
	tr.IdleConnTimeout = 50 * time.Millisecond
	var cc connCounter
	for range 2 {
		req, _ := http.NewRequest("GET", base+"/hello", nil)
		resp, err := client(tr).Do(cc.trace(req))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(200 * time.Millisecond)
	}
	if n := cc.n(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	if n := len(tr.getPool().connsFor(poolKey(base))); n != 0 {
		t.Fatalf("%d connections left in the pool", n)
	}
}

// TestGracefulShutdownReplaced: after the server's GOAWAY, requests go
// to a new connection.
func TestGoAwayReplaced(t *testing.T) {
	th := newTestHandler()
	s := &h2server.Server{}
	l := testpeer.Listen(t)
	go s.Serve(tlsListener(t, l))
	base := "https://" + l.Addr().String()
	tr := newTransport(t)
	get := func() {
		resp, err := client(tr).Get(base + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.Handler = th
	get()
	conns := tr.getPool().connsFor(poolKey("https://" + l.Addr().String()))
	if len(conns) != 1 {
		t.Fatalf("%d conns", len(conns))
	}
	// Shut the server's connections down (the listener too), then serve
	// again on the same address with a new server.
	go s.Shutdown(t.Context())
	deadline := time.Now().Add(5 * time.Second)
	for len(tr.getPool().connsFor(poolKey("https://"+l.Addr().String()))) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(tr.getPool().connsFor(poolKey("https://" + l.Addr().String()))); n != 0 {
		t.Fatalf("connection still pooled after GOAWAY")
	}
	l2, err := net.Listen("tcp", l.Addr().String())
	if err != nil {
		t.Skip("cannot listen again on the same port:", err)
	}
	s2 := &h2server.Server{Handler: th}
	go s2.Serve(tlsListener(t, l2))
	t.Cleanup(func() { s2.Close() })
	get()
}

// TestPendingOpen: when the pool believes a connection has room but the
// engine is at the server's limit, requests wait on that connection
// (StrictMaxConcurrentStreams) and open as streams end, in order.
func TestPendingOpen(t *testing.T) {
	var active, maxActive atomic.Int32
	s := startRawServer(t, h2kit.Config{Settings: h2kit.Settings{MaxConcurrentStreams: 1}}, func(c *rawConn, id uint32, fields []hpack.Field) {
		if n := active.Add(1); n > maxActive.Load() {
			maxActive.Store(n)
		}
		c.respond(id, "200", "ok")
		active.Add(-1)
	})
	tr := newTransport(t)
	tr.AllowHTTP = true
	tr.StrictMaxConcurrentStreams = true // wait on the connection
	getBody(t, client(tr), s.url()+"/")  // learn the limit
	conns := tr.getPool().connsFor(poolKey(s.url()))
	if len(conns) != 1 {
		t.Fatalf("%d conns", len(conns))
	}
	p := tr.getPool()
	p.mu.Lock()
	conns[0].maxStreams = 100 // stale: as if SETTINGS were still on their way
	p.mu.Unlock()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, body := getBody(t, client(tr), s.url()+"/"); body != "ok" {
				t.Error(body)
			}
		}()
	}
	wg.Wait()
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d connections", n)
	}
}
