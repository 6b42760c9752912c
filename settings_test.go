package h2kit

import (
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// SETTINGS: RFC 9113, Section 6.5.

const (
	sHeaderTable   = uint32(frame.SettingHeaderTableSize)
	sEnablePush    = uint32(frame.SettingEnablePush)
	sMaxStreams    = uint32(frame.SettingMaxConcurrentStreams)
	sInitialWindow = uint32(frame.SettingInitialWindowSize)
	sMaxFrame      = uint32(frame.SettingMaxFrameSize)
	sMaxHeaderList = uint32(frame.SettingMaxHeaderListSize)
	sConnect       = uint32(frame.SettingEnableConnectProtocol)
	sNo7540        = uint32(frame.SettingNoRFC7540Priorities)
	sTLSReneg      = uint32(frame.SettingTLSRenegPermitted)
)

// TestSettingsAckAndEvent: RFC 9113, Section 6.5.3 — SETTINGS are applied
// and acknowledged at once; the application sees them.
func TestSettingsAckAndEvent(t *testing.T) {
	for _, role := range []Role{Client, Server} {
		p := newPeer(t, Config{Role: role})
		p.write(&frame.Settings{Settings: settingList(sMaxStreams, 7, sInitialWindow, 1000, 0xf0, 42)})
		p.wantSettingsAck()
		ev := wantEvent[*SettingsReceived](p)
		if len(ev.Settings) != 3 || ev.Settings[0].Val != 7 || ev.Settings[2].ID != 0xf0 {
			t.Fatalf("%v: SettingsReceived %+v", role, ev.Settings)
		}
		ps := p.c.PeerSettings()
		if ps.MaxConcurrentStreams != 7 || ps.InitialWindowSize != 1000 {
			t.Fatalf("%v: PeerSettings %+v", role, ps)
		}
		// An ACK of ours is reported too.
		p.c.UpdateSettings(Settings{MaxConcurrentStreams: 5})
		p.wantFrame(frame.TypeSettings)
		p.write(&frame.Settings{Ack: true})
		wantEvent[*SettingsAcked](p)
		// An unexpected ACK is ignored.
		p.write(&frame.Settings{Ack: true})
		if p.err != nil {
			t.Fatal(p.err)
		}
	}
}

// TestSettingsTwoInOneReceive: two SETTINGS frames in one Receive keep
// their own values in their events.
func TestSettingsTwoInOneReceive(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Settings{Settings: settingList(sMaxStreams, 1)}, &frame.Settings{Settings: settingList(sMaxStreams, 2, sMaxFrame, 20000)})
	a := wantEvent[*SettingsReceived](p)
	b := wantEvent[*SettingsReceived](p)
	if len(a.Settings) != 1 || a.Settings[0].Val != 1 || len(b.Settings) != 2 || b.Settings[0].Val != 2 {
		t.Fatalf("events %v and %v", a.Settings, b.Settings)
	}
}

// TestSettingsInvalid: RFC 9113, Section 6.5.2 and 6.5 — out of range
// values and malformed frames are connection errors with the RFC's code.
func TestSettingsInvalid(t *testing.T) {
	cases := []struct {
		name string
		role Role
		raw  []byte
		code frame.ErrCode
	}{
		{"server enables push", Client, settingsRaw(sEnablePush, 1), frame.ErrCodeProtocol},
		{"enable push 2", Server, settingsRaw(sEnablePush, 2), frame.ErrCodeProtocol},
		{"window 2^31", Server, settingsRaw(sInitialWindow, 1<<31), frame.ErrCodeFlowControl},
		{"max frame too small", Server, settingsRaw(sMaxFrame, 16383), frame.ErrCodeProtocol},
		{"max frame too large", Client, settingsRaw(sMaxFrame, 1<<24), frame.ErrCodeProtocol},
		{"connect protocol 2", Client, settingsRaw(sConnect, 2), frame.ErrCodeProtocol},
		{"no 7540 priorities 2", Server, settingsRaw(sNo7540, 2), frame.ErrCodeProtocol},
		// Section 6.5: length not a multiple of 6, ACK with payload, stream id.
		{"length 5", Server, []byte{0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, frame.ErrCodeFrameSize},
		{"ack with payload", Server, []byte{0, 0, 6, 4, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1}, frame.ErrCodeFrameSize},
		{"on a stream", Server, []byte{0, 0, 0, 4, 0, 0, 0, 0, 1}, frame.ErrCodeProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: tc.role})
			p.writeRaw(tc.raw)
			p.wantGoAway(tc.code)
			ev := wantEvent[*ConnectionTerminated](p)
			if ce, ok := ev.Err.(*ConnError); !ok || ce.Code != tc.code || ce.Initiator != Local {
				t.Fatalf("terminated with %v", ev.Err)
			}
		})
	}
	// A server may say ENABLE_PUSH = 0 (it means nothing).
	p := newPeer(t, Config{Role: Client})
	p.settings(sEnablePush, 0)
	if p.err != nil {
		t.Fatal(p.err)
	}
}

