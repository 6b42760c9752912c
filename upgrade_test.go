package h2kit

// h2c Upgrade (RFC 7540, Section 3.2; RFC 9113, Section 3.1 keeps the
// mechanism for existing deployments): the HTTP2-Settings value, stream
// 1 half-closed on both ends, the response on stream 1.

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

var upgradeReq = []string{":method", "GET", ":scheme", "http", ":authority", "a.example", ":path", "/up"}

func TestHTTP2SettingsRoundTrip(t *testing.T) {
	want := Settings{HeaderTableSize: 8192, DisablePush: true, MaxConcurrentStreams: 50,
		InitialWindowSize: 1 << 20, MaxFrameSize: 32768, MaxHeaderListSize: 10000, EnableConnectProtocol: true}
	v := EncodeHTTP2Settings(want)
	if strings.ContainsAny(v, "=+/") {
		t.Fatalf("%q is not unpadded base64url", v)
	}
	for _, value := range []string{v, v + strings.Repeat("=", (4-len(v)%4)%4)} {
		p := newRawPeer(t, Config{Role: Server})
		mustSend(t, p.c.UpgradeServer(value, fields(upgradeReq...), nil))
		got := p.c.PeerSettings()
		if got.HeaderTableSize != 8192 || !got.DisablePush || got.MaxConcurrentStreams != 50 ||
			got.InitialWindowSize != 1<<20 || got.MaxFrameSize != 32768 || got.MaxHeaderListSize != 10000 ||
			!got.EnableConnectProtocol {
			t.Fatalf("%q: peer settings %+v", value, got)
		}
	}
	// Defaults encode too; an empty value means no change.
	if _, err := decodeHTTP2Settings(EncodeHTTP2Settings(Settings{})); err != nil {
		t.Fatal(err)
	}
	if ss, err := decodeHTTP2Settings(""); err != nil || len(ss) != 0 {
		t.Fatalf("empty value: %v %v", ss, err)
	}
}

func TestUpgradeServerInvalid(t *testing.T) {
	enc := func(id frame.SettingID, v uint32) string {
		f := frame.Settings{Settings: []frame.Setting{{ID: id, Val: v}}}
		return base64.RawURLEncoding.EncodeToString(f.Append(nil)[frame.HeaderLen:])
	}
	for name, v := range map[string]string{
		"not base64":          "AAMAAABk!",
		"standard alphabet":   base64.RawStdEncoding.EncodeToString([]byte{0, 3, 0xff, 0xff, 0xfb, 0xff}),
		"length 5":            base64.RawURLEncoding.EncodeToString([]byte{0, 3, 0, 0, 1}),
		"ENABLE_PUSH 2":       enc(frame.SettingEnablePush, 2),
		"window over 2^31-1":  enc(frame.SettingInitialWindowSize, 1<<31),
		"MAX_FRAME_SIZE tiny": enc(frame.SettingMaxFrameSize, 100),
	} {
		p := newRawPeer(t, Config{Role: Server})
		if err := p.c.UpgradeServer(v, fields(upgradeReq...), nil); !errors.Is(err, ErrUpgradeSettings) {
			t.Errorf("%s: error %v, want one wrapping ErrUpgradeSettings", name, err)
		}
		if st := p.c.State(1); st != StateIdle {
			t.Errorf("%s: stream 1 %v", name, st)
		}
		p.wantNoEvent()
	}
	p := newRawPeer(t, Config{Role: Server})
	if err := p.c.UpgradeServer("", fields(":method", "GET"), nil); err == nil || errors.Is(err, ErrUpgradeSettings) {
		t.Errorf("malformed upgraded request: error %v, want one that is not ErrUpgradeSettings", err)
	}
	if st := p.c.State(1); st != StateIdle || p.c.PeerSettings().MaxConcurrentStreams != 1<<31-1 {
		t.Errorf("a refused upgrade changed the engine: %v %+v", st, p.c.PeerSettings())
	}
	mustSend(t, p.c.UpgradeServer("", fields(upgradeReq...), nil))
	if err := p.c.UpgradeServer("", fields(upgradeReq...), nil); err == nil {
		t.Error("second upgrade accepted")
	}
	if err := newRawPeer(t, Config{Role: Client}).c.UpgradeServer("", fields(upgradeReq...), nil); err != ErrWrongRole {
		t.Errorf("client UpgradeServer: %v", err)
	}
	if _, err := p.c.UpgradeClient(false); err != ErrWrongRole {
		t.Errorf("server UpgradeClient: %v", err)
	}
}

