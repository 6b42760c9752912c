//lint:file-ignore SA1019 golang.org/x/net/http2 (and its h2c) is the reference peer of the tests

package h2client

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/internal/testpeer"
	"github.com/h2kit/h2kit/internal/testpki"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// selfSigned returns the tests' certificate for 127.0.0.1 and localhost.
func selfSigned(testing.TB) tls.Certificate { return testpki.Localhost().TLS }

// certFiles writes the test certificate and key to dir, for external peers.
func certFiles(t testing.TB, dir string) (certFile, keyFile string) {
	certFile, keyFile, err := testpki.Localhost().WriteFiles(dir, "cert")
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func clientTLSConfig(testing.TB) *tls.Config {
	return &tls.Config{RootCAs: testpki.Localhost().Pool()}
}

// newTransport returns a Transport trusting the test certificate, closed
// at the end of the test.
func newTransport(t testing.TB) *Transport {
	tr := &Transport{TLSClientConfig: clientTLSConfig(t)}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func client(tr http.RoundTripper) *http.Client {
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// startH2Server serves h with h2server over TLS (ALPN h2, HTTP/1.1
// fallback) and returns the base URL.
func startH2Server(t testing.TB, h http.Handler, s *h2server.Server) string {
	t.Helper()
	if s == nil {
		s = new(h2server.Server)
	}
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}}
	if err := h2server.ConfigureServer(hs, s); err != nil {
		t.Fatal(err)
	}
	go hs.ServeTLS(l, "", "")
	t.Cleanup(func() { hs.Close(); s.Close() })
	return "https://" + l.Addr().String()
}

// startH2ServerH2C serves h with h2server in cleartext (HTTP/1.1, h2c
// Upgrade and prior knowledge on one port) and returns the base URL.
func startH2ServerH2C(t testing.TB, h http.Handler, s *h2server.Server) string {
	t.Helper()
	if s == nil {
		s = new(h2server.Server)
	}
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h}
	go s.ServeH2C(l, hs)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return "http://" + l.Addr().String()
}

// startGoTLS serves h with net/http's own HTTP/2 over TLS.
func startGoTLS(t testing.TB, h http.Handler) string {
	t.Helper()
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, NextProtos: []string{"h2", "http/1.1"}}}
	go hs.ServeTLS(l, "", "")
	t.Cleanup(func() { hs.Close() })
	return "https://" + l.Addr().String()
}

// startGoH1TLS serves h over TLS with HTTP/1.1 only.
func startGoH1TLS(t testing.TB, h http.Handler) string {
	t.Helper()
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(io.Discard, "", 0)} // DisableHTTP1 clients fail the handshake
	go hs.ServeTLS(l, "", "")
	t.Cleanup(func() { hs.Close() })
	return "https://" + l.Addr().String()
}

// startXnetH2C serves h with golang.org/x/net/http2/h2c (Upgrade and
// prior knowledge).
func startXnetH2C(t testing.TB, h http.Handler) string {
	t.Helper()
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return "http://" + l.Addr().String()
}

// startGoH1 serves h over cleartext HTTP/1.1 only.
func startGoH1(t testing.TB, h http.Handler) string {
	t.Helper()
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return "http://" + l.Addr().String()
}

// testHandler serves the endpoints the tests use; it counts requests in
// flight.
type testHandler struct {
	inFlight, maxInFlight atomic.Int32
	gate                  chan struct{} // /gate waits on it
}

func newTestHandler() *testHandler { return &testHandler{gate: make(chan struct{})} }

func (th *testHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := th.inFlight.Add(1)
	defer th.inFlight.Add(-1)
	for {
		m := th.maxInFlight.Load()
		if n <= m || th.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	switch r.URL.Path {
	case "/hello":
		w.Header().Set("X-Proto", r.Proto)
		io.WriteString(w, "hello "+r.Proto)
	case "/bytes":
		size, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(size))
		writePattern(w, size)
	case "/echo":
		http.NewResponseController(w).EnableFullDuplex() // HTTP/1.1 servers
		w.Header().Set("X-Method", r.Method)
		w.WriteHeader(200)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		io.Copy(w, r.Body)
		for k, v := range r.Trailer {
			w.Header().Set(http.TrailerPrefix+"Req-"+k, v[0])
		}
	case "/trailers":
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	case "/gate":
		w.WriteHeader(200)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-th.gate:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, "open")
	case "/wait":
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		io.WriteString(w, "waited")
	case "/push":
		if p, ok := w.(http.Pusher); ok {
			if err := p.Push("/pushed", nil); err != nil {
				w.Header().Set("X-Push-Error", err.Error())
			}
		}
		io.WriteString(w, "main")
	case "/pushed":
		io.WriteString(w, "pushed body")
	case "/headers":
		for k, v := range r.Header {
			w.Header()["X-Req-"+k] = v
		}
	case "/status":
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	default:
		http.NotFound(w, r)
	}
}

// pattern is the byte at offset i of /bytes bodies.
func pattern(i int) byte { return byte(i*7 + i/251) }

func writePattern(w io.Writer, n int) {
	buf := make([]byte, 32<<10)
	for off := 0; off < n; {
		k := min(len(buf), n-off)
		for i := range k {
			buf[i] = pattern(off + i)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		off += k
	}
}

// patternReader yields n pattern bytes.
type patternReader struct{ off, n int }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.off)
	for i := range k {
		p[i] = pattern(r.off + i)
	}
	r.off += k
	return k, nil
}

// checkPattern reads r and checks it holds n pattern bytes.
func checkPattern(r io.Reader, n int) error {
	buf := make([]byte, 32<<10)
	off := 0
	for {
		k, err := r.Read(buf)
		for i := range k {
			if buf[i] != pattern(off+i) {
				return fmt.Errorf("byte %d: got %#x, want %#x", off+i, buf[i], pattern(off+i))
			}
		}
		off += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", off, err)
		}
	}
	if off != n {
		return fmt.Errorf("got %d bytes, want %d", off, n)
	}
	return nil
}

// tlsListener wraps l with TLS offering h2 only.
func tlsListener(t testing.TB, l net.Listener) net.Listener {
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, NextProtos: []string{"h2"}}
	return tls.NewListener(l, cfg)
}
