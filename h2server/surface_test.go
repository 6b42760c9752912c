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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// The net/http server surface for HTTP/2 connections: ReadTimeout,
// ConnState, BaseContext and ConnContext, and 431 for a header list past
// the limit. Each over real sockets, on TLS (ConfigureServer, as
// net/http hands h2 connections over) and on h2c (ServeH2C).

// serveBoth starts hs (configured by the test) with s over TLS and over
// h2c and returns the two addresses.
func serveBoth(t *testing.T, newHS func() *http.Server, s func() *Server) (tlsAddr, h2cAddr string) {
	t.Helper()
	hs := newHS()
	hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	srv := s()
	if err := ConfigureServer(hs, srv); err != nil {
		t.Fatal(err)
	}
	l := testpeer.Listen(t)
	go hs.ServeTLS(l, "", "")
	hs2 := newHS()
	srv2 := s()
	l2 := testpeer.Listen(t)
	go srv2.ServeH2C(l2, hs2)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		srv2.Close()
		hs2.Close()
	})
	return l.Addr().String(), l2.Addr().String()
}

func forBoth(t *testing.T, tlsAddr, h2cAddr string, f func(t *testing.T, addr string, tlsOn bool)) {
	t.Run("tls", func(t *testing.T) { f(t, tlsAddr, true) })
	t.Run("h2c", func(t *testing.T) { f(t, h2cAddr, false) })
}

// TestReadTimeout: http.Server.ReadTimeout bounds a request body's
// reads, counted from the request's arrival, as net/http's HTTP/2
// applies it: a body that stops coming fails the handler's Read with an
// error wrapping os.ErrDeadlineExceeded; the bytes that came are read
// first.
func TestReadTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	type result struct {
		body    string
		err     error
		elapsed time.Duration
	}
	results := make(chan result, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b, err := io.ReadAll(r.Body)
		results <- result{string(b), err, time.Since(start)}
		w.WriteHeader(http.StatusRequestTimeout)
	})
	tlsAddr, h2cAddr := serveBoth(t, func() *http.Server { return &http.Server{Handler: h, ReadTimeout: timeout} },
		func() *Server { return &Server{} })
	forBoth(t, tlsAddr, h2cAddr, func(t *testing.T, addr string, tlsOn bool) {
		c := dialWSRaw(t, addr, tlsOn)
		c.headers(1, false, ":method", "POST", ":scheme", "https", ":path", "/upload", ":authority", "a")
		c.data(1, "abc", false)
		var r result
		select {
		case r = <-results:
		case <-time.After(10 * time.Second):
			t.Fatal("the handler's Read is still blocked")
		}
		if r.body != "abc" || !errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Fatalf("handler read %q, %v", r.body, r.err)
		}
		if r.elapsed < timeout-50*time.Millisecond || r.elapsed > timeout+2*time.Second {
			t.Fatalf("Read failed after %v, ReadTimeout %v", r.elapsed, timeout)
		}
		if f, fs := c.next(1); field(fs, ":status") != "408" {
			t.Fatalf("response %T %v", f, fs)
		}
	})
}

// connStates records the ConnState transitions of each connection.
type connStates struct {
	mu sync.Mutex
	m  map[string][]http.ConnState // by the client's address
}

func (cs *connStates) hook(c net.Conn, s http.ConnState) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string][]http.ConnState{}
	}
	k := c.RemoteAddr().String()
	cs.m[k] = append(cs.m[k], s)
}

// wait waits until the states of the connection from local are want.
func (cs *connStates) wait(t *testing.T, local string, want []http.ConnState) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cs.mu.Lock()
		got := slices.Clone(cs.m[local])
		cs.mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ConnState %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConnState: an HTTP/2 connection goes through StateNew, then
// StateActive and StateIdle at its start, StateActive while a request
// is open and StateIdle after it, and StateClosed, as net/http reports
// them for its own HTTP/2 connections (its bundled server is the
// reference here: the same client against it sees the same sequence
// over TLS).
func TestConnState(t *testing.T) {
	var cs connStates
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	newHS := func() *http.Server { return &http.Server{Handler: h, ConnState: cs.hook} }
	tlsAddr, h2cAddr := serveBoth(t, newHS, func() *Server { return &Server{} })
	want := []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateIdle}
	run := func(t *testing.T, addr string, tlsOn bool) {
		c := dialWSRaw(t, addr, tlsOn)
		local := c.nc.LocalAddr().String()
		cs.wait(t, local, want[:3])
		c.headers(1, true, ":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a")
		for {
			if f, _ := c.next(1); f.(interface{ FrameHeader() frame.Header }).FrameHeader().Flags.Has(frame.FlagEndStream) {
				break
			}
		}
		cs.wait(t, local, want)
		c.nc.Close()
		cs.wait(t, local, append(want, http.StateClosed))
	}
	forBoth(t, tlsAddr, h2cAddr, run)
	t.Run("net/http reference", func(t *testing.T) {
		hs := newHS()
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
		l := testpeer.Listen(t)
		go hs.ServeTLS(l, "", "")
		t.Cleanup(func() { hs.Close() })
		run(t, l.Addr().String(), true)
	})
}

type hookKey string