// The upgraded request is stream 1, half-closed (remote); its response
// goes out on stream 1; the client preface still follows.
func TestUpgradeServer(t *testing.T) {
	for _, body := range []string{"", "form=1"} {
		p := newRawPeer(t, Config{Role: Server})
		mustSend(t, p.c.UpgradeServer(EncodeHTTP2Settings(Settings{}), fields(upgradeReq...), []byte(body)))
		if st := p.c.State(1); st != StateHalfClosedRemote {
			t.Fatalf("stream 1 %v", st)
		}
		ev := wantEvent[*RequestReceived](p)
		if ev.StreamID != 1 || ev.EndStream != (body == "") || fieldValue(ev.Fields, ":path") != "/up" {
			t.Fatalf("request %+v", ev)
		}
		if body != "" {
			d := wantEvent[*DataReceived](p)
			if string(d.Data) != body || !d.EndStream || d.FlowControlledLen != 0 {
				t.Fatalf("body %+v", d)
			}
			p.c.ConsumeData(1, len(d.Data)) // not flow controlled: nothing to give back
		}
		p.wantFrameType(frame.TypeSettings) // the server preface
		p.wantNoFrame()
		// The client preface and SETTINGS, then stream 1 is answered.
		p.writeRaw([]byte(frame.ClientPreface))
		p.write(&frame.Settings{})
		p.wantSettingsAck()
		mustSend(t, p.c.SendHeaders(1, fields(resp200...), false))
		_, err := p.c.SendData(1, []byte("hi"), true)
		mustSend(t, err)
		p.wantHeaders(1, false)
		if d := p.wantFrame(frame.TypeData).(*frame.Data); d.StreamID != 1 || !d.EndStream || string(d.Data) != "hi" {
			t.Fatalf("DATA %+v", d)
		}
		if st := p.c.State(1); st != StateClosed {
			t.Fatalf("stream 1 after the response: %v", st)
		}
		// The next stream is 3.
		p.drain()
		p.get(3, "/")
		if ev := wantEvent[*RequestReceived](p); ev.StreamID != 3 {
			t.Fatalf("request on %d", ev.StreamID)
		}
	}
	// Stream 1 is half-closed (remote): the client cannot send on it.
	p := newRawPeer(t, Config{Role: Server})
	mustSend(t, p.c.UpgradeServer("", fields(upgradeReq...), nil))
	p.writeRaw([]byte(frame.ClientPreface))
	p.write(&frame.Settings{})
	p.drain()
	p.write(&frame.Data{StreamID: 1, Data: []byte("x")})
	p.wantRST(1, frame.ErrCodeStreamClosed)
	// And a bad client preface is still an error.
	q := newRawPeer(t, Config{Role: Server})
	mustSend(t, q.c.UpgradeServer("", fields(upgradeReq...), nil))
	q.writeRaw([]byte("GET / HTTP/1.1\r\n\r\n"))
	q.wantGoAway(frame.ErrCodeProtocol)
}

// The client's upgraded request is stream 1, half-closed (local).
func TestUpgradeClient(t *testing.T) {
	p := newRawPeer(t, Config{Role: Client})
	id, err := p.c.UpgradeClient(false)
	if err != nil || id != 1 {
		t.Fatalf("UpgradeClient = %d, %v", id, err)
	}
	if st := p.c.State(1); st != StateHalfClosedLocal {
		t.Fatalf("stream 1 %v", st)
	}
	if _, err := p.c.SendData(1, []byte("x"), true); err != ErrStreamClosed {
		t.Fatalf("SendData on stream 1: %v", err)
	}
	if _, err := p.c.UpgradeClient(false); err == nil {
		t.Fatal("second UpgradeClient accepted")
	}
	p.handshake()
	p.headers(1, false, resp200...)
	p.write(&frame.Data{StreamID: 1, EndStream: true, Data: []byte("ok")})
	if ev := wantEvent[*ResponseReceived](p); ev.StreamID != 1 {
		t.Fatalf("response %+v", ev)
	}
	wantEvent[*DataReceived](p)
	if st := p.c.State(1); st != StateClosed {
		t.Fatalf("stream 1 %v", st)
	}
	if id := p.request(getReq, true); id != 3 {
		t.Fatalf("next request on %d", id)
	}
	// A HEAD request has no response body.
	h := newRawPeer(t, Config{Role: Client})
	h.c.UpgradeClient(true)
	h.handshake()
	h.headers(1, false, ":status", "200", "content-length", "10")
	h.write(&frame.Data{StreamID: 1, EndStream: true, Data: []byte("0123456789")})
	h.wantRST(1, frame.ErrCodeProtocol)
}

// Both ends upgraded, wired together.
func TestUpgradeBothEnds(t *testing.T) {
	cs := Settings{InitialWindowSize: 100000, MaxConcurrentStreams: 10}
	p := &pipe{t: t, now: t0}
	p.client = NewConn(Config{Role: Client, Settings: cs}, p.now)
	p.srv = NewConn(Config{Role: Server}, p.now)
	if _, err := p.client.UpgradeClient(false); err != nil {
		t.Fatal(err)
	}
	mustSend(t, p.srv.UpgradeServer(EncodeHTTP2Settings(cs), fields(upgradeReq...), nil))
	p.run()
	if reqs := eventsOf[*RequestReceived](p.sEvents); len(reqs) != 1 || reqs[0].StreamID != 1 {
		t.Fatalf("server events %v", p.sEvents)
	}
	mustSend(t, p.srv.SendHeaders(1, fields(resp200...), false))
	_, err := p.srv.SendData(1, []byte("hello"), true)
	mustSend(t, err)
	p.run()
	if rs := eventsOf[*ResponseReceived](p.cEvents); len(rs) != 1 || rs[0].StreamID != 1 {
		t.Fatalf("client events %v", p.cEvents)
	}
	if ds := eventsOf[*DataReceived](p.cEvents); len(ds) != 1 || string(ds[0].Data) != "hello" || !ds[0].EndStream {
		t.Fatalf("client events %v", p.cEvents)
	}
	if p.client.State(1) != StateClosed || p.srv.State(1) != StateClosed {
		t.Fatalf("states %v %v", p.client.State(1), p.srv.State(1))
	}
	if p.client.Err() != nil || p.srv.Err() != nil {
		t.Fatal(p.client.Err(), p.srv.Err())
	}
}
