package h2kit

// Starting HTTP/2: RFC 9113, Section 3.4 (the connection preface), for
// both roles and any chunking of the input.

import (
	"errors"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// feed gives b to the engine n bytes at a time (all at once if n <= 0),
// stopping at the first error.
func (p *peer) feed(b []byte, n int) {
	p.t.Helper()
	if n <= 0 {
		n = len(b)
	}
	for off := 0; off < len(b) && p.err == nil; off += n {
		p.writeRaw(b[off:min(off+n, len(b))])
	}
}

// Section 3.4: the server's preface (SETTINGS) goes out at once, before
// the client sent anything.
func TestPrefaceServerSendsSettingsFirst(t *testing.T) {
	p := newRawPeer(t, Config{Role: Server})
	st := p.wantFrameType(frame.TypeSettings).(*frame.Settings)
	if st.Ack {
		t.Fatal("first frame is a SETTINGS ACK")
	}
	got := map[frame.SettingID]uint32{}
	for _, s := range st.Settings {
		got[s.ID] = s.Val
	}
	if v, ok := got[frame.SettingEnablePush]; !ok || v != 0 {
		t.Errorf("server SETTINGS_ENABLE_PUSH = %d, %v; want 0", v, ok)
	}
	if got[frame.SettingMaxConcurrentStreams] != 100 {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS = %d", got[frame.SettingMaxConcurrentStreams])
	}
	// The connection window follows; nothing else.
	for f := p.nextFrame(); f != nil; f = p.nextFrame() {
		if w, ok := f.(*frame.WindowUpdate); !ok || w.StreamID != 0 {
			t.Fatalf("unexpected %v %+v", f.FrameHeader().Type, f)
		}
	}
	// Part of the preface changes nothing.
	p.writeRaw([]byte(frame.ClientPreface[:10]))
	p.wantNoFrame()
	p.wantNoEvent()
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// Section 3.4: the client sends the preface, then SETTINGS, first.
func TestPrefaceClientSendsPrefaceFirst(t *testing.T) {
	for _, disablePush := range []bool{false, true} {
		p := newRawPeer(t, Config{Role: Client, Settings: Settings{DisablePush: disablePush}})
		p.wantPreface()
		st := p.wantFrameType(frame.TypeSettings).(*frame.Settings)
		if st.Ack {
			t.Fatal("SETTINGS ACK")
		}
		push, sent := uint32(1), false
		for _, s := range st.Settings {
			if s.ID == frame.SettingEnablePush {
				push, sent = s.Val, true
			}
		}
		if disablePush != (sent && push == 0) {
			t.Errorf("DisablePush %v: ENABLE_PUSH sent %v value %d", disablePush, sent, push)
		}
	}
}

// Section 3.4: the server checks the preface byte for byte, however it
// is split, then expects SETTINGS.
func TestPrefaceServerAnyChunking(t *testing.T) {
	in := append([]byte(frame.ClientPreface), (&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: 1000}}}).Append(nil)...)
	in = (&frame.Ping{Data: [8]byte{7}}).Append(in)
	for _, chunk := range []int{0, 1, 2, 5, 23, 24, 25, 33} {
		p := newRawPeer(t, Config{Role: Server})
		p.wantFrameType(frame.TypeSettings)
		p.feed(in, chunk)
		if p.err != nil {
			t.Fatalf("chunk %d: %v", chunk, p.err)
		}
		p.wantSettingsAck()
		if pg := p.wantFrame(frame.TypePing).(*frame.Ping); !pg.Ack || pg.Data[0] != 7 {
			t.Fatalf("chunk %d: PING %+v", chunk, pg)
		}
		if ev := wantEvent[*SettingsReceived](p); len(ev.Settings) != 1 {
			t.Fatalf("chunk %d: %+v", chunk, ev)
		}
	}
	// Every split point in two.
	for i := 1; i < len(frame.ClientPreface); i++ {
		p := newRawPeer(t, Config{Role: Server})
		p.writeRaw(in[:i])
		p.writeRaw(in[i:])
		if p.err != nil {
			t.Fatalf("split %d: %v", i, p.err)
		}
		wantEvent[*SettingsReceived](p)
	}
}

