//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference server of the benchmarks

package h2server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
)

// startXnetH2C serves h with golang.org/x/net/http2's server, prior
// knowledge only: the reference for the benchmarks.
func startXnetH2C(b testing.TB, h http.Handler) string {
	l := testpeer.Listen(b)
	srv := &http2.Server{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(c, &http2.ServeConnOpts{Handler: h})
		}
	}()
	b.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

func startH2kitH2C(b testing.TB, h http.Handler) string {
	l := testpeer.Listen(b)
	s := &Server{Handler: h}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// startH2kitWrapped serves h with Serve on a listener whose connections
// are of a type of their own (wrappedConn): the writer-goroutine path.
func startH2kitWrapped(b testing.TB, h http.Handler) string { return startWrapped(b, h, nil) }

// startH2kitTLS serves h over TLS (ConfigureServer).
func startH2kitTLS(b testing.TB, h http.Handler) string { return startTLS(b, h, nil) }

// benchServers are the servers every benchmark runs against, with the
// client that speaks to each: h2kit on a plain *net.TCPConn (connloop
// reads and writes the socket itself), on a wrapped connection and over
// TLS (a writer goroutine per batch), and x/net's server.
var benchServers = []struct {
	name   string
	scheme string
	start  func(testing.TB, http.Handler) string
	client func(testing.TB) *http.Client
}{
	{"h2kit", "http", startH2kitH2C, xnetH2C},
	{"h2kit-wrapped", "http", startH2kitWrapped, xnetH2C},
	{"h2kit-tls", "https", startH2kitTLS, xnetTLS},
	{"xnet", "http", startXnetH2C, xnetH2C},
}

// BenchmarkGet: small GETs on one connection, in parallel.
func BenchmarkGet(b *testing.B) {
	body := []byte("hello, world\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b, h)
			c := s.client(b)
			url := s.scheme + "://" + addr + "/"
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := c.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
		})
	}
}

// BenchmarkEcho64K: 64 KiB POST echoed back.
func BenchmarkEcho64K(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 64<<10)
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b, http.HandlerFunc(echoHandler))
			c := s.client(b)
			url := s.scheme + "://" + addr + "/"
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := c.Post(url, "application/octet-stream", bytes.NewReader(payload))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
		})
	}
}

// BenchmarkBulk1MiB: 1 MiB responses, one at a time on one connection:
// single-stream throughput.
func BenchmarkBulk1MiB(b *testing.B) {
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			url := s.scheme + "://" + s.start(b, bulkHandler) + "/"
			c := s.client(b)
			b.SetBytes(bulkSize)
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || n != bulkSize {
					b.Fatalf("%d bytes, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkBulkConcurrent: 100 responses of 1 MiB at once on one
// connection per iteration, fetched by a client that opens large windows
// (no WINDOW_UPDATE while they flow; see bigWindowBulk).
func BenchmarkBulkConcurrent(b *testing.B) {
	const streams = 100
	for _, k := range connKinds {
		b.Run(k.name, func(b *testing.B) {
			addr := k.start(b, bulkHandler, nil)
			b.SetBytes(streams * bulkSize)
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := bigWindowBulk(ctx, k, addr, streams)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