func settingsRaw(kv ...uint32) []byte {
	f := frame.Settings{Settings: settingList(kv...)}
	return f.Append(nil)
}

// TestSettingsConnectProtocolOneWay: RFC 8441, Section 3 — the peer may
// not withdraw SETTINGS_ENABLE_CONNECT_PROTOCOL once sent as 1.
func TestSettingsConnectProtocolOneWay(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.settings(sConnect, 1)
	if !p.c.PeerSettings().EnableConnectProtocol {
		t.Fatal("not applied")
	}
	p.write(&frame.Settings{Settings: settingList(sConnect, 0)})
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestSettingsUnknownIgnored: RFC 9113, Section 6.5.2 — an unsupported
// setting is ignored.
func TestSettingsUnknownIgnored(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.settings(0x7, 1, 0xabcd, 0xffffffff)
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestSettingsMaxFrameSizeSend: RFC 9113, Section 4.2 — frames we send
// are never larger than the peer's SETTINGS_MAX_FRAME_SIZE: DATA is split
// and a large header block continues in CONTINUATION frames.
func TestSettingsMaxFrameSizeSend(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxStreamSendBuffer: 1 << 20}})
	p.dec.SetMaxStringLength(0)
	p.write(&frame.WindowUpdate{StreamID: 0, Increment: 1 << 20})
	p.settings(sInitialWindow, 1<<20)
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	big := strings.Repeat("v", 40000)
	if err := p.c.SendHeaders(1, fields(":status", "200", "x-big", big), false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.SendData(1, make([]byte, 50000), false); err != nil {
		t.Fatal(err)
	}
	var block []byte
	var types []frame.Type
	dataSizes := []int{}
	for _, f := range p.frames() {
		h := f.FrameHeader()
		types = append(types, h.Type)
		if h.Length > frame.DefaultMaxFrameSize {
			t.Fatalf("%v frame of %d bytes", h.Type, h.Length)
		}
		switch x := f.(type) {
		case *frame.Headers:
			if x.EndHeaders {
				t.Fatal("a 40 KB block in one HEADERS")
			}
			block = append(block, x.BlockFragment...)
		case *frame.Continuation:
			if x.StreamID != 1 {
				t.Fatal("CONTINUATION on another stream")
			}
			block = append(block, x.BlockFragment...)
		case *frame.Data:
			dataSizes = append(dataSizes, len(x.Data))
		}
	}
	want := []frame.Type{frame.TypeHeaders, frame.TypeContinuation, frame.TypeContinuation}
	if len(types) < 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("frame types %v", types)
	}
	if fs := p.decode(block); fieldValue(fs, "x-big") != big {
		t.Fatal("header block did not survive splitting")
	}
	if len(dataSizes) != 4 || dataSizes[0] != 16384 || dataSizes[3] != 50000-3*16384 {
		t.Fatalf("DATA sizes %v", dataSizes)
	}
	// A larger limit: larger frames.
	p.settings(sMaxFrame, 40000)
	p.c.SendData(1, make([]byte, 50000), true)
	sizes := []int{}
	for _, f := range p.frames() {
		if d, ok := f.(*frame.Data); ok {
			sizes = append(sizes, len(d.Data))
		}
	}
	if len(sizes) != 2 || sizes[0] != 40000 {
		t.Fatalf("DATA sizes with MAX_FRAME_SIZE 40000: %v", sizes)
	}
}

