package h2server

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// earlyHandler answers 413 without reading the request body.
var earlyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "too large", http.StatusRequestEntityTooLarge)
})

// rstTracer reports the RST_STREAM frames a server connection sends, and
// its GOAWAY as one on stream 0.
type rstTracer struct{ sent chan frame.RSTStream }

func newRSTTracer(s *Server) *rstTracer {
	tr := &rstTracer{sent: make(chan frame.RSTStream, 16)}
	s.NewTracer = func(net.Conn) h2kit.Tracer { return tr }
	return tr
}

func (tr *rstTracer) FrameReceived(frame.Header, frame.Frame, []hpack.Field) {}

func (tr *rstTracer) FrameSent(_ frame.Header, f frame.Frame, _ []hpack.Field) {
	switch f := f.(type) {
	case *frame.RSTStream:
		tr.sent <- *f
	case *frame.GoAway:
		tr.sent <- frame.RSTStream{Code: f.Code}
	}
}

// none checks that no RST_STREAM or GOAWAY was sent.
func (tr *rstTracer) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-tr.sent:
		t.Fatalf("the server sent RST_STREAM (or GOAWAY: stream 0) %v on stream %d", r.Code, r.StreamID)
	default:
	}
}

// sendAll sends p on stream id as flow control allows.
func (c *rawClient) sendAll(id uint32, p []byte, end bool) {
	c.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		n, err := c.eng.SendData(id, p, end)
		if err != nil {
			c.t.Fatalf("SendData: %v", err)
		}
		if p = p[n:]; len(p) == 0 {
			c.flush()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d bytes not sent", len(p))
		}
		c.pumpFor(time.Millisecond)
	}
}

// earlyResponse sends a POST whose body is not complete and reads the
// handler's early response.
func earlyResponse(t *testing.T, c *rawClient, addr string, extra ...string) uint32 {
	t.Helper()
	id, _ := c.eng.SendRequest(reqFields("POST", addr, "/", extra...), false)
	c.eng.SendData(id, []byte("first part"), false)
	fs, body := c.response(id)
	if field(fs, ":status") != "413" || string(body) != "too large\n" {
		t.Fatalf("%v %q", fs, body)
	}
	return id
}

// RFC 9113, Section 8.1: a complete response while the client is still
// sending is followed by RST_STREAM NO_ERROR, at once when the declared
// content-length says more than maxDrainBody is left to come.
func TestEarlyResponseResetsNoError(t *testing.T) {
	addr := startH2C(t, earlyHandler, &Server{drainTimeout: time.Minute})
	c := h2cRaw(t, addr, h2kit.Config{})
	start := time.Now()
	id := earlyResponse(t, c, addr, "content-length", strconv.Itoa(10+maxDrainBody+1))
	ev := c.next()
	if ev.kind != "reset" || ev.id != id || ev.code != frame.ErrCodeNo {
		t.Fatalf("want RST_STREAM NO_ERROR, got %+v", ev)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("RST_STREAM after %v", d)
	}
}

// After an early response, a body of unknown length is read and
// discarded up to maxDrainBody bytes, then RST_STREAM NO_ERROR stops the
// client; the windows were given back meanwhile.
func TestEarlyResponseDrainLimit(t *testing.T) {
	s := &Server{drainTimeout: time.Minute, InitialWindowSize: 65535}
	tr := newRSTTracer(s)
	addr := startH2C(t, earlyHandler, s)
	c := h2cRaw(t, addr, h2kit.Config{})
	id := earlyResponse(t, c, addr)
	chunk := make([]byte, 16<<10)
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		n, _ := c.eng.SendData(id, chunk, false) // an error once reset
		sent += n
		select {
		case r := <-tr.sent:
			if r.StreamID != id || r.Code != frame.ErrCodeNo {
				t.Fatalf("RST_STREAM %v on stream %d", r.Code, r.StreamID)
			}
			if sent <= maxDrainBody {
				t.Fatalf("RST_STREAM NO_ERROR after %d bytes of body, want more than %d", sent, maxDrainBody)
			}
			return
		default:
		}
		c.pumpFor(time.Millisecond)
		if sent > 4*maxDrainBody {
			break
		}
	}
	t.Fatalf("no RST_STREAM NO_ERROR after %d bytes of body past the response", sent)
}

