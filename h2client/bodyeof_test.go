package h2client

import (
	"io"
	"net/http"
	"testing"
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