// TestSettingsMaxFrameSizePush: a PUSH_PROMISE block too large for one
// frame continues in CONTINUATION frames (RFC 9113, Section 6.6).
func TestSettingsMaxFrameSizePush(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	p.dec.SetMaxStringLength(0)
	long := "/" + strings.Repeat("p", 30000)
	pid, err := p.c.PushPromise(1, reqFields("GET", long))
	if err != nil {
		t.Fatal(err)
	}
	pp := p.wantFrame(frame.TypePushPromise).(*frame.PushPromise)
	if pp.PromisedID != pid || pp.EndHeaders || pp.Len() > frame.DefaultMaxFrameSize {
		t.Fatalf("PUSH_PROMISE %+v (len %d)", pp.PromisedID, pp.Len())
	}
	block := append([]byte(nil), pp.BlockFragment...)
	k := p.wantFrame(frame.TypeContinuation).(*frame.Continuation)
	if !k.EndHeaders {
		t.Fatal("want END_HEADERS")
	}
	block = append(block, k.BlockFragment...)
	if fs := p.decode(block); fieldValue(fs, ":path") != long {
		t.Fatal("promised request did not survive")
	}
}

// TestSettingsHeaderTableSize: RFC 7541, Section 4.2 / RFC 9113, Section
// 6.5.2 — the peer's SETTINGS_HEADER_TABLE_SIZE bounds our encoder, which
// says so with a dynamic table size update at the start of the next block.
func TestSettingsHeaderTableSize(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	p.c.SendHeaders(1, fields(":status", "200", "x-custom", "some value to index"), true)
	p.wantHeaders(1, true)
	// The peer shrinks its table to 0: our next block starts with a size
	// update to 0, and a decoder limited to 0 accepts it.
	p.settings(sHeaderTable, 0)
	p.dec.SetMaxDynamicTableSize(0)
	p.get(3, "/")
	wantEvent[*RequestReceived](p)
	p.c.SendHeaders(3, fields(":status", "200", "x-custom", "some value to index"), true)
	h := p.wantFrame(frame.TypeHeaders).(*frame.Headers)
	if len(h.BlockFragment) == 0 || h.BlockFragment[0] != 0x20 {
		t.Fatalf("block starts with %x, want a size update to 0 (0x20)", h.BlockFragment)
	}
	fs := p.decode(append([]byte(nil), h.BlockFragment...))
	if fieldValue(fs, "x-custom") != "some value to index" {
		t.Fatalf("fields %v", fs)
	}
	if n := p.c.enc.DynamicTableSize(); n != 0 {
		t.Fatalf("encoder table size %d, want 0", n)
	}
	// Back to 100: entries fit in 100 bytes.
	p.settings(sHeaderTable, 100)
	p.dec.SetMaxDynamicTableSize(100)
	p.get(5, "/")
	wantEvent[*RequestReceived](p)
	p.c.SendHeaders(5, fields(":status", "200", "x-a", "1", "x-b", strings.Repeat("2", 200)), true)
	p.wantHeaders(5, true)
	if n := p.c.enc.DynamicTableSize(); n > 100 {
		t.Fatalf("encoder table size %d > 100", n)
	}
}

// TestSettingsLocalHeaderTableSize: our own smaller
// SETTINGS_HEADER_TABLE_SIZE applies once acknowledged; before that the
// peer may use the default 4096 (RFC 7541, Section 4.2).
func TestSettingsLocalHeaderTableSize(t *testing.T) {
	for _, signal := range []bool{true, false} {
		p := newRawPeer(t, Config{Role: Server, Settings: Settings{HeaderTableSize: 64}})
		p.writeRaw([]byte(frame.ClientPreface))
		p.write(&frame.Settings{})
		p.frames()
		p.drainEvents()
		// Not yet acknowledged: a block that fills 4096 bytes of table is fine.
		p.headers(1, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/",
			"x-1", strings.Repeat("a", 1000), "x-2", strings.Repeat("b", 1000))
		wantEvent[*RequestReceived](p)
		p.write(&frame.Settings{Ack: true})
		if signal {
			// The first block after the ACK starts with a size update <= 64.
			p.enc.SetMaxDynamicTableSize(64)
			p.get(3, "/")
			wantEvent[*RequestReceived](p)
			if p.err != nil {
				t.Fatal(p.err)
			}
			continue
		}
		// A peer that ignores the acknowledged limit breaks compression.
		p.get(3, "/")
		p.wantGoAway(frame.ErrCodeCompression)
	}
}

