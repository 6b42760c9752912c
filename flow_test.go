package h2kit

import (
	"bytes"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Flow control: RFC 9113, Section 5.2 and 6.9.

// serverWithGet returns a server engine with stream 1 opened by a GET and
// the response headers sent, ready for SendData.
func serverWithGet(t *testing.T, cfg Config) *peer {
	t.Helper()
	cfg.Role = Server
	p := newPeer(t, cfg)
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	if err := p.c.SendHeaders(1, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	p.wantHeaders(1, false)
	return p
}

// TestFlowSendWindows: RFC 9113, Section 6.9.1 — a sender never exceeds
// the stream or the connection window; SendData takes what they allow and
// WindowUpdated says when to go on.
func TestFlowSendWindows(t *testing.T) {
	p := serverWithGet(t, Config{})
	body := make([]byte, 100000)
	n, err := p.c.SendData(1, body, true)
	if err != nil || n != 65535 {
		t.Fatalf("SendData = %d, %v; want 65535 (initial windows)", n, err)
	}
	fs := p.frames()
	if got := dataBytes(fs)[1]; got != 65535 {
		t.Fatalf("wrote %d DATA bytes, want 65535", got)
	}
	for _, f := range fs {
		if d, ok := f.(*frame.Data); ok {
			if d.EndStream {
				t.Fatal("END_STREAM sent although SendData took only part")
			}
			if len(d.Data) > frame.DefaultMaxFrameSize {
				t.Fatalf("DATA of %d bytes > SETTINGS_MAX_FRAME_SIZE", len(d.Data))
			}
		}
	}
	if n, _ := p.c.SendData(1, body[65535:], true); n != 0 {
		t.Fatalf("SendData with closed windows = %d", n)
	}
	if w := p.c.SendWindow(1); w != 0 {
		t.Fatalf("SendWindow = %d", w)
	}
	// The stream window opens: reported, but the connection window is still
	// closed, so nothing can be sent yet.
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 50000})
	if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 1 {
		t.Fatalf("WindowUpdated %+v", ev)
	}
	if n, _ := p.c.SendData(1, body[65535:], true); n != 0 {
		t.Fatalf("SendData with the connection window closed = %d", n)
	}
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 10000})
	if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 0 {
		t.Fatalf("WindowUpdated %+v, want the connection's", ev)
	}
	n, _ = p.c.SendData(1, body[65535:], true)
	if n != 10000 {
		t.Fatalf("SendData = %d, want 10000 (connection window)", n)
	}
	if got := dataBytes(p.frames())[1]; got != 10000 {
		t.Fatalf("wrote %d", got)
	}
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 1 << 20})
	rest := body[75535:]
	if n, _ := p.c.SendData(1, rest, true); n != len(rest) {
		t.Fatalf("SendData = %d, want %d (stream window 40000 left)", n, len(rest))
	}
	var end bool
	for _, f := range p.frames() {
		if d, ok := f.(*frame.Data); ok && d.EndStream {
			end = true
		}
	}
	if !end || p.c.State(1) != StateClosed {
		t.Fatalf("END_STREAM %v, state %v", end, p.c.State(1))
	}
}

// TestFlowStreamWindowExceeded: RFC 9113, Section 6.9.1 — DATA beyond the
// stream window is a stream error FLOW_CONTROL_ERROR; the connection goes
// on and its window gets the bytes back.
func TestFlowStreamWindowExceeded(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{InitialWindowSize: 100}, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 100)})
	wantEvent[*DataReceived](p)
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 1)})
	p.wantRST(1, frame.ErrCodeFlowControl)
	ev := wantEvent[*StreamReset](p)
	if ev.Initiator != Local || ev.Code != frame.ErrCodeFlowControl {
		t.Fatalf("reset %+v", ev)
	}
	// The connection is fine: another request works.
	p.get(3, "/")
	wantEvent[*RequestReceived](p)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestFlowConnectionWindowExceeded: RFC 9113, Section 6.9.1 — DATA beyond
// the connection window is a connection error FLOW_CONTROL_ERROR.
func TestFlowConnectionWindowExceeded(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{InitialWindowSize: 1 << 20}, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	chunk := make([]byte, 16384)
	for i := 0; i < 3; i++ {
		p.write(&frame.Data{StreamID: 1, Data: chunk})
	}
	p.write(&frame.Data{StreamID: 1, Data: chunk[:16383]}) // 65535 exactly
	if p.err != nil {
		t.Fatalf("a full window is allowed: %v", p.err)
	}
	p.write(&frame.Data{StreamID: 1, Data: chunk[:1]})
	p.wantGoAway(frame.ErrCodeFlowControl)
}

