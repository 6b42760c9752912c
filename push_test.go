package h2kit

import (
	"errors"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Server push: RFC 9113, Section 8.4 and 6.6.

// TestPushServer: a push on an open client stream — PUSH_PROMISE on the
// associated stream with an even promised id, reserved (local), then
// half-closed (remote) once the response headers are sent, closed at the
// end (RFC 9113, Section 5.1 and 8.4).
func TestPushServer(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/index.html")
	wantEvent[*RequestReceived](p)
	pid, err := p.c.PushPromise(1, reqFields("GET", "/style.css"))
	if err != nil {
		t.Fatal(err)
	}
	if pid != 2 || p.c.State(pid) != StateReservedLocal {
		t.Fatalf("promised %d in %v", pid, p.c.State(pid))
	}
	pp := p.wantFrame(frame.TypePushPromise).(*frame.PushPromise)
	if pp.StreamID != 1 || pp.PromisedID != 2 || !pp.EndHeaders {
		t.Fatalf("PUSH_PROMISE %+v", pp)
	}
	if fs := p.decode(append([]byte(nil), pp.BlockFragment...)); fieldValue(fs, ":path") != "/style.css" || fieldValue(fs, ":method") != "GET" {
		t.Fatalf("promised request %v", fs)
	}
	pid2, err := p.c.PushPromise(1, reqFields("HEAD", "/logo.png"))
	if err != nil || pid2 != 4 {
		t.Fatalf("second push %d, %v", pid2, err)
	}
	p.wantFrame(frame.TypePushPromise)
	if err := p.c.SendHeaders(pid, fields(":status", "200", "content-type", "text/css"), false); err != nil {
		t.Fatal(err)
	}
	if st := p.c.State(pid); st != StateHalfClosedRemote {
		t.Fatalf("after the response headers: %v", st)
	}
	if _, err := p.c.SendData(pid, []byte("body{}"), true); err != nil {
		t.Fatal(err)
	}
	p.wantHeaders(pid, false)
	d := p.wantFrame(frame.TypeData).(*frame.Data)
	if d.StreamID != pid || string(d.Data) != "body{}" || !d.EndStream {
		t.Fatalf("DATA %+v", d)
	}
	if p.c.State(pid) != StateClosed {
		t.Fatal("pushed stream not closed")
	}
	// The client may reset a promised stream; the server hears it.
	p.write(&frame.RSTStream{StreamID: pid2, Code: frame.ErrCodeCancel})
	if r := wantEvent[*StreamReset](p); r.StreamID != pid2 || r.Code != frame.ErrCodeCancel || r.Initiator != Remote {
		t.Fatalf("%+v", r)
	}
	// Once the associated stream's response is done, no more promises.
	p.c.SendHeaders(1, fields(":status", "200"), true)
	if _, err := p.c.PushPromise(1, reqFields("GET", "/late")); err != ErrStreamClosed {
		t.Fatalf("push after the response: %v", err)
	}
}

// TestPushServerRefused: the cases PushPromise refuses.
func TestPushServerRefused(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	// Section 8.4: promised requests are safe and cacheable: GET or HEAD.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		_, err := p.c.PushPromise(1, reqFields(m, "/x"))
		var se *StreamError
		if !errors.As(err, &se) || se.Initiator != User {
			t.Fatalf("%s push: %v", m, err)
		}
	}
	if _, err := p.c.PushPromise(1, reqFields("GET", "/x", "content-length", "10")); err == nil {
		t.Fatal("push with content")
	}
	if _, err := p.c.PushPromise(1, fields(":method", "GET", ":path", "/x")); err == nil {
		t.Fatal("push without :scheme")
	}
	if _, err := p.c.PushPromise(9, reqFields("GET", "/x")); err != ErrStreamClosed {
		t.Fatalf("push on an unknown stream: %v", err)
	}
	p.wantNoFrame()
	// Section 6.5.2: the client disabled push.
	p.settings(sEnablePush, 0)
	if _, err := p.c.PushPromise(1, reqFields("GET", "/x")); err != ErrPushDisabled {
		t.Fatalf("push disabled: %v", err)
	}
	p.settings(sEnablePush, 1)
	// SETTINGS_MAX_CONCURRENT_STREAMS of the client bounds pushes.
	p.settings(sMaxStreams, 1)
	if _, err := p.c.PushPromise(1, reqFields("GET", "/a")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.PushPromise(1, reqFields("GET", "/b")); err != ErrTooManyStreams {
		t.Fatalf("second push with limit 1: %v", err)
	}
	// A client cannot push.
	c := newPeer(t, Config{Role: Client})
	if _, err := c.c.PushPromise(1, reqFields("GET", "/")); err != ErrWrongRole {
		t.Fatal(err)
	}
	// After GOAWAY.
	p.c.Shutdown()
	if _, err := p.c.PushPromise(1, reqFields("GET", "/c")); err != ErrConnClosed {
		t.Fatalf("push after shutdown: %v", err)
	}
}

// clientWithRequest returns a client with stream 1 sent.
func clientWithRequest(t *testing.T, cfg Config) *peer {
	t.Helper()
	cfg.Role = Client
	p := newPeer(t, cfg)
	id, err := p.c.SendRequest(reqFields("GET", "/index.html"), true)
	if err != nil || id != 1 {
		t.Fatal(id, err)
	}
	p.wantHeaders(1, true)
	return p
}

func (p *peer) pushPromise(id, promised uint32, kv ...string) {
	p.t.Helper()
	p.write(&frame.PushPromise{StreamID: id, PromisedID: promised, EndHeaders: true, BlockFragment: p.block(kv...)})
}

// TestPushClient: the client reports the promise and the pushed response.
func TestPushClient(t *testing.T) {
	p := clientWithRequest(t, Config{})
	p.pushPromise(1, 2, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/style.css")
	ev := wantEvent[*PushPromiseReceived](p)
	if ev.StreamID != 1 || ev.PromisedStreamID != 2 || fieldValue(ev.Fields, ":path") != "/style.css" {
		t.Fatalf("%+v", ev)
	}
	if st := p.c.State(2); st != StateReservedRemote {
		t.Fatalf("promised stream in %v", st)
	}
	p.headers(1, false, ":status", "200")
	wantEvent[*ResponseReceived](p)
	p.headers(2, false, ":status", "200", "content-type", "text/css")
	r := wantEvent[*ResponseReceived](p)
	if r.StreamID != 2 || fieldValue(r.Fields, "content-type") != "text/css" {
		t.Fatalf("%+v", r)
	}
	if st := p.c.State(2); st != StateHalfClosedLocal {
		t.Fatalf("pushed stream in %v after its headers", st)
	}
	p.write(&frame.Data{StreamID: 2, Data: []byte("body{}"), EndStream: true})
	d := wantEvent[*DataReceived](p)
	if d.StreamID != 2 || string(d.Data) != "body{}" || !d.EndStream || p.c.State(2) != StateClosed {
		t.Fatalf("%+v, state %v", d, p.c.State(2))
	}
	// A pushed stream is receive-only for the client.
	if _, err := p.c.SendData(2, []byte("x"), true); err == nil {
		t.Fatal("SendData on a pushed stream")
	}
}

// TestPushClientCancel: the client rejects a push with
// ResetStream(CANCEL) (Section 8.4.2); frames already in flight on it are
// ignored.
func TestPushClientCancel(t *testing.T) {
	p := clientWithRequest(t, Config{})
	p.pushPromise(1, 2, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/ad.js")
	wantEvent[*PushPromiseReceived](p)
	if err := p.c.ResetStream(2, frame.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	p.wantRST(2, frame.ErrCodeCancel)
	p.headers(2, false, ":status", "200")
	p.write(&frame.Data{StreamID: 2, Data: []byte("ignored"), EndStream: true})
	p.wantNoEvent()
	p.wantNoFrame()
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestPushClientErrors: PUSH_PROMISE rules on the client side.
func TestPushClientErrors(t *testing.T) {
	req := []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/x"}
	// Section 6.5.2: push disabled and acknowledged: PROTOCOL_ERROR.
	p := clientWithRequest(t, Config{Settings: Settings{DisablePush: true}})
	p.pushPromise(1, 2, req...)
	p.wantGoAway(frame.ErrCodeProtocol)

	// Section 5.1.1: odd promised id.
	p = clientWithRequest(t, Config{})
	p.pushPromise(1, 3, req...)
	p.wantGoAway(frame.ErrCodeProtocol)

	// Promised ids increase.
	p = clientWithRequest(t, Config{})
	p.pushPromise(1, 4, req...)
	wantEvent[*PushPromiseReceived](p)
	p.pushPromise(1, 2, req...)
	p.wantGoAway(frame.ErrCodeProtocol)

	// Section 6.6: on a stream the client did not open.
	p = clientWithRequest(t, Config{})
	p.pushPromise(3, 2, req...)
	p.wantGoAway(frame.ErrCodeProtocol)

	// Section 8.4: the promised request must be safe and cacheable: the
	// promised stream is reset.
	p = clientWithRequest(t, Config{})
	p.pushPromise(1, 2, ":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/x")
	p.wantRST(2, frame.ErrCodeProtocol)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestPushDisabledBeforeAck: a promise sent before the server saw our
// ENABLE_PUSH = 0 is legal; the client refuses just that stream.
func TestPushDisabledBeforeAck(t *testing.T) {
	p := newRawPeer(t, Config{Role: Client, Settings: Settings{DisablePush: true}})
	p.wantPreface()
	p.write(&frame.Settings{})
	p.frames()
	id, _ := p.c.SendRequest(reqFields("GET", "/"), true)
	p.wantHeaders(id, true)
	p.pushPromise(id, 2, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/x")
	p.wantRST(2, frame.ErrCodeRefusedStream)
	p.drainEvents()
	p.write(&frame.Settings{Ack: true})
	p.pushPromise(id, 4, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/y")
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestPushFromClient: RFC 9113, Section 8.4 — a client cannot push:
// PUSH_PROMISE received by a server is a PROTOCOL_ERROR.
func TestPushFromClient(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.pushPromise(1, 2, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/x")
	p.wantGoAway(frame.ErrCodeProtocol)
}