// TestSettingsMaxHeaderListSize: SETTINGS_MAX_HEADER_LIST_SIZE is
// advertised, and a larger request header list is reported as
// RequestHeadersTooLarge (for a 431 answer, RFC 6585, Section 5), the
// connection going on with the HPACK state intact (RFC 9113, Section 6.5.2
// and 10.5.1).
func TestSettingsMaxHeaderListSize(t *testing.T) {
	tr := &traceRec{}
	p := newRawPeer(t, Config{Role: Server, Settings: Settings{MaxHeaderListSize: 1000}, Tracer: tr})
	p.handshake()
	st := tr.sent[0].f.(*frame.Settings)
	if v, ok := st.Value(frame.SettingMaxHeaderListSize); !ok || v != 1000 {
		t.Fatalf("first SETTINGS %v", st.Settings)
	}
	p.headers(1, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/",
		"x-indexed", "small", "x-big", strings.Repeat("x", 2000))
	if ev := wantEvent[*RequestHeadersTooLarge](p); ev.StreamID != 1 || !ev.EndStream {
		t.Fatalf("event %+v", ev)
	}
	p.wantNoFrame()
	if err := p.c.SendHeaders(1, fields(":status", "431"), true); err != nil {
		t.Fatal(err)
	}
	if fs := p.wantHeaders(1, true); fieldValue(fs, ":status") != "431" {
		t.Fatalf("response %v", fs)
	}
	if st := p.c.State(1); st != StateClosed {
		t.Fatalf("stream 1 %v after the 431", st)
	}
	// The dynamic table still matches: x-indexed is referenced by index now.
	p.headers(3, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "x-indexed", "small")
	ev := wantEvent[*RequestReceived](p)
	if fieldValue(ev.Fields, "x-indexed") != "small" {
		t.Fatalf("fields %v", ev.Fields)
	}
}

// TestSettingsTimeout: RFC 9113, Section 6.5.3 — SETTINGS not acknowledged
// in time is a connection error SETTINGS_TIMEOUT, driven by
// Deadline/Advance.
func TestSettingsTimeout(t *testing.T) {
	p := newRawPeer(t, Config{Role: Server, SettingsTimeout: 5 * time.Second})
	p.writeRaw([]byte(frame.ClientPreface))
	p.write(&frame.Settings{})
	p.frames()
	if d := p.c.Deadline(); !d.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("Deadline = %v, want t0+5s", d.Sub(t0))
	}
	p.advance(4 * time.Second)
	p.wantNoFrame()
	p.advance(time.Second)
	g := p.wantFrame(frame.TypeGoAway).(*frame.GoAway)
	if g.Code != frame.ErrCodeSettingsTimeout {
		t.Fatalf("GOAWAY %v", g.Code)
	}
	if !p.c.Done() || !p.c.Deadline().IsZero() {
		t.Fatal("not done")
	}
	// Acknowledged in time: no timeout, no deadline left.
	p = newPeer(t, Config{Role: Server})
	if !p.c.Deadline().IsZero() {
		t.Fatalf("Deadline %v after the ACK", p.c.Deadline())
	}
	p.c.UpdateSettings(Settings{MaxConcurrentStreams: 10})
	if d := p.c.Deadline(); !d.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("Deadline = %v, want t0+10s (default)", d.Sub(t0))
	}
	// Disabled.
	p = newRawPeer(t, Config{Role: Server, SettingsTimeout: -1})
	p.writeRaw([]byte(frame.ClientPreface))
	p.write(&frame.Settings{})
	p.advance(time.Hour)
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
}

// TestSettingsUpdate: UpdateSettings sends the values that changed,
// including a return to an RFC default, and they take effect for receiving
// once acknowledged.
func TestSettingsUpdate(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{MaxFrameSize: 1 << 20, InitialWindowSize: 1 << 20}})
	if err := p.c.UpdateSettings(Settings{MaxConcurrentStreams: 100, MaxFrameSize: 16384}); err != nil {
		t.Fatal(err)
	}
	st := p.wantFrame(frame.TypeSettings).(*frame.Settings)
	got := map[frame.SettingID]uint32{}
	for _, s := range st.Settings {
		got[s.ID] = s.Val
	}
	if len(got) != 2 || got[frame.SettingMaxFrameSize] != 16384 || got[frame.SettingInitialWindowSize] != 65535 {
		t.Fatalf("update sent %v, want MAX_FRAME_SIZE 16384 and INITIAL_WINDOW_SIZE 65535 only", st.Settings)
	}
	if ls := p.c.LocalSettings(); ls.MaxFrameSize != 16384 {
		t.Fatalf("LocalSettings %+v", ls)
	}
	// Before the ACK the old, larger frame size is still accepted.
	p.post(1)
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 20000)})
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Settings{Ack: true})
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 20000)})
	p.wantGoAway(frame.ErrCodeFrameSize)
}

