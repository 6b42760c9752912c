//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference server of the benchmarks

package h2server

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"golang.org/x/net/http2"
)

// startXnetH2C serves h with golang.org/x/net/http2's server, prior
// knowledge only: the reference for the benchmarks.
func startXnetH2C(b testing.TB, h http.Handler) string {
	l := listen(b)
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
	l := listen(b)
	s := &Server{Handler: h}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

var benchServers = []struct {
	name  string
	start func(testing.TB, http.Handler) string
}{{"h2kit", startH2kitH2C}, {"xnet", startXnetH2C}}

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
			c := xnetH2C(b)
			url := "http://" + addr + "/"
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
			c := xnetH2C(b)
			url := "http://" + addr + "/"
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
