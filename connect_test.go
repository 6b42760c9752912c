package h2kit

import (
	"bytes"
	"errors"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// The rules of RFC 8441 (extended CONNECT, WebSockets over HTTP/2), one
// test per rule; the request checks themselves are in message.go, the
// setting in settings.go, the sending side in connect.go.

// wsRequest is a well-formed extended CONNECT (RFC 8441, Section 5).
var wsRequest = []string{":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", ":authority", "server.example.com",
	"sec-websocket-version", "13"}

// TestConnectSettingSentOnlyWhenEnabled: RFC 8441, Section 3 — the
// setting is sent (as 1) when the application enables it, and not at
// all otherwise.
func TestConnectSettingSentOnlyWhenEnabled(t *testing.T) {
	for _, on := range []bool{false, true} {
		tr := &traceRec{}
		p := newRawPeer(t, Config{Role: Server, Settings: Settings{EnableConnectProtocol: on}, Tracer: tr})
		p.handshake()
		st := tr.sent[0].f.(*frame.Settings)
		v, ok := st.Value(frame.SettingEnableConnectProtocol)
		if ok != on || (on && v != 1) {
			t.Fatalf("enabled %v: SETTINGS %v", on, st.Settings)
		}
		// UpdateSettings cannot take it back (Section 3: never 1 -> 0).
		if on {
			if err := p.c.UpdateSettings(Settings{}); err != nil {
				t.Fatal(err)
			}
			if !p.c.LocalSettings().EnableConnectProtocol {
				t.Fatal("UpdateSettings withdrew SETTINGS_ENABLE_CONNECT_PROTOCOL")
			}
		}
	}
}

// TestConnectSettingPeerWithdraws: RFC 8441, Section 3 — a peer that sends
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 0 after 1 commits a connection error
// (PROTOCOL_ERROR); 0 after 0 and 1 after 1 are fine.
func TestConnectSettingPeerWithdraws(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.settings(sConnect, 0)
	p.settings(sConnect, 1)
	p.settings(sConnect, 1)
	if p.c.Err() != nil || !p.c.PeerSettings().EnableConnectProtocol {
		t.Fatalf("err %v, settings %+v", p.c.Err(), p.c.PeerSettings())
	}
	p.write(&frame.Settings{Settings: settingList(sConnect, 0)})
	p.wantGoAway(frame.ErrCodeProtocol)
	if !errors.Is(p.c.Err(), &ConnError{Code: frame.ErrCodeProtocol}) {
		t.Fatalf("Err() = %v", p.c.Err())
	}
}

// TestConnectServerRequestRules: RFC 8441, Section 4 (and RFC 9113,
// Section 8.1.1) — a server that advertised the setting accepts CONNECT
// with :protocol, :scheme, :path and :authority; :protocol on another
// method, an empty one, or an extended CONNECT without :scheme, :path or
// :authority is malformed: a stream error PROTOCOL_ERROR, and the
// connection goes on.
func TestConnectServerRequestRules(t *testing.T) {
	drop := func(name string) []string {
		var out []string
		for i := 0; i < len(wsRequest); i += 2 {
			if wsRequest[i] != name {
				out = append(out, wsRequest[i], wsRequest[i+1])
			}
		}
		return out
	}
	set := func(name, v string) []string {
		out := append([]string(nil), wsRequest...)
		for i := 0; i < len(out); i += 2 {
			if out[i] == name {
				out[i+1] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"websocket", wsRequest, true},
		{"other protocol token", set(":protocol", "connect-udp"), true},
		{":protocol on GET", set(":method", "GET"), false},
		{":protocol on POST", set(":method", "POST"), false},
		{"empty :protocol", set(":protocol", ""), false},
		{"without :path", drop(":path"), false},
		{"empty :path", set(":path", ""), false},
		{"without :scheme", drop(":scheme"), false},
		{"without :authority", drop(":authority"), false},
		{"connection-specific upgrade field", append(append([]string(nil), wsRequest...), "upgrade", "websocket"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server, Settings: Settings{EnableConnectProtocol: true}})
			p.headers(1, false, tc.kv...)
			if tc.ok {
				ev := wantEvent[*RequestReceived](p)
				if ev.EndStream || fieldValue(ev.Fields, ":protocol") != fieldValue(fields(tc.kv...), ":protocol") {
					t.Fatalf("request %+v", ev)
				}
				p.wantNoFrame()
				return
			}
			p.wantRST(1, frame.ErrCodeProtocol)
			if ev := wantEvent[*StreamReset](p); ev.StreamID != 1 || ev.Initiator != Local {
				t.Fatalf("reset %+v", ev)
			}
			// The connection goes on (a stream error, not a connection error).
			p.get(3, "/")
			wantEvent[*RequestReceived](p)
		})
	}
}