// TestConnContextBaseContext: a request's context derives from the
// http.Server's BaseContext (called with the listener) and ConnContext
// (called with the connection), as for net/http's own connections; on
// the TLS path they reach h2server through net/http's TLSNextProto
// handler, on h2c ServeH2C calls them.
func TestConnContextBaseContext(t *testing.T) {
	got := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- fmt.Sprintf("%v %v %v", r.Context().Value(hookKey("base")), r.Context().Value(hookKey("conn")) != nil,
			r.Context().Value(http.ServerContextKey) != nil)
	})
	newHS := func() *http.Server {
		return &http.Server{Handler: h,
			BaseContext: func(l net.Listener) context.Context {
				return context.WithValue(context.Background(), hookKey("base"), "base-of-"+l.Addr().Network())
			},
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, hookKey("conn"), c.RemoteAddr().String())
			}}
	}
	tlsAddr, h2cAddr := serveBoth(t, newHS, func() *Server { return &Server{} })
	forBoth(t, tlsAddr, h2cAddr, func(t *testing.T, addr string, tlsOn bool) {
		c := dialWSRaw(t, addr, tlsOn)
		c.headers(1, true, ":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a")
		select {
		case g := <-got:
			if g != "base-of-tcp true true" {
				t.Fatalf("request context: %s", g)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no request")
		}
	})
}

// TestRequestHeaderFieldsTooLarge: a request whose header list exceeds
// MaxHeaderListSize is answered 431 Request Header Fields Too Large
// (RFC 6585, Section 5) without reaching the handler, not reset; with a
// body still coming the 431 is followed by RST_STREAM NO_ERROR (RFC
// 9113, Section 8.1); the connection and its HPACK state go on.
func TestRequestHeaderFieldsTooLarge(t *testing.T) {
	var calls sync.Map
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Store(r.URL.Path, true)
		io.WriteString(w, "ok")
	})
	tlsAddr, h2cAddr := serveBoth(t, func() *http.Server { return &http.Server{Handler: h} },
		func() *Server { return &Server{MaxHeaderListSize: 4096} })
	forBoth(t, tlsAddr, h2cAddr, func(t *testing.T, addr string, tlsOn bool) {
		c := dialWSRaw(t, addr, tlsOn)
		if c.peer[frame.SettingMaxHeaderListSize] != 4096 {
			t.Fatalf("SETTINGS %v", c.peer)
		}
		big := strings.Repeat("x", 6000)
		c.headers(1, true, ":method", "GET", ":scheme", "https", ":path", "/big", ":authority", "a", "x-indexed", "kept", "x-big", big)
		f, fs := c.next(1)
		if hf, ok := f.(*frame.Headers); !ok || !hf.EndStream || field(fs, ":status") != "431" {
			t.Fatalf("response %T %+v %v", f, f, fs)
		}
		c.headers(3, false, ":method", "POST", ":scheme", "https", ":path", "/bigpost", ":authority", "a", "x-big", big)
		c.data(3, "body", false)
		if f, fs := c.next(3); field(fs, ":status") != "431" {
			t.Fatalf("response %T %v", f, fs)
		}
		c.wantRST(3, frame.ErrCodeNo)
		// HPACK is still in sync (x-indexed went into the table with the
		// refused request), and the connection serves on.
		c.headers(5, true, ":method", "GET", ":scheme", "https", ":path", "/small", ":authority", "a", "x-indexed", "kept")
		if f, fs := c.next(5); field(fs, ":status") != "200" {
			t.Fatalf("response %T %v", f, fs)
		}
		for _, p := range []string{"/big", "/bigpost"} {
			if _, ok := calls.Load(p); ok {
				t.Fatalf("the handler saw %s", p)
			}
		}
	})
}

// TestConnStateUpgrade: an h2c Upgrade (RFC 7540, Section 3.2) starts as
// net/http's HTTP/1.1 connection (StateNew, StateActive, then
// StateHijacked when h2server takes it over); h2server goes on with
// StateActive while stream 1 is open, StateIdle after it, and reports
// StateClosed at the end, which net/http does not for a hijacked
// connection. The request's context keeps what BaseContext and
// ConnContext put in the HTTP/1.1 request's.
func TestConnStateUpgrade(t *testing.T) {
	var cs connStates
	values := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values <- fmt.Sprintf("%v %v", r.Context().Value(hookKey("base")), r.Context().Value(hookKey("conn")) != nil)
		io.WriteString(w, "ok")
	})
	hs := &http.Server{Handler: h, ConnState: cs.hook,
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), hookKey("base"), "base")
		},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, hookKey("conn"), c.RemoteAddr().String())
		}}
	s := &Server{}
	l := testpeer.Listen(t)
	go s.ServeH2C(l, hs)
	t.Cleanup(func() { s.Close(); hs.Close() })

	c, _, body := upgrade(t, l.Addr().String(), "GET", "")
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
	if v := <-values; v != "base true" {
		t.Fatalf("request context: %s", v)
	}
	local := c.nc.LocalAddr().String()
	want := []http.ConnState{http.StateNew, http.StateActive, http.StateHijacked, http.StateActive, http.StateIdle}
	cs.wait(t, local, want)
	c.nc.Close()
	cs.wait(t, local, append(want, http.StateClosed))
}