// TestFlowWindowUpdateOverflow: RFC 9113, Section 6.9.1 — a window above
// 2^31-1 is a stream error on a stream and a connection error on the
// connection.
func TestFlowWindowUpdateOverflow(t *testing.T) {
	p := serverWithGet(t, Config{})
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: frame.MaxWindowSize - 65535})
	if p.err != nil {
		t.Fatal("2^31-1 exactly is allowed")
	}
	p.wantNoFrame()
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 1})
	p.wantRST(1, frame.ErrCodeFlowControl)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}

	p = serverWithGet(t, Config{})
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: frame.MaxWindowSize - 65535})
	p.wantNoFrame()
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 1})
	p.wantGoAway(frame.ErrCodeFlowControl)
}

// TestFlowPaddingCounted: RFC 9113, Section 6.1 — the whole DATA payload,
// padding included, counts against the windows; the engine gives padding
// back itself and the application only consumes data.
func TestFlowPaddingCounted(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	total := 0
	for i := 0; i < 4; i++ {
		d := &frame.Data{StreamID: 1, Data: bytes.Repeat([]byte{'x'}, 8000), Padded: true, PadLength: 200}
		total += d.Len()
		p.write(d)
		ev := wantEvent[*DataReceived](p)
		if len(ev.Data) != 8000 || ev.FlowControlledLen != d.Len() {
			t.Fatalf("DataReceived len %d flow-controlled %d, want 8000 and %d", len(ev.Data), ev.FlowControlledLen, d.Len())
		}
		p.c.ConsumeData(1, len(ev.Data))
	}
	// 4 x 8201 = 32804 > 65535/2: one WINDOW_UPDATE each, for all of it.
	wu := windowUpdates(p.frames())
	if wu[1] != total || wu[0] != total {
		t.Fatalf("window updates %v, want %d on stream 1 and connection", wu, total)
	}
}

// TestFlowConsumeDataBatching: many small reads do not each produce a
// WINDOW_UPDATE; the window reopens once half of it is consumed.
func TestFlowConsumeDataBatching(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	chunk := make([]byte, 100)
	consumed := 0
	for consumed+100 < 65535/2 {
		p.write(&frame.Data{StreamID: 1, Data: chunk})
		ev := wantEvent[*DataReceived](p)
		p.c.ConsumeData(1, len(ev.Data))
		consumed += 100
		if fs := p.frames(); len(fs) != 0 {
			t.Fatalf("after %d bytes consumed: %d frames (%T), want none", consumed, len(fs), fs[0])
		}
	}
	p.write(&frame.Data{StreamID: 1, Data: chunk})
	wantEvent[*DataReceived](p)
	// Received but not consumed: nothing is given back yet.
	if fs := p.frames(); len(fs) != 0 {
		t.Fatalf("window update before the data was consumed: %v", fs)
	}
	p.c.ConsumeData(1, 100)
	consumed += 100
	fs := p.frames()
	if len(fs) != 2 {
		t.Fatalf("want one WINDOW_UPDATE for the stream and one for the connection, got %d frames", len(fs))
	}
	wu := windowUpdates(fs)
	if wu[1] != consumed || wu[0] != consumed {
		t.Fatalf("window updates %v, want %d each", wu, consumed)
	}
	// ConsumeData for more than was delivered, or for a gone stream, is harmless.
	p.c.ConsumeData(1, 1<<20)
	p.c.ConsumeData(99, 10)
	p.wantNoFrame()
}

// TestFlowConsumeAfterEndStream: once the peer ended the stream, consumed
// bytes reopen only the connection window (no WINDOW_UPDATE for a stream
// that receives nothing more).
func TestFlowConsumeAfterEndStream(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 16384)}, &frame.Data{StreamID: 1, Data: make([]byte, 16384), EndStream: true})
	wantEvent[*DataReceived](p)
	wantEvent[*DataReceived](p)
	p.c.ConsumeData(1, 32768)
	wu := windowUpdates(p.frames())
	if wu[1] != 0 || wu[0] != 32768 {
		t.Fatalf("window updates %v, want only the connection's 32768", wu)
	}
}