// TestConnectServerNotEnabled: RFC 8441, Section 3 — without our setting
// advertised, a :protocol pseudo-header field is one the server does not
// know (RFC 9113, Section 8.3): the request is malformed, a stream error
// PROTOCOL_ERROR.
func TestConnectServerNotEnabled(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.headers(1, false, wsRequest...)
	p.wantRST(1, frame.ErrCodeProtocol)
	if ev := wantEvent[*StreamReset](p); ev.StreamID != 1 || ev.Initiator != Local {
		t.Fatalf("reset %+v", ev)
	}
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestConnectPlainKeepsItsRules: RFC 9113, Section 8.5 — a CONNECT
// without :protocol has only :method and :authority, also on a server
// that enabled extended CONNECT.
func TestConnectPlainKeepsItsRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"authority only", []string{":method", "CONNECT", ":authority", "proxy.example:443"}, true},
		{"with :path", []string{":method", "CONNECT", ":authority", "proxy.example:443", ":path", "/"}, false},
		{"with :scheme", []string{":method", "CONNECT", ":authority", "proxy.example:443", ":scheme", "https"}, false},
		{"without :authority", []string{":method", "CONNECT"}, false},
	} {
		p := newPeer(t, Config{Role: Server, Settings: Settings{EnableConnectProtocol: true}})
		p.headers(1, false, tc.kv...)
		if tc.ok {
			wantEvent[*RequestReceived](p)
			continue
		}
		p.wantRST(1, frame.ErrCodeProtocol)
	}
}

