package h2client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// silentServer is a listener that accepts connections and never writes
// to them (nor reads: the client's preface sits in the socket buffers).
// accepted receives one value per connection accepted.
type silentServer struct {
	l        net.Listener
	accepted chan struct{}
	mu       sync.Mutex
	conns    []net.Conn
	done     chan struct{}
}

func startSilentServer(t *testing.T) *silentServer {
	s := &silentServer{l: testpeer.Listen(t), accepted: make(chan struct{}, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := s.l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			select {
			case s.accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *silentServer) addr() string { return s.l.Addr().String() }

func (s *silentServer) close() {
	s.l.Close()
	<-s.done
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
}

// waitAccepted waits for the server to accept a connection.
func (s *silentServer) waitAccepted(t *testing.T) {
	t.Helper()
	select {
	case <-s.accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the client never connected")
	}
}

// waitGoroutines waits until at most n goroutines run, for at most d,
// and fails the test (with their stacks) otherwise.
func waitGoroutines(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines after %v, want at most %d:\n%s", runtime.NumGoroutine(), d, n, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// roundTripAsync starts req on tr and returns the channel of its error.
func roundTripAsync(tr *Transport, req *http.Request) <-chan error {
	ch := make(chan error, 1)
	go func() {
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New("unexpected response " + resp.Status)
		}
		ch <- err
	}()
	return ch
}

func waitErr(t *testing.T, ch <-chan error, d time.Duration) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("the request still waits after %v", d)
		return nil
	}
}

// TestSilentServerSettingsTimeout: a server that accepts and never sends
// its SETTINGS fails the request after SettingsTimeout with an error
// saying the server stopped answering.
func TestSilentServerSettingsTimeout(t *testing.T) {
	s := startSilentServer(t)
	tr := &Transport{AllowHTTP: true, SettingsTimeout: 300 * time.Millisecond}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "http://"+s.addr()+"/", nil)
	err := waitErr(t, roundTripAsync(tr, req), 10*time.Second)
	wantSilentErr(t, err, true, s.addr(), "no SETTINGS within 300ms")
}

// TestSilentServerPing: with ReadIdleTimeout, a server that stays silent
// is found by an unanswered PING; the error says the server stopped
// answering, not "NO_ERROR".
func TestSilentServerPing(t *testing.T) {
	s := startSilentServer(t)
	tr := &Transport{AllowHTTP: true, ReadIdleTimeout: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "http://"+s.addr()+"/", nil)
	err := waitErr(t, roundTripAsync(tr, req), 10*time.Second)
	wantSilentErr(t, err, false, s.addr(), "PING not acknowledged within 200ms")
}

// TestSilentServerTLSHandshake: a TLS server that accepts and never
// answers the handshake fails the request after TLSHandshakeTimeout.
func TestSilentServerTLSHandshake(t *testing.T) {
	s := startSilentServer(t)
	tr := &Transport{TLSClientConfig: clientTLSConfig(t), TLSHandshakeTimeout: 300 * time.Millisecond}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+s.addr()+"/", nil)
	err := waitErr(t, roundTripAsync(tr, req), 10*time.Second)
	wantSilentErr(t, err, false, s.addr(), "TLS handshake")
}

// wantSilentErr checks that err is ErrServerSilent, says "stopped
// answering" and each of wants, and does not read NO_ERROR; with timeout,
// that it is also a net.Error timeout.
func wantSilentErr(t *testing.T, err error, timeout bool, wants ...string) {
	t.Helper()
	t.Logf("error: %v", err)
	msg := err.Error()
	for _, want := range append([]string{"stopped answering"}, wants...) {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "NO_ERROR") {
		t.Errorf("error %q reads NO_ERROR", msg)
	}
	if !errors.Is(err, ErrServerSilent) {
		t.Errorf("error %v is not ErrServerSilent", err)
	}
	if !timeout {
		return
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a net.Error timeout", err)
	}
}

// TestCloseIdleWhileWaitingForSettings: CloseIdleConnections ends a
// connection whose server never sent SETTINGS, at once (not after the
// SETTINGS timeout): the request waiting on it fails with an error that
// says so, and the connection's goroutines end. The same for a
// connection left with no request (its request gave up), and for a TLS
// connection still in its handshake.
func TestCloseIdleWhileWaitingForSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scheme   string
		cancel   bool // the request gives up before CloseIdleConnections
		wantText string
	}{
		{"request waiting", "http", false, "CloseIdleConnections"},
		{"idle", "http", true, ""},
		{"TLS handshake", "https", false, "CloseIdleConnections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSilentServer(t)
			base := runtime.NumGoroutine()
			// The timeouts are far longer than the waits below: only
			// CloseIdleConnections can end the connection in time.
			tr := &Transport{AllowHTTP: true, TLSClientConfig: clientTLSConfig(t), SettingsTimeout: time.Minute, TLSHandshakeTimeout: time.Minute}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", tc.scheme+"://"+s.addr()+"/", nil)
			ch := roundTripAsync(tr, req)
			s.waitAccepted(t)
			time.Sleep(50 * time.Millisecond) // the request reaches the connection
			if tc.cancel {
				cancel()
				if err := waitErr(t, ch, 5*time.Second); !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled request: %v", err)
				}
			}
			tr.CloseIdleConnections()
			if !tc.cancel {
				err := waitErr(t, ch, 5*time.Second)
				t.Logf("error: %v", err)
				if !strings.Contains(err.Error(), tc.wantText) {
					t.Errorf("error %q lacks %q", err, tc.wantText)
				}
			}
			waitGoroutines(t, base, 5*time.Second)
		})
	}
}