// TestFlowUnconsumedGivenBackOnReset: data delivered but never consumed on
// a stream that is reset goes back to the connection window.
func TestFlowUnconsumedGivenBackOnReset(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535})
	p.post(1)
	wantEvent[*RequestReceived](p)
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 16384)}, &frame.Data{StreamID: 1, Data: make([]byte, 16384)})
	p.write(&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel})
	p.drainEvents()
	if wu := windowUpdates(p.frames()); wu[0] != 32768 {
		t.Fatalf("window updates %v, want 32768 for the connection", wu)
	}
}

// TestFlowInitialWindowSizeChange: RFC 9113, Section 6.9.2 — a change of
// SETTINGS_INITIAL_WINDOW_SIZE moves the send window of every open stream
// by the difference, possibly below zero; a stream with a negative window
// sends nothing until WINDOW_UPDATEs bring it above zero.
func TestFlowInitialWindowSizeChange(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 1 << 24})
	for _, id := range []uint32{1, 3} {
		p.get(id, "/")
		wantEvent[*RequestReceived](p)
		if err := p.c.SendHeaders(id, fields(":status", "200"), false); err != nil {
			t.Fatal(err)
		}
	}
	p.frames()
	// Stream 1 buffers a whole window, not yet written.
	if n, _ := p.c.SendData(1, make([]byte, 65535), true); n != 65535 {
		t.Fatalf("SendData = %d", n)
	}
	p.settings(uint32(frame.SettingInitialWindowSize), 16384)
	fs := p.frames()
	if got := dataBytes(fs); got[1] != 16384 {
		t.Fatalf("wrote %v, want 16384 bytes on stream 1: the peer's window is 16384 now", got)
	}
	if p.c.WantWrite() {
		t.Fatal("WantWrite with every stream held back by flow control")
	}
	// Stream 3 had the full 65535 and now has 16384; stream 1 is at -49151.
	if w := p.c.SendWindow(3); w != 16384 {
		t.Fatalf("SendWindow(3) = %d, want 16384", w)
	}
	if w := p.c.SendWindow(1); w != 0 {
		t.Fatalf("SendWindow(1) = %d", w)
	}
	// Going to 0: stream 1 (at -49151 + buffered 49151) sends nothing.
	p.settings(uint32(frame.SettingInitialWindowSize), 0)
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 16384})
	if fs := p.frames(); len(fs) != 0 {
		t.Fatalf("stream with negative window sent %v", fs)
	}
	if n, _ := p.c.SendData(3, []byte("x"), false); n != 0 {
		t.Fatalf("SendData on a stream with window 0 = %d", n)
	}
	// Stream 1 is at 16384-65535 = -49151 with 49151 buffered: the peer's
	// window is 0. A WINDOW_UPDATE of 10000 lets 10000 go.
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 10000})
	if got := dataBytes(p.frames()); got[1] != 10000 {
		t.Fatalf("wrote %v, want 10000 on stream 1", got)
	}
	// Back up: the increase frees the rest and reports stream 3 writable.
	p.write(&frame.Settings{Settings: settingList(uint32(frame.SettingInitialWindowSize), 65535)})
	if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 3 {
		t.Fatalf("WindowUpdated %+v, want stream 3", ev)
	}
	wantEvent[*SettingsReceived](p)
	got := 0
	var end bool
	for _, f := range p.frames() {
		if d, ok := f.(*frame.Data); ok && d.StreamID == 1 {
			got += len(d.Data)
			end = end || d.EndStream
		}
	}
	if got != 39151 || !end {
		t.Fatalf("wrote %d bytes on stream 1 (end %v), want 39151 and END_STREAM", got, end)
	}
}

// TestFlowInitialWindowSizeOverflow: RFC 9113, Section 6.9.2 — a
// SETTINGS_INITIAL_WINDOW_SIZE change that takes a stream window above
// 2^31-1 is a connection error FLOW_CONTROL_ERROR.
func TestFlowInitialWindowSizeOverflow(t *testing.T) {
	p := serverWithGet(t, Config{})
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: frame.MaxWindowSize - 65535})
	p.write(&frame.Settings{Settings: settingList(uint32(frame.SettingInitialWindowSize), 65536)})
	p.wantGoAway(frame.ErrCodeFlowControl)
}

