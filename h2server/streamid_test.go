package h2server

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// TestResponseWriterStreamID: a handler (or an access log wrapping it)
// learns its request's stream id from the response writer: 1, 3, 5 for
// the requests of one connection, one after the other.
func TestResponseWriterStreamID(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := w.(interface{ StreamID() uint32 })
		if !ok {
			http.Error(w, "no StreamID method", 500)
			return
		}
		fmt.Fprint(w, s.StreamID())
	})
	addr := startH2C(t, h, nil)
	c := xnetH2C(t)
	for _, want := range []string{"1", "3", "5"} {
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Fatalf("stream id %q, want %s", b, want)
		}
	}
}