// TestSettingsMaxConcurrentStreams: RFC 9113, Section 5.1.2 — the
// client does not open more streams than the server allows; the server
// refuses streams beyond its own limit.
func TestSettingsMaxConcurrentStreams(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.settings(sMaxStreams, 1)
	id, err := p.c.SendRequest(reqFields("GET", "/"), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != ErrTooManyStreams {
		t.Fatalf("second request: %v", err)
	}
	p.wantHeaders(id, true)
	p.headers(id, true, ":status", "204")
	wantEvent[*ResponseReceived](p)
	if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != nil {
		t.Fatalf("after the first ended: %v", err)
	}

	s := newPeer(t, Config{Role: Server, Settings: Settings{MaxConcurrentStreams: 2}})
	s.get(1, "/")
	s.get(3, "/")
	s.get(5, "/")
	s.wantRST(5, frame.ErrCodeRefusedStream)
	if r := wantEvent[*RequestReceived](s); r.StreamID != 1 {
		t.Fatal(r.StreamID)
	}
}

// TestSettingsPushDisabledByClient: ENABLE_PUSH = 0 from a client makes
// PushPromise fail with ErrPushDisabled (RFC 9113, Section 8.4).
func TestSettingsPushDisabledByClient(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.settings(sEnablePush, 0)
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	if _, err := p.c.PushPromise(1, reqFields("GET", "/x")); err != ErrPushDisabled {
		t.Fatalf("PushPromise: %v", err)
	}
	p.settings(sEnablePush, 1)
	if _, err := p.c.PushPromise(1, reqFields("GET", "/x")); err != nil {
		t.Fatalf("PushPromise after re-enabling: %v", err)
	}
}

// TestSettingsFirstFrame: RFC 9113, Section 3.4 — the client's settings in
// the first SETTINGS leave defaults out and carry the configured values.
func TestSettingsFirstFrame(t *testing.T) {
	tr := &traceRec{}
	NewConn(Config{Role: Client, Settings: Settings{DisablePush: true, InitialWindowSize: 1 << 20, HeaderTableSize: 8192,
		EnableConnectProtocol: true, NoRFC7540Priorities: true}, Tracer: tr}, t0)
	st := tr.sent[0].f.(*frame.Settings)
	want := map[frame.SettingID]uint32{frame.SettingEnablePush: 0, frame.SettingInitialWindowSize: 1 << 20,
		frame.SettingHeaderTableSize: 8192, frame.SettingEnableConnectProtocol: 1, frame.SettingNoRFC7540Priorities: 1,
		frame.SettingMaxConcurrentStreams: 100, frame.SettingMaxHeaderListSize: 64 << 10}
	for id, v := range want {
		if got, ok := st.Value(id); !ok || got != v {
			t.Errorf("%v = %d, %v; want %d", id, got, ok, v)
		}
	}
	if _, ok := st.Value(frame.SettingMaxFrameSize); ok {
		t.Error("default MAX_FRAME_SIZE sent")
	}
	// The connection window beyond 65535 follows as a WINDOW_UPDATE.
	if w, ok := tr.sent[1].f.(*frame.WindowUpdate); !ok || w.StreamID != 0 || w.Increment != 1<<20-65535 {
		t.Errorf("second frame %+v", tr.sent[1].f)
	}
}

// TestSettingsMaxHeaderListSizeBodyAndTrailers: a too-large request that
// has a body is reported with EndStream false and its DATA still flows
// (the stream is open, RFC 9113, Section 5.1), while too-large trailers
// remain a stream error PROTOCOL_ERROR (there is no request left to
// answer; Section 8.1.1).
func TestSettingsMaxHeaderListSizeBodyAndTrailers(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{MaxHeaderListSize: 1000}})
	big := strings.Repeat("x", 2000)
	p.headers(1, false, ":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/", "x-big", big)
	if ev := wantEvent[*RequestHeadersTooLarge](p); ev.StreamID != 1 || ev.EndStream {
		t.Fatalf("event %+v", ev)
	}
	p.write(&frame.Data{StreamID: 1, Data: []byte("body"), EndStream: true})
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "body" || !ev.EndStream {
		t.Fatalf("data %+v", ev)
	}
	if p.c.Err() != nil {
		t.Fatal(p.c.Err())
	}
	p.headers(3, false, ":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/")
	wantEvent[*RequestReceived](p)
	p.headers(3, true, "x-big", big)
	p.wantRST(3, frame.ErrCodeProtocol)
}
