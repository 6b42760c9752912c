//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference client of the tests

package h2server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
)

// Many concurrent bulk responses on one connection, over every kind of
// connection the server treats differently: a plain *net.TCPConn (which
// connloop reads and writes with system calls of its own, and writes on
// the owner goroutine when the socket takes a whole batch at once),
// another net.Conn type (written by a writer goroutine), and TLS. A lost
// wake-up in the write path shows here as a response that crawls at one
// batch per timer tick: the tests are bounded by a context and fail on
// its deadline, they do not time anything.

// bulkSize is the size of each bulk response.
const bulkSize = 1 << 20

// bulkBody is the response every bulk handler writes, one shared slice.
var bulkBody = func() []byte {
	b := make([]byte, bulkSize)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

// bulkHandler writes bulkBody in one Write.
var bulkHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", strconv.Itoa(len(bulkBody)))
	w.Write(bulkBody)
})

// wrappedConn is a net.Conn of a type connloop does not know: it cannot
// take the raw-socket path.
type wrappedConn struct{ net.Conn }

// CloseWrite lets the server half-close before its linger, as it does on
// a TCP connection.
func (c wrappedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// wrapListener hands out its connections as wrappedConn.
type wrapListener struct{ net.Listener }

func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return wrappedConn{c}, nil
}

// connKind is one way to serve a connection, with a client for it.
type connKind struct {
	name   string
	scheme string
	// start serves h and returns the address.
	start func(t testing.TB, h http.Handler, s *Server) string
	// client returns an x/net HTTP/2 client that opens one connection.
	client func(t testing.TB) *http2.Transport
}