// TestConnectClientWaitsForSetting: RFC 8441, Section 3 — a client does
// not send :protocol before the server's SETTINGS said 1: SendRequest
// returns ErrExtendedConnectDisabled before the SETTINGS arrive and after
// SETTINGS without it, and sends the request once it is there. A request
// the server would have to reset as malformed (Section 4) is refused with
// ErrMalformedRequest. Plain CONNECT needs no setting.
func TestConnectClientWaitsForSetting(t *testing.T) {
	p := newRawPeer(t, Config{Role: Client})
	if p.c.PeerSettingsReceived() {
		t.Fatal("PeerSettingsReceived before any SETTINGS")
	}
	if _, err := p.c.SendRequest(fields(wsRequest...), false); !errors.Is(err, ErrExtendedConnectDisabled) {
		t.Fatalf("before SETTINGS: %v", err)
	}
	p.handshake() // SETTINGS without the parameter
	if !p.c.PeerSettingsReceived() {
		t.Fatal("PeerSettingsReceived after SETTINGS")
	}
	if _, err := p.c.SendRequest(fields(wsRequest...), false); !errors.Is(err, ErrExtendedConnectDisabled) {
		t.Fatalf("after SETTINGS without it: %v", err)
	}
	if _, err := p.c.SendRequest(fields(":method", "CONNECT", ":authority", "proxy.example:443"), false); err != nil {
		t.Fatalf("plain CONNECT: %v", err)
	}
	p.wantHeaders(1, false)
	p.settings(sConnect, 1)
	if _, err := p.c.SendRequest(fields(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a"), false); !errors.Is(err, ErrMalformedRequest) {
		t.Fatalf("without :path: %v", err)
	}
	if _, err := p.c.SendRequest(fields(":method", "GET", ":protocol", "websocket", ":scheme", "https", ":path", "/", ":authority", "a"), false); !errors.Is(err, ErrMalformedRequest) {
		t.Fatalf("on GET: %v", err)
	}
	id, err := p.c.SendRequest(fields(wsRequest...), false)
	if err != nil || id != 3 {
		t.Fatalf("SendRequest = %d, %v", id, err)
	}
	if fs := p.wantHeaders(3, false); fieldValue(fs, ":protocol") != "websocket" || fieldValue(fs, ":path") != "/chat" {
		t.Fatalf("sent %v", fs)
	}
}

// TestConnectFullDuplex: RFC 8441, Section 5 — after the 200 the stream
// is a byte stream both ways, like the TCP connection of RFC 6455: both
// sides send more than the initial windows at the same time under flow
// control, and each ends its direction with END_STREAM (the orderly
// close); a second stream is reset with CANCEL (the abortive close).
func TestConnectFullDuplex(t *testing.T) {
	small := Settings{InitialWindowSize: 16384}
	srvSettings := small
	srvSettings.EnableConnectProtocol = true
	p := newPipe(t, Config{Settings: small, ConnectionWindow: 65535}, Config{Settings: srvSettings, ConnectionWindow: 65535})
	open := func() uint32 {
		id, err := p.client.SendRequest(fields(wsRequest...), false)
		if err != nil {
			t.Fatal(err)
		}
		p.run()
		if rq := eventsOf[*RequestReceived](p.sEvents); len(rq) != 1 || rq[0].StreamID != id || rq[0].EndStream {
			t.Fatalf("server events %v", p.sEvents)
		}
		if err := p.srv.SendHeaders(id, fields(":status", "200"), false); err != nil {
			t.Fatal(err)
		}
		p.cEvents, p.sEvents = nil, nil
		p.run()
		if rs := eventsOf[*ResponseReceived](p.cEvents); len(rs) != 1 || rs[0].EndStream {
			t.Fatalf("client events %v", p.cEvents)
		}
		p.cEvents = nil
		return id
	}
	id := open()
	up, down := pattern(300000, 1), pattern(250000, 2)
	var gotUp, gotDown []byte
	upLeft, downLeft := up, down
	upEnd, downEnd := false, false
	for i := 0; i < 10000 && !(upEnd && downEnd); i++ {
		if len(upLeft) > 0 {
			n, err := p.client.SendData(id, upLeft, false)
			if err != nil {
				t.Fatal(err)
			}
			upLeft = upLeft[n:]
			if len(upLeft) == 0 {
				p.client.SendData(id, nil, true)
			}
		}
		if len(downLeft) > 0 {
			n, err := p.srv.SendData(id, downLeft, false)
			if err != nil {
				t.Fatal(err)
			}
			downLeft = downLeft[n:]
			if len(downLeft) == 0 {
				p.srv.SendData(id, nil, true)
			}
		}
		p.run()
		for _, d := range eventsOf[*DataReceived](p.sEvents) {
			gotUp = append(gotUp, d.Data...)
			p.srv.ConsumeData(id, d.FlowControlledLen)
			upEnd = upEnd || d.EndStream
		}
		for _, d := range eventsOf[*DataReceived](p.cEvents) {
			gotDown = append(gotDown, d.Data...)
			p.client.ConsumeData(id, d.FlowControlledLen)
			downEnd = downEnd || d.EndStream
		}
		p.cEvents, p.sEvents = nil, nil
	}
	p.run()
	if !bytes.Equal(gotUp, up) || !bytes.Equal(gotDown, down) || !upEnd || !downEnd {
		t.Fatalf("up %d/%d end %v, down %d/%d end %v", len(gotUp), len(up), upEnd, len(gotDown), len(down), downEnd)
	}
	if p.client.State(id) != StateClosed || p.srv.State(id) != StateClosed {
		t.Fatalf("states %v %v", p.client.State(id), p.srv.State(id))
	}

	// The abortive close: RST_STREAM CANCEL, seen by the server as a
	// remote reset; the connection goes on.
	id = open()
	if _, err := p.srv.SendData(id, []byte("half a message"), false); err != nil {
		t.Fatal(err)
	}
	p.run()
	if err := p.client.ResetStream(id, frame.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	p.sEvents = nil
	p.run()
	rs := eventsOf[*StreamReset](p.sEvents)
	if len(rs) != 1 || rs[0].StreamID != id || rs[0].Code != frame.ErrCodeCancel || rs[0].Initiator != Remote {
		t.Fatalf("server events %v", p.sEvents)
	}
	if p.client.Err() != nil || p.srv.Err() != nil {
		t.Fatal(p.client.Err(), p.srv.Err())
	}
}

// TestConnectClientIgnoresContentLength: RFC 9110, Section 9.3.6 — a
// client ignores Content-Length in a 2xx response to CONNECT: the tunnel's
// DATA (RFC 8441, Section 5) is not held to it. In a response to another
// method it still counts (RFC 9113, Section 8.1.1).
func TestConnectClientIgnoresContentLength(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.settings(sConnect, 1)
	id, err := p.c.SendRequest(fields(wsRequest...), false)
	if err != nil {
		t.Fatal(err)
	}
	p.wantHeaders(id, false)
	p.headers(id, false, ":status", "200", "content-length", "0")
	if ev := wantEvent[*ResponseReceived](p); ev.EndStream {
		t.Fatalf("response %+v", ev)
	}
	p.write(&frame.Data{StreamID: id, Data: []byte("tunnel bytes")})
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "tunnel bytes" {
		t.Fatalf("data %+v", ev)
	}
	p.wantNoFrame()

	id, err = p.c.SendRequest(fields(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), true)
	if err != nil {
		t.Fatal(err)
	}
	p.wantHeaders(id, true)
	p.headers(id, false, ":status", "200", "content-length", "0")
	wantEvent[*ResponseReceived](p)
	p.write(&frame.Data{StreamID: id, Data: []byte("more")})
	p.wantRST(id, frame.ErrCodeProtocol)
}
