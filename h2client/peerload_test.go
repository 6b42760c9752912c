//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference peer of the tests

package h2client

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestPeerClientLoad is the client half of scripts/h2load-compare: it runs
// one client implementation against an external server and prints the
// client's CPU per request. It runs only when H2KIT_PEER_URL names the
// server (an h2c URL, e.g. nghttpd --no-tls); the script builds the test
// binary and runs it pinned to one core.
//
//	H2KIT_PEER_URL  the URL to GET (h2c)
//	H2KIT_PEER_IMPL h2client (default), xnet or nethttp
//	H2KIT_PEER_DUR  seconds to run (default 2)
//	H2KIT_PEER_M    concurrent streams on the one connection (default 100)
//
// Output, one line: "peerload IMPL REQUESTS SECONDS CPU_SECONDS CONNS".
// Every response must be 200 with a body read to its end; a failure fails
// the test, so the numbers always describe complete, successful requests.
func TestPeerClientLoad(t *testing.T) {
	url := os.Getenv("H2KIT_PEER_URL")
	if url == "" {
		t.Skip("H2KIT_PEER_URL not set (scripts/h2load-compare sets it)")
	}
	impl := envOr("H2KIT_PEER_IMPL", "h2client")
	dur := time.Duration(envInt(t, "H2KIT_PEER_DUR", 2)) * time.Second
	m := envInt(t, "H2KIT_PEER_M", 100)

	var dials atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	var rt http.RoundTripper
	switch impl {
	case "h2client":
		tr := &Transport{AllowHTTP: true, DialContext: dial}
		defer tr.CloseIdleConnections()
		rt = tr
	case "xnet":
		tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return dial(ctx, network, addr)
		}}
		defer tr.CloseIdleConnections()
		rt = tr
	case "nethttp":
		tr := &http.Transport{DialContext: dial, MaxConnsPerHost: 1, Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		defer tr.CloseIdleConnections()
		rt = tr
	default:
		t.Fatalf("H2KIT_PEER_IMPL=%q: want h2client, xnet or nethttp", impl)
	}

	// One request first, so that all m workers share the connection it
	// opened rather than racing to dial.
	// Each worker builds its request once and sends it again and again
	// (a RoundTripper must not change it), as h2load does: what is
	// measured is the transport, not net/url.
	get := func(req *http.Request, buf []byte) error {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.Discard, resp.Body, buf)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	newReq := func() *http.Request {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	if err := get(newReq(), make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}

	cpu0 := cpuTime()
	start := time.Now()
	// A timer ends the run: no clock reading per request in the workers.
	var stop atomic.Bool
	time.AfterFunc(dur, func() { stop.Store(true) })
	var done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, m)
	for range m {
		req := newReq()
		wg.Go(func() {
			buf := make([]byte, 4096)
			for !stop.Load() {
				if err := get(req, buf); err != nil {
					errc <- err
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu := cpuTime() - cpu0
	select {
	case err := <-errc:
		t.Fatalf("%s: %v", impl, err)
	default:
	}
	fmt.Printf("peerload %s %d %.3f %.4f %d\n", impl, done.Load(), secs, cpu.Seconds(), dials.Load())
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", k, v)
	}
	return n
}
