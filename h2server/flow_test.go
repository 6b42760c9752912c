package h2server

import (
	"io"
	"net/http"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// RFC 9113, Section 8.1: a complete response while the client is still
// sending is followed by RST_STREAM NO_ERROR.
func TestEarlyResponseResetsNoError(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("POST", addr, "/"), false)
	c.eng.SendData(id, []byte("first part"), false)
	fs, body := c.response(id)
	if field(fs, ":status") != "413" || string(body) != "too large\n" {
		t.Fatalf("%v %q", fs, body)
	}
	ev := c.next()
	if ev.kind != "reset" || ev.id != id || ev.code != frame.ErrCodeNo {
		t.Fatalf("want RST_STREAM NO_ERROR, got %+v", ev)
	}
}

// A handler that does not read stops the client once the stream window
// is used: buffering per stream is bounded by it, and reading reopens it.
func TestSlowHandlerSlowsClient(t *testing.T) {
	const window = 65535
	read := make(chan struct{})
	got := make(chan int, 1)
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-read
		n, _ := io.Copy(io.Discard, r.Body)
		got <- int(n)
	}), &Server{InitialWindowSize: window, ConnectionWindow: window})
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("POST", addr, "/"), false)
	body := make([]byte, 4*window)
	sent := 0
	for range 20 {
		n, _ := c.eng.SendData(id, body[sent:], true)
		sent += n
		c.pumpFor(10 * time.Millisecond)
	}
	if sent != window {
		t.Fatalf("client could send %d bytes before the handler read anything, want %d", sent, window)
	}
	close(read)
	for deadline := time.Now().Add(10 * time.Second); sent < len(body) && time.Now().Before(deadline); {
		n, _ := c.eng.SendData(id, body[sent:], true)
		sent += n
		c.pumpFor(5 * time.Millisecond)
	}
	if n := <-got; n != len(body) {
		t.Fatalf("handler read %d bytes, want %d", n, len(body))
	}
}
