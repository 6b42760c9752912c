package h2client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	h2kit "github.com/h2kit/h2kit"
)

// TestBodyLastBytesWithEOF: once a response's body is complete, the Read
// that returns its last bytes returns io.EOF with them (the lean server
// sends "ok" with END_STREAM), and a Read after that returns io.EOF
// alone.
func TestBodyLastBytesWithEOF(t *testing.T) {
	base := leanServer(t)
	tr := newTransport(t)
	tr.AllowHTTP = true
	req, _ := http.NewRequest("GET", base+"/", nil)
	for range 3 {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := resp.Body.Read(buf)
		if n != 2 || string(buf[:n]) != "ok" || err != io.EOF {
			t.Fatalf("Read: %d %q %v, want 2 \"ok\" io.EOF", n, buf[:n], err)
		}
		if n, err := resp.Body.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("Read after the end: %d %v, want 0 io.EOF", n, err)
		}
		resp.Body.Close()
	}
}

// TestBodyWriteTo: io.Copy goes through the body's WriteTo; bodies of
// every size around its buffers' (the stream's 512 bytes, then a pooled
// 16 KiB) arrive whole, with their trailers in Response.Trailer once it
// returns; a writer's error ends it with that error; a stream the server
// resets midway ends it with the reset.
func TestBodyWriteTo(t *testing.T) {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return b
	}
	proceed := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("reset") != "" {
			w.Write(pattern(n))
			w.(http.Flusher).Flush()
			<-proceed // the client has the response
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Trailer", "X-Sum")
		w.Write(pattern(n))
		w.Header().Set("X-Sum", strconv.Itoa(n))
	})
	base := startH2ServerH2C(t, h, nil)
	tr := newTransport(t)
	tr.AllowHTTP = true
	get := func(q string) *http.Response {
		req, _ := http.NewRequest("GET", base+"/?"+q, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := resp.Body.(io.WriterTo); !ok {
			t.Fatal("the body is not an io.WriterTo")
		}
		return resp
	}
	for _, n := range []int{0, 1, 511, 512, 513, 16 << 10, 16<<10 + 512, 100 << 10} {
		resp := get("n=" + strconv.Itoa(n))
		var got bytes.Buffer
		m, err := io.Copy(&got, resp.Body)
		if err != nil || m != int64(n) || !bytes.Equal(got.Bytes(), pattern(n)) {
			t.Fatalf("n=%d: io.Copy %d %v, the bytes equal: %v", n, m, err, bytes.Equal(got.Bytes(), pattern(n)))
		}
		if s := resp.Trailer.Get("X-Sum"); s != strconv.Itoa(n) {
			t.Fatalf("n=%d: trailer X-Sum %q", n, s)
		}
		resp.Body.Close()
	}

	resp := get("n=100000")
	errWrite := errors.New("the writer gave up")
	m, err := io.Copy(&failingWriter{after: 1000, err: errWrite}, resp.Body)
	if err != errWrite || m > 1000 {
		t.Fatalf("a failing writer: %d %v, want at most 1000 and its error", m, err)
	}
	resp.Body.Close()

	resp = get("n=1000&reset=1")
	close(proceed)
	m, err = io.Copy(io.Discard, resp.Body)
	var se *h2kit.StreamError
	if !errors.As(err, &se) || m > 1000 {
		t.Fatalf("a reset stream: %d %v, want at most 1000 bytes and a *h2kit.StreamError", m, err)
	}
	resp.Body.Close()
}

// failingWriter takes after bytes, then fails with err.
type failingWriter struct {
	after int
	err   error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		n := w.after
		w.after = 0
		return n, w.err
	}
	w.after -= len(p)
	return len(p), nil
}