// dial opens a connection for a raw client: TLS with ALPN h2 for the
// https kinds, prior knowledge otherwise.
func (k connKind) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	if k.scheme == "https" {
		td := tls.Dialer{NetDialer: &d, Config: clientTLSConfig()}
		return td.DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

// startServe serves h with Serve on a plain listener: prior knowledge,
// raw *net.TCPConn.
func startServe(t testing.TB, h http.Handler, s *Server) string {
	if s == nil {
		s = new(Server)
	}
	s.Handler = h
	l := testpeer.Listen(t)
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// startWrapped serves h with Serve on a listener whose connections are
// wrappedConn.
func startWrapped(t testing.TB, h http.Handler, s *Server) string {
	if s == nil {
		s = new(Server)
	}
	s.Handler = h
	l := testpeer.Listen(t)
	go s.Serve(wrapListener{l})
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

func xnetH2CTransport(testing.TB) *http2.Transport {
	return &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

func xnetTLSTransport(t testing.TB) *http2.Transport {
	selfSigned(t)
	return &http2.Transport{TLSClientConfig: clientTLSConfig()}
}

var connKinds = []connKind{
	{"raw-h2c", "http", startH2C, xnetH2CTransport},
	{"raw-serve", "http", startServe, xnetH2CTransport},
	{"wrapped", "http", startWrapped, xnetH2CTransport},
	{"tls", "https", startTLS, xnetTLSTransport},
}

// getBulk fetches n bulk responses at once on tr and checks each.
func getBulk(ctx context.Context, tr http.RoundTripper, url string, n int) error {
	errs := make(chan error, n)
	for range n {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			res, err := tr.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			defer res.Body.Close()
			got, err := io.Copy(io.Discard, res.Body)
			switch {
			case err != nil:
				errs <- err
			case res.StatusCode != 200 || got != bulkSize:
				errs <- fmt.Errorf("status %d, %d bytes, want 200 and %d", res.StatusCode, got, bulkSize)
			default:
				errs <- nil
			}
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// bigWindowBulk fetches n bulk responses at once on one connection with
// an h2kit client engine that opens 1 GiB windows (as h2load does) and
// so never sends WINDOW_UPDATE while they come: the server gets nothing
// to read that would wake it.
func bigWindowBulk(ctx context.Context, k connKind, addr string, n int) error {
	nc, err := k.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	eng := h2kit.NewConn(h2kit.Config{
		Role:             h2kit.Client,
		Settings:         h2kit.Settings{InitialWindowSize: 1 << 30},
		ConnectionWindow: 1 << 30,
	}, time.Now())
	got := make(map[uint32]int, n)
	for range n {
		fs := reqFields("GET", addr, "/")
		fs[1].Value = k.scheme
		id, err := eng.SendRequest(fs, true)
		if err != nil {
			return err
		}
		got[id] = 0
	}
	var out []byte
	in := make([]byte, 64<<10)
	for left := n; left > 0; {
		for eng.WantWrite() {
			out = eng.AppendOutgoing(out[:0])
			if _, err := nc.Write(out); err != nil {
				return err
			}
		}
		m, err := nc.Read(in)
		if err != nil {
			return fmt.Errorf("%d of %d responses incomplete: %w", left, n, err)
		}
		eng.Receive(in[:m], time.Now())
		for ev := eng.NextEvent(); ev != nil; ev = eng.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.ResponseReceived:
				if s := field(e.Fields, ":status"); s != "200" {
					return fmt.Errorf("stream %d: status %s", e.StreamID, s)
				}
			case *h2kit.DataReceived:
				// No ConsumeData: the windows are large enough.
				got[e.StreamID] += len(e.Data)
				if e.EndStream {
					if got[e.StreamID] != bulkSize {
						return fmt.Errorf("stream %d: %d bytes, want %d", e.StreamID, got[e.StreamID], bulkSize)
					}
					left--
				}
			case *h2kit.StreamReset:
				return fmt.Errorf("stream %d reset: %v", e.StreamID, e.Code)
			case *h2kit.ConnectionTerminated:
				return fmt.Errorf("connection terminated: %v", e.Err)
			}
		}
	}
	return nil
}

// TestBulkConcurrentStreams: several connections, each with 100 streams
// at once fetching 1 MiB, on every kind of connection, with
// golang.org/x/net's client and with a client that opens large windows
// (no WINDOW_UPDATE comes back while the responses flow). Before the lost
// wake-up was fixed, a plain TCP connection with the second client moved
// one 256 KiB batch per second once the socket took batches whole.
func TestBulkConcurrentStreams(t *testing.T) {
	conns, streams := 3, 100
	switch {
	case testing.Short():
		conns, streams = 1, 50
	case raceEnabled:
		// Still 100 concurrent 1 MiB streams per connection, on fewer
		// connections: 2.4 GB through the race detector took minutes.
		conns = 1
	}
	for _, k := range connKinds {
		t.Run(k.name, func(t *testing.T) {
			addr := k.start(t, bulkHandler, nil)
			url := k.scheme + "://" + addr + "/"
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make([]error, 2*conns)
			for i := range conns {
				tr := k.client(t)
				t.Cleanup(tr.CloseIdleConnections)
				wg.Go(func() { errs[i] = getBulk(ctx, tr, url, streams) })
				wg.Go(func() { errs[conns+i] = bigWindowBulk(ctx, k, addr, streams) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
						t.Errorf("client %d: %d x %d bytes not done in time: %v", i, streams, bulkSize, err)
					} else {
						t.Errorf("client %d: %v", i, err)
					}
				}
			}
		})
	}
}

// TestH2loadBulk: h2load -c1 -m100 -n 500 for 1 MiB responses, on every
// kind of connection; every request must complete within the bound.
func TestH2loadBulk(t *testing.T) {
	bin := testpeer.Path(t, "h2load")
	n := 500
	if testing.Short() {
		n = 100
	}
	for _, k := range connKinds {
		t.Run(k.name, func(t *testing.T) {
			url := k.scheme + "://" + k.start(t, bulkHandler, nil) + "/"
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{"-c1", "-m100", "-n", strconv.Itoa(n), "-T", "50", url}
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("h2load %v did not finish in time:\n%s", args, out)
			}
			if err != nil {
				t.Fatalf("h2load %v: %v\n%s", args, err, out)
			}
			m := h2loadRequests.FindSubmatch(out)
			if m == nil {
				t.Fatalf("h2load output has no requests line:\n%s", out)
			}
			if done, _ := strconv.Atoi(string(m[4])); done != n {
				t.Errorf("h2load: %s, want %d succeeded\n%s", m[0], n, out)
			}
			t.Logf("%s; %s", m[0], firstMatch(out, `finished in [^\n]*`))
		})
	}
}
