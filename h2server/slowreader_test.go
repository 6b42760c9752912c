package h2server

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// Slow readers (CVE-2019-9517 in its plain form): a client opens many
// streams, each asking for a large response, grants large windows and
// never reads the socket. Once the kernel's socket buffers are full the
// server's writes block, and whatever its handlers queue meanwhile stays
// in the server's memory. These tests measure that memory per connection
// (heap in use after a GC, averaged over several connections) on each
// kind of connection.

// slowStreams is how many streams each slow reader opens.
const slowStreams = 100

// maxSlowReaderHeap bounds the heap one stalled slowStreams-stream
// connection may hold (issue 10: at most 1 MiB).
const maxSlowReaderHeap = 1 << 20

// slowHandlers are the handlers the slow readers ask: one Write of a
// shared 1 MiB slice, and http.ServeContent (io.Copy into the response
// writer, as file servers do).
var slowHandlers = []struct {
	name string
	h    http.Handler
}{
	{"write", bulkHandler},
	{"servecontent", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "bulk.bin", time.Time{}, bytes.NewReader(bulkBody))
	})},
}

// slowReader opens a connection that asks for slowStreams responses with
// 1 GiB windows and then never reads.
func slowReader(t testing.TB, addr string, useTLS bool) net.Conn {
	t.Helper()
	var nc net.Conn
	var err error
	d := &net.Dialer{Timeout: 5 * time.Second}
	if useTLS {
		nc, err = (&tls.Dialer{NetDialer: d, Config: clientTLSConfig()}).Dial("tcp", addr)
	} else {
		nc, err = d.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	const window = 1 << 30
	out := append([]byte(nil), frame.ClientPreface...)
	out = (&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: window}}}).Append(out)
	// The server's SETTINGS is always its first frame: acknowledged
	// without reading it (RFC 9113, Section 6.5.3).
	out = (&frame.Settings{Ack: true}).Append(out)
	out = (&frame.WindowUpdate{Increment: window - frame.DefaultInitialWindowSize}).Append(out)
	enc := hpack.NewEncoder()
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	for i := range slowStreams {
		fs := reqFields("GET", addr, "/")
		fs[1].Value = scheme
		block := enc.Encode(nil, fs)
		out = (&frame.Headers{StreamID: uint32(2*i + 1), EndHeaders: true, EndStream: true, BlockFragment: block}).Append(out)
	}
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(out); err != nil {
		nc.Close()
		t.Fatal(err)
	}
	return nc
}

// heapInUse is the heap in use after two GCs (the second empties the
// sync.Pools).
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// slowReaderCost opens n slow readers to addr, waits until the server
// stops growing its heap (its writes are blocked), and returns the heap
// each connection holds (both ends in this process: the client's part is
// a socket and nothing else).
func slowReaderCost(t testing.TB, addr string, useTLS bool, n int) float64 {
	t.Helper()
	base := heapInUse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		conns = append(conns, slowReader(t, addr, useTLS))
	}
	// The heap grows while the server fills the socket buffers and its
	// own queues; measure once it has stopped growing.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	last, stable := int64(0), 0
	for stable < 4 {
		select {
		case <-ctx.Done():
			t.Fatalf("the heap kept changing for 20s (last +%d bytes)", last-base)
		case <-time.After(100 * time.Millisecond):
		}
		h := heapInUse()
		if d := h - last; d < 16<<10 && d > -16<<10 {
			stable++
		} else {
			stable = 0
		}
		last = h
	}
	return float64(last-base) / float64(n)
}

// slowReaderServers are the servers measured: h2kit on each kind of
// connection, and Go's net/http HTTP/2 server for comparison.
var slowReaderServers = []struct {
	name  string
	tls   bool
	h2kit bool
	start func(testing.TB, http.Handler) string
}{
	{"raw", false, true, startH2kitH2C},
	{"wrapped", false, true, startH2kitWrapped},
	{"tls", true, true, startH2kitTLS},
	{"nethttp-h2c", false, false, startNetHTTPH2C},
	{"nethttp-tls", true, false, startNetHTTPTLS},
}

// startNetHTTPTLS serves h with net/http's own HTTP/2 server over TLS.
func startNetHTTPTLS(tb testing.TB, h http.Handler) string {
	l := testpeer.Listen(tb)
	hs := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(tb)}}}
	go hs.ServeTLS(l, "", "")
	tb.Cleanup(func() { hs.Close() })
	return l.Addr().String()
}

// TestSlowReaderMemory: slow readers with 100 streams of 1 MiB each, on
// a plain TCP connection, a wrapped one and TLS: each connection must
// hold at most maxSlowReaderHeap.
func TestSlowReaderMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory distorts the heap figures")
	}
	const n = 8
	for _, s := range slowReaderServers {
		if !s.h2kit {
			continue
		}
		for _, h := range slowHandlers {
			t.Run(s.name+"/"+h.name, func(t *testing.T) {
				addr := s.start(t, h.h)
				per := slowReaderCost(t, addr, s.tls, n)
				t.Logf("%.0f KiB per stalled %d-stream connection", per/1024, slowStreams)
				if per > maxSlowReaderHeap {
					t.Errorf("a stalled connection holds %.0f KiB, want at most %d KiB", per/1024, maxSlowReaderHeap>>10)
				}
			})
		}
	}
}

// BenchmarkSlowReaderMemory reports the heap one stalled slow reader
// (100 streams of 1 MiB, never read) holds, for h2kit on each kind of
// connection and for Go's net/http HTTP/2 server. Run it alone:
// -run '^$' -bench SlowReaderMemory -benchtime 3x.
func BenchmarkSlowReaderMemory(b *testing.B) {
	const n = 4
	for _, s := range slowReaderServers {
		for _, h := range slowHandlers {
			b.Run(fmt.Sprintf("%s/%s", s.name, h.name), func(b *testing.B) {
				addr := s.start(b, h.h)
				var sum float64
				for b.Loop() {
					sum += slowReaderCost(b, addr, s.tls, n)
					b.StopTimer()
					time.Sleep(200 * time.Millisecond) // the server notices the closes
					b.StartTimer()
				}
				b.ReportMetric(sum/float64(b.N), "B/conn")
			})
		}
	}
}