// TestFlowInitialWindowOne: h2spec 6.9.1/1 — with
// SETTINGS_INITIAL_WINDOW_SIZE 1 the body goes out in 1-byte DATA frames,
// one per WINDOW_UPDATE.
func TestFlowInitialWindowOne(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.settings(uint32(frame.SettingInitialWindowSize), 1)
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	if err := p.c.SendHeaders(1, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	p.wantHeaders(1, false)
	body := []byte("hello")
	var got []byte
	for len(body) > 0 {
		n, err := p.c.SendData(1, body, true)
		if err != nil || n != 1 {
			t.Fatalf("SendData = %d, %v; want 1", n, err)
		}
		body = body[n:]
		d := p.wantFrame(frame.TypeData).(*frame.Data)
		if len(d.Data) != 1 {
			t.Fatalf("DATA of %d bytes, want 1", len(d.Data))
		}
		got = append(got, d.Data...)
		if d.EndStream != (len(body) == 0) {
			t.Fatalf("END_STREAM %v with %d left", d.EndStream, len(body))
		}
		p.wantNoFrame()
		if len(body) > 0 {
			p.write(&frame.WindowUpdate{StreamID: 1, Increment: 1})
			if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 1 {
				t.Fatalf("WindowUpdated %+v", ev)
			}
		}
	}
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

// TestFlowLocalInitialWindowChange: RFC 9113, Section 6.9.2 on the
// receiving side — after the peer acknowledges our new
// SETTINGS_INITIAL_WINDOW_SIZE, every open stream's window changed by the
// difference, as the peer sees it.
func TestFlowLocalInitialWindowChange(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.post(1)
	wantEvent[*RequestReceived](p)
	if err := p.c.UpdateSettings(Settings{InitialWindowSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	st := p.wantFrame(frame.TypeSettings).(*frame.Settings)
	if v, ok := st.Value(frame.SettingInitialWindowSize); !ok || v != 1<<20 {
		t.Fatalf("SETTINGS %v", st.Settings)
	}
	p.write(&frame.Settings{Ack: true})
	// The peer may now send 1 MiB on stream 1; 200000 bytes are fine.
	chunk := make([]byte, 16384)
	for sent := 0; sent < 200000; sent += len(chunk) {
		p.write(&frame.Data{StreamID: 1, Data: chunk})
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	for _, f := range p.frames() {
		if r, ok := f.(*frame.RSTStream); ok {
			t.Fatalf("stream reset: %+v", r)
		}
	}

	// Lowering: data sent before the peer saw the SETTINGS is accepted
	// (Section 6.9.3); after the ACK a new stream has the small window.
	if err := p.c.UpdateSettings(Settings{InitialWindowSize: 1000}); err != nil {
		t.Fatal(err)
	}
	p.post(3)
	p.write(&frame.Data{StreamID: 3, Data: make([]byte, 5000)})
	p.write(&frame.Settings{Ack: true})
	p.post(5)
	p.write(&frame.Data{StreamID: 5, Data: make([]byte, 1000)})
	p.write(&frame.Data{StreamID: 5, Data: make([]byte, 1)})
	p.wantRST(5, frame.ErrCodeFlowControl)
	for _, f := range p.frames() {
		if r, ok := f.(*frame.RSTStream); ok {
			t.Fatalf("unexpected reset %+v", r)
		}
	}
}

// TestFlowResetRefundsConnectionWindow: bytes SendData accepted but never
// written (the peer reset the stream) return to the connection window.
func TestFlowResetRefundsConnectionWindow(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.settings(uint32(frame.SettingInitialWindowSize), 0)
	for _, id := range []uint32{1, 3} {
		p.get(id, "/")
		wantEvent[*RequestReceived](p)
		p.c.SendHeaders(id, fields(":status", "200"), false)
	}
	p.frames()
	// Stream 1 gets a window but stays unwritten: its bytes hold the
	// connection window.
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 65535})
	p.write(&frame.Settings{Settings: settingList(uint32(frame.SettingInitialWindowSize), 0)})
	if n, _ := p.c.SendData(1, make([]byte, 65535), false); n != 65535 {
		t.Fatalf("SendData = %d", n)
	}
	p.write(&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel})
	p.drainEvents()
	p.write(&frame.WindowUpdate{StreamID: 3, Increment: 65535})
	if n, _ := p.c.SendData(3, make([]byte, 65535), false); n != 65535 {
		t.Fatalf("SendData on stream 3 = %d, want 65535: the reset stream's credit is back", n)
	}
}

// TestFlowBufferLimit: SendData also stops at Limits.MaxStreamSendBuffer
// and reports WindowUpdated once the buffer drains.
func TestFlowBufferLimit(t *testing.T) {
	p := serverWithGet(t, Config{Limits: Limits{MaxStreamSendBuffer: 1000}})
	if n, _ := p.c.SendData(1, make([]byte, 5000), false); n != 1000 {
		t.Fatalf("SendData = %d, want 1000", n)
	}
	if got := dataBytes(p.frames())[1]; got != 1000 {
		t.Fatalf("wrote %d", got)
	}
	if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 1 {
		t.Fatalf("%+v", ev)
	}
	if n, _ := p.c.SendData(1, make([]byte, 5000), false); n != 1000 {
		t.Fatalf("SendData = %d, want 1000", n)
	}
}

// TestFlowWindowUpdateMalformed: RFC 9113, Section 6.9 — an increment of
// 0 is a PROTOCOL_ERROR (connection error on stream 0, stream error on a
// stream); a length other than 4 is a FRAME_SIZE_ERROR.
func TestFlowWindowUpdateMalformed(t *testing.T) {
	p := serverWithGet(t, Config{})
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 0})
	p.wantGoAway(frame.ErrCodeProtocol)

	p = serverWithGet(t, Config{})
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 0})
	p.wantRST(1, frame.ErrCodeProtocol)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}

	p = serverWithGet(t, Config{})
	p.writeRaw([]byte{0, 0, 3, 8, 0, 0, 0, 0, 0, 0, 0, 1})
	p.wantGoAway(frame.ErrCodeFrameSize)
}