// After an early response, the rest of a small body is read and
// discarded: the stream ends as the client ends it, without RST_STREAM,
// so the client's frames still get the checks of RFC 9113 (here a body
// longer than its content-length, Section 8.1.1).
func TestEarlyResponseDrainsBody(t *testing.T) {
	s := &Server{drainTimeout: time.Minute}
	tr := newRSTTracer(s)
	addr := startH2C(t, earlyHandler, s)
	c := h2cRaw(t, addr, h2kit.Config{})

	id := earlyResponse(t, c, addr, "content-length", "100010")
	c.sendAll(id, make([]byte, 100000), true)
	// The connection goes on: another request is answered, and the first
	// stream was not reset.
	id2 := earlyResponse(t, c, addr, "content-length", "11")
	tr.none(t)
	if st := c.eng.State(id); st != h2kit.StateClosed {
		t.Fatalf("stream %d: %v", id, st)
	}
	// Stream id2 is draining: one byte too many is a PROTOCOL_ERROR.
	c.nc.Write((&frame.Data{StreamID: id2, Data: []byte("xx"), EndStream: true}).Append(nil))
	select {
	case r := <-tr.sent:
		if r.StreamID != id2 || r.Code != frame.ErrCodeProtocol {
			t.Fatalf("RST_STREAM %v on stream %d, want PROTOCOL_ERROR on %d", r.Code, r.StreamID, id2)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no RST_STREAM PROTOCOL_ERROR")
	}
}

// A client that resets a stream after its early response, then sends on
// it, gets STREAM_CLOSED, here a connection error (RFC 9113, Section
// 5.1; h2spec http2/5.1/8): the server had not reset the stream first,
// and so does not ignore the frame.
func TestEarlyResponseThenClientReset(t *testing.T) {
	s := &Server{drainTimeout: time.Minute}
	tr := newRSTTracer(s)
	addr := startH2C(t, earlyHandler, s)
	c := h2cRaw(t, addr, h2kit.Config{})
	id := earlyResponse(t, c, addr)
	c.eng.ResetStream(id, frame.ErrCodeCancel)
	c.flush()
	c.nc.Write((&frame.Data{StreamID: id, Data: []byte("test"), EndStream: true}).Append(nil))
	select {
	case r := <-tr.sent:
		if (r.StreamID != id && r.StreamID != 0) || r.Code != frame.ErrCodeStreamClosed {
			t.Fatalf("RST_STREAM (or GOAWAY: stream 0) %v on stream %d, want STREAM_CLOSED", r.Code, r.StreamID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no STREAM_CLOSED")
	}
}

// A client that sends nothing more after an early response gets
// RST_STREAM NO_ERROR once drainTimeout has passed.
func TestEarlyResponseDrainTimeout(t *testing.T) {
	const wait = 150 * time.Millisecond
	s := &Server{drainTimeout: wait}
	tr := newRSTTracer(s)
	addr := startH2C(t, earlyHandler, s)
	c := h2cRaw(t, addr, h2kit.Config{})
	start := time.Now()
	id := earlyResponse(t, c, addr)
	select {
	case r := <-tr.sent:
		if r.StreamID != id || r.Code != frame.ErrCodeNo {
			t.Fatalf("RST_STREAM %v on stream %d", r.Code, r.StreamID)
		}
		if d := time.Since(start); d < wait {
			t.Fatalf("RST_STREAM NO_ERROR after %v, before the drain timeout %v", d, wait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no RST_STREAM NO_ERROR")
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