// Section 3.4: an invalid preface is a connection error of type
// PROTOCOL_ERROR; an HTTP/1.x request says so in the reason.
func TestPrefaceServerInvalid(t *testing.T) {
	for _, tc := range []struct {
		in    string
		http1 bool
	}{
		{"INVALID CONNECTION PREFACE\r\n\r\n", false}, // h2spec http2/3.5
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r", false},
		{"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", false},
		{"pri * HTTP/2.0\r\n\r\nSM\r\n\r\n", false},
		{"\x00\x00\x12\x04\x00\x00\x00\x00\x00", false},         // SETTINGS without the preface
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false}, // a TLS ClientHello
		{"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", true},
		{"POST /upload?x=1 HTTP/1.0\r\n", true},
		{"OPTIONS * HTTP/1.1\r\n\r\n", true},
		{"PRI * HTTP/1.1\r\n\r\n", true},
		{"PRIORITY / HTTP/1.1\r\n\r\n", true},
		{"GET /" + strings.Repeat("a", 300) + " HTTP/1.1\r\n", true},
		{"GET / HTTP/2.0\r\n", false},
		{"GET  / HTTP/1.1\r\n", false},
		{"get / HTTP/1.1\r\n", false},
	} {
		for _, chunk := range []int{0, 1, 3} {
			p := newRawPeer(t, Config{Role: Server})
			p.wantFrameType(frame.TypeSettings)
			p.drain()
			p.feed([]byte(tc.in), chunk)
			g := p.wantGoAway(frame.ErrCodeProtocol)
			if g.LastStreamID != 0 {
				t.Errorf("%q: GOAWAY last stream %d", tc.in, g.LastStreamID)
			}
			ce := p.err.(*ConnError)
			if got := strings.Contains(ce.Reason, "HTTP/1.x"); got != tc.http1 || ce.Initiator != Local {
				t.Errorf("%q chunk %d: reason %q initiator %v, want HTTP/1.x %v", tc.in, chunk, ce.Reason, ce.Initiator, tc.http1)
			}
			if tc.http1 && ce.Reason != ErrHTTP1.Error() {
				t.Errorf("%q: reason %q, want ErrHTTP1's text", tc.in, ce.Reason)
			}
			if errors.Is(p.err, ErrHTTP1) != tc.http1 {
				t.Errorf("%q: errors.Is(err, ErrHTTP1) = %v, want %v", tc.in, !tc.http1, tc.http1)
			}
			p.wantNoFrame()
			if ev := wantEvent[*ConnectionTerminated](p); ev.Err != p.err {
				t.Errorf("%q: terminated with %v", tc.in, ev.Err)
			}
			if _, err := p.c.Receive([]byte("more"), p.now); err != p.err {
				t.Errorf("%q: Receive after the error: %v", tc.in, err)
			}
		}
	}
}

// Section 3.4: a preface the server has not finished deciding about
// (it might be an HTTP/1.x request line) is not an error yet.
func TestPrefaceServerUndecided(t *testing.T) {
	p := newRawPeer(t, Config{Role: Server})
	p.drain()
	p.feed([]byte("GET /index.html HTT"), 1)
	if p.err != nil || p.c.Err() != nil {
		t.Fatalf("error before the request line is known: %v", p.err)
	}
	p.wantNoFrame()
	p.writeRaw([]byte("P/1.1\r\n"))
	p.wantGoAway(frame.ErrCodeProtocol)
}

// Section 3.4: the first frame after the preface must be SETTINGS,
// checked as soon as its header arrives.
func TestPrefaceFirstFrameNotSettings(t *testing.T) {
	for _, role := range []Role{Server, Client} {
		for name, first := range map[string][]byte{
			"PING":             (&frame.Ping{}).Append(nil),
			"SETTINGS ACK":     (&frame.Settings{Ack: true}).Append(nil),
			"HEADERS":          (&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: []byte{0x82}}).Append(nil),
			"WINDOW_UPDATE":    (&frame.WindowUpdate{Increment: 1}).Append(nil),
			"DATA header only": (&frame.Data{StreamID: 1, Data: make([]byte, 16384)}).Append(nil)[:frame.HeaderLen],
			"unknown type":     (&frame.Unknown{Hdr: frame.Header{Type: 0x20}, Payload: []byte{1}}).Append(nil),
		} {
			p := newRawPeer(t, Config{Role: role})
			if role == Server {
				p.writeRaw([]byte(frame.ClientPreface))
			} else {
				p.wantPreface()
			}
			p.drain()
			p.writeRaw(first)
			p.wantGoAway(frame.ErrCodeProtocol)
			if !strings.Contains(p.err.(*ConnError).Reason, "SETTINGS") {
				t.Errorf("%v %s: reason %q", role, name, p.err.(*ConnError).Reason)
			}
		}
	}
}

// Section 3.4: a client that gets an HTTP/1.x response instead of the
// server's SETTINGS says so.
func TestPrefaceClientGetsHTTP1Response(t *testing.T) {
	p := newRawPeer(t, Config{Role: Client})
	p.wantPreface()
	p.drain()
	p.writeRaw([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	p.wantGoAway(frame.ErrCodeProtocol)
	if r := p.err.(*ConnError).Reason; !strings.Contains(r, "HTTP/1.x") {
		t.Fatalf("reason %q", r)
	}
}

// Section 3.4: two engines start, one byte at a time, and exchange a
// request; each sends its SETTINGS before reading the other's.
func TestPrefaceBetweenEnginesOneByte(t *testing.T) {
	p := &pipe{t: t, now: t0, maxChunk: 1}
	p.client = NewConn(Config{Role: Client}, p.now)
	p.srv = NewConn(Config{Role: Server}, p.now)
	if !p.srv.WantWrite() || !p.client.WantWrite() {
		t.Fatal("an engine waits for its peer before sending its preface")
	}
	p.run()
	if len(eventsOf[*SettingsReceived](p.cEvents)) != 1 || len(eventsOf[*SettingsReceived](p.sEvents)) != 1 {
		t.Fatalf("events %v / %v", p.cEvents, p.sEvents)
	}
	id, err := p.client.SendRequest(fields(getReq...), true)
	mustSend(t, err)
	p.run()
	if reqs := eventsOf[*RequestReceived](p.sEvents); len(reqs) != 1 || reqs[0].StreamID != id {
		t.Fatalf("server events %v", p.sEvents)
	}
	if p.client.Err() != nil || p.srv.Err() != nil {
		t.Fatal(p.client.Err(), p.srv.Err())
	}
}