// TestFlowWindowUpdateOnClosedStream: RFC 9113, Section 5.1 — a
// WINDOW_UPDATE for a stream that just ended is ignored.
func TestFlowWindowUpdateOnClosedStream(t *testing.T) {
	p := serverWithGet(t, Config{})
	p.c.SendData(1, []byte("x"), true)
	p.frames()
	if p.c.State(1) != StateClosed {
		t.Fatal(p.c.State(1))
	}
	p.write(&frame.WindowUpdate{StreamID: 1, Increment: 100})
	p.wantNoFrame()
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// Section 6.9.2: a stream opened before our SETTINGS (with a small
// INITIAL_WINDOW_SIZE) is acknowledged keeps reopening its window by half
// of that size, not byte by byte: 1 MiB through 16 KiB windows costs about
// 1 MiB / 8 KiB stream WINDOW_UPDATEs.
func TestFlowWindowUpdatesForStreamOpenedBeforeAck(t *testing.T) {
	rec := &traceRec{}
	p := &pipe{t: t, now: t0}
	p.client = NewConn(Config{Role: Client, Tracer: rec, Settings: Settings{InitialWindowSize: 16384}}, p.now)
	p.srv = NewConn(Config{Role: Server}, p.now)
	// The request goes out with the client's SETTINGS, before any ACK.
	id, err := p.client.SendRequest(fields(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"), true)
	if err != nil {
		t.Fatal(err)
	}
	p.run()
	if err := p.srv.SendHeaders(id, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 1<<20)
	sent, got := 0, 0
	for got < len(body) {
		if sent < len(body) {
			n, err := p.srv.SendData(id, body[sent:], true)
			if err != nil {
				t.Fatal(err)
			}
			sent += n
		}
		p.run()
		for _, ev := range p.cEvents {
			if d, ok := ev.(*DataReceived); ok {
				for off := 0; off < len(d.Data); off += 1000 { // small reads
					p.client.ConsumeData(id, min(1000, len(d.Data)-off))
				}
				got += len(d.Data)
			}
		}
		p.cEvents = nil
		p.run()
	}
	updates := 0
	for _, f := range rec.sent {
		if w, ok := f.f.(*frame.WindowUpdate); ok && w.StreamID == id {
			updates++
		}
	}
	if want := (1 << 20) / 8192; updates > want+8 {
		t.Fatalf("%d stream WINDOW_UPDATEs for 1 MiB through 16 KiB windows, want about %d", updates, want)
	}
}

// TestFlowWindowUpdatedWithoutRefusal: an application that never offers
// SendData more than the flow-control window allows (h2server holds its
// handlers' bytes back, see SendFlowWindow) is told when the window
// reopens: after a write that used the window up, and on a stream whose
// window was not open to begin with (RFC 9113, Section 6.9.2: SETTINGS
// may set it to 0). Without the event such an application waits forever.
func TestFlowWindowUpdatedWithoutRefusal(t *testing.T) {
	t.Run("used up", func(t *testing.T) {
		p := serverWithGet(t, Config{})
		if w := p.c.SendFlowWindow(1); w != 65535 {
			t.Fatalf("SendFlowWindow = %d, want 65535", w)
		}
		if n, err := p.c.SendData(1, make([]byte, 65535), false); n != 65535 || err != nil {
			t.Fatalf("SendData = %d, %v", n, err)
		}
		p.frames()
		if w := p.c.SendFlowWindow(1); w != 0 {
			t.Fatalf("SendFlowWindow = %d after using the window up", w)
		}
		p.write(&frame.WindowUpdate{StreamID: 1, Increment: 100})
		if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 1 {
			t.Fatalf("WindowUpdated %+v, want stream 1", ev)
		}
		p.write(&frame.WindowUpdate{StreamID: 0, Increment: 100})
		if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 0 {
			t.Fatalf("WindowUpdated %+v, want the connection's", ev)
		}
		// Window open and nothing refused: no more events.
		p.write(&frame.WindowUpdate{StreamID: 1, Increment: 100})
		p.wantNoEvent()
	})
	t.Run("initial window 0", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.settings(uint32(frame.SettingInitialWindowSize), 0)
		p.get(1, "/")
		wantEvent[*RequestReceived](p)
		if err := p.c.SendHeaders(1, fields(":status", "200"), false); err != nil {
			t.Fatal(err)
		}
		p.frames()
		if w := p.c.SendFlowWindow(1); w != 0 {
			t.Fatalf("SendFlowWindow = %d with an initial window of 0", w)
		}
		p.write(&frame.Settings{Settings: settingList(uint32(frame.SettingInitialWindowSize), 1)})
		if ev := wantEvent[*WindowUpdated](p); ev.StreamID != 1 {
			t.Fatalf("WindowUpdated %+v, want stream 1", ev)
		}
	})
	t.Run("ended streams are not reported", func(t *testing.T) {
		p := serverWithGet(t, Config{})
		if n, _ := p.c.SendData(1, make([]byte, 65535), true); n != 65535 {
			t.Fatalf("SendData = %d", n)
		}
		p.frames()
		p.write(&frame.WindowUpdate{StreamID: 0, Increment: 100})
		wantEvent[*WindowUpdated](p) // the connection's
		p.wantNoEvent()
	})
}

// SendWindows is SendWindow and SendFlowWindow in one call, in every
// state of the windows and the send buffer: open, data buffered but not
// written, window used up, window below zero after SETTINGS lowered it
// (RFC 9113, Section 6.9.2), and a stream that is not open.
func TestSendWindowsSameAsBoth(t *testing.T) {
	p := serverWithGet(t, Config{Limits: Limits{MaxStreamSendBuffer: 30000}})
	check := func(when string, id uint32) {
		t.Helper()
		w, f := p.c.SendWindows(id)
		if ww, ff := p.c.SendWindow(id), p.c.SendFlowWindow(id); w != ww || f != ff {
			t.Fatalf("%s: SendWindows = %d, %d; SendWindow, SendFlowWindow = %d, %d", when, w, f, ww, ff)
		}
	}
	check("open", 1)
	if n, err := p.c.SendData(1, make([]byte, 20000), false); n != 20000 || err != nil {
		t.Fatalf("SendData = %d, %v", n, err)
	}
	check("buffered", 1)
	if w, f := p.c.SendWindows(1); w >= f {
		t.Fatalf("with 20000 of 30000 bytes of buffer used, SendWindows = %d, %d: want the buffer to count against the first only", w, f)
	}
	p.frames()
	check("written", 1)
	for _, n := range []int{30000, 65535 - 20000 - 30000} { // the buffer takes 30000 at a time
		if k, err := p.c.SendData(1, make([]byte, n), false); k != n || err != nil {
			t.Fatalf("SendData(%d) = %d, %v", n, k, err)
		}
		p.frames()
	}
	if _, f := p.c.SendWindows(1); f != 0 {
		t.Fatalf("window used up: SendWindows' flow window = %d", f)
	}
	check("used up", 1)
	p.settings(uint32(frame.SettingInitialWindowSize), 1000)
	if _, f := p.c.SendWindows(1); f != 0 {
		t.Fatalf("window below zero: SendWindows' flow window = %d, want 0", f)
	}
	check("below zero", 1)
	check("not open", 3)
}
