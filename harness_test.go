package h2kit

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// peer is a scripted peer: the test writes raw frames into an engine and
// expects exact frames and events out. The engine under test is p.c; the
// test plays the other role.
type peer struct {
	t      testing.TB
	c      *Conn
	now    time.Time
	parser frame.Parser
	enc    *hpack.Encoder
	dec    *hpack.Decoder
	out    []byte // engine output not yet read by the test
	err    error  // last Receive error
	events []Event
}

var t0 = time.Unix(1700000000, 0)

// newPeer starts an engine with cfg; the test plays the other role.
// Handshake (preface, SETTINGS, ACKs) is done unless raw is set.
func newPeer(t testing.TB, cfg Config) *peer {
	p := newRawPeer(t, cfg)
	p.handshake()
	return p
}

func newRawPeer(t testing.TB, cfg Config) *peer {
	t.Helper()
	p := &peer{t: t, now: t0, enc: hpack.NewEncoder(), dec: hpack.NewDecoder(4096)}
	p.parser.MaxFrameSize = frame.MaxMaxFrameSize
	p.c = NewConn(cfg, p.now)
	return p
}

// handshake exchanges prefaces and SETTINGS and drains the initial frames.
func (p *peer) handshake() {
	p.t.Helper()
	if p.c.role == Server {
		p.writeRaw([]byte(frame.ClientPreface))
	} else {
		p.wantPreface()
	}
	p.write(&frame.Settings{})
	p.wantFrameType(frame.TypeSettings) // the engine's SETTINGS
	if p.c.cfg.ConnectionWindow > frame.DefaultInitialWindowSize {
		p.wantFrameType(frame.TypeWindowUpdate)
	}
	p.wantSettingsAck()
	p.write(&frame.Settings{Ack: true})
	p.drainEvents()
}

func (p *peer) wantPreface() {
	p.t.Helper()
	p.fill()
	if len(p.out) < len(frame.ClientPreface) || string(p.out[:len(frame.ClientPreface)]) != frame.ClientPreface {
		p.t.Fatalf("want client preface, got %q", p.out)
	}
	p.out = p.out[len(frame.ClientPreface):]
}

func (p *peer) writeRaw(b []byte) {
	p.t.Helper()
	_, p.err = p.c.Receive(append([]byte(nil), b...), p.now)
	p.collect()
}

// write sends frames to the engine, as one chunk.
func (p *peer) write(fs ...frame.Frame) {
	p.t.Helper()
	var b []byte
	for _, f := range fs {
		b = f.Append(b)
	}
	p.writeRaw(b)
}

// headers sends a header block on id in one HEADERS frame.
func (p *peer) headers(id uint32, endStream bool, kv ...string) {
	p.t.Helper()
	p.write(&frame.Headers{StreamID: id, EndStream: endStream, EndHeaders: true, BlockFragment: p.block(kv...)})
}

func (p *peer) block(kv ...string) []byte {
	var fs []hpack.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, hpack.Field{Name: kv[i], Value: kv[i+1]})
	}
	return p.enc.Encode(nil, fs)
}

// get sends a GET request for path on id.
func (p *peer) get(id uint32, path string) {
	p.t.Helper()
	p.headers(id, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", path)
}

// collect moves events into p.events, deep-copied enough for the test.
func (p *peer) collect() {
	for ev := p.c.NextEvent(); ev != nil; ev = p.c.NextEvent() {
		p.events = append(p.events, copyEvent(ev))
	}
}

func copyEvent(ev Event) Event {
	cp := func(fs []hpack.Field) []hpack.Field {
		out := make([]hpack.Field, len(fs))
		for i, f := range fs {
			out[i] = hpack.Field{Name: string([]byte(f.Name)), Value: string([]byte(f.Value)), Sensitive: f.Sensitive}
		}
		return out
	}
	switch e := ev.(type) {
	case *RequestReceived:
		x := *e
		x.Fields = cp(e.Fields)
		return &x
	case *ResponseReceived:
		x := *e
		x.Fields = cp(e.Fields)
		return &x
	case *InformationalResponseReceived:
		x := *e
		x.Fields = cp(e.Fields)
		return &x
	case *TrailersReceived:
		x := *e
		x.Fields = cp(e.Fields)
		return &x
	case *PushPromiseReceived:
		x := *e
		x.Fields = cp(e.Fields)
		return &x
	case *DataReceived:
		x := *e
		x.Data = append([]byte(nil), e.Data...)
		return &x
	case *SettingsReceived:
		x := *e
		x.Settings = append([]frame.Setting(nil), e.Settings...)
		return &x
	case *GoAwayReceived:
		x := *e
		x.DebugData = append([]byte(nil), e.DebugData...)
		return &x
	case *StreamReset:
		x := *e
		return &x
	case *SettingsAcked:
		return &SettingsAcked{}
	case *PingAcked:
		x := *e
		return &x
	case *WindowUpdated:
		x := *e
		return &x
	case *PriorityUpdated:
		x := *e
		return &x
	case *ConnectionTerminated:
		x := *e
		return &x
	case *RequestHeadersTooLarge:
		x := *e
		return &x
	}
	panic(fmt.Sprintf("unknown event %T", ev))
}

func (p *peer) drainEvents() { p.collect(); p.events = nil }

// fill takes everything the engine has to send.
func (p *peer) fill() {
	for p.c.WantWrite() {
		p.out = p.c.AppendOutgoing(p.out)
	}
}

// nextFrame returns the next frame the engine sent, or nil if none.
// The frame is valid until the next call.
func (p *peer) nextFrame() frame.Frame {
	p.t.Helper()
	if len(p.out) < frame.HeaderLen {
		p.fill()
	}
	f, n, err := p.parser.Parse(p.out)
	if err != nil {
		p.t.Fatalf("engine wrote an invalid frame: %v", err)
	}
	if n == 0 {
		if len(p.out) > 0 {
			p.t.Fatalf("engine wrote a partial frame: %x", p.out)
		}
		return nil
	}
	p.out = p.out[n:]
	return f
}

// wantFrameType skips nothing: the next frame must be of type typ.
func (p *peer) wantFrameType(typ frame.Type) frame.Frame {
	p.t.Helper()
	f := p.nextFrame()
	if f == nil {
		p.t.Fatalf("want %v frame, got nothing", typ)
	}
	if h := f.FrameHeader(); h.Type != typ {
		p.t.Fatalf("want %v frame, got %v %+v", typ, h.Type, f)
	}
	return f
}

// wantFrame looks for the next frame of type typ, skipping WINDOW_UPDATE
// and SETTINGS ACK frames the engine may interleave.
func (p *peer) wantFrame(typ frame.Type) frame.Frame {
	p.t.Helper()
	for {
		f := p.nextFrame()
		if f == nil {
			p.t.Fatalf("want %v frame, got nothing", typ)
		}
		h := f.FrameHeader()
		if h.Type == typ {
			return f
		}
		if h.Type != frame.TypeWindowUpdate && !(h.Type == frame.TypeSettings && h.Flags.Has(frame.FlagAck)) {
			p.t.Fatalf("want %v frame, got %v %+v", typ, h.Type, f)
		}
	}
}

func (p *peer) wantSettingsAck() {
	p.t.Helper()
	f := p.wantFrame(frame.TypeSettings).(*frame.Settings)
	if !f.Ack {
		p.t.Fatalf("want SETTINGS ACK, got %+v", f)
	}
}

// wantNoFrame checks the engine has nothing (but WINDOW_UPDATE) to send.
func (p *peer) wantNoFrame() {
	p.t.Helper()
	for f := p.nextFrame(); f != nil; f = p.nextFrame() {
		if f.FrameHeader().Type != frame.TypeWindowUpdate {
			p.t.Fatalf("want no frame, got %v %+v", f.FrameHeader().Type, f)
		}
	}
}

// wantGoAway expects a GOAWAY with code and the connection to be over.
func (p *peer) wantGoAway(code frame.ErrCode) *frame.GoAway {
	p.t.Helper()
	for {
		f := p.nextFrame()
		if f == nil {
			p.t.Fatalf("want GOAWAY %v, got nothing (err %v)", code, p.err)
		}
		if g, ok := f.(*frame.GoAway); ok {
			if g.Code != code {
				p.t.Fatalf("want GOAWAY %v, got %v (%s)", code, g.Code, g.DebugData)
			}
			var ce *ConnError
			if code != frame.ErrCodeNo && (!errors.As(p.err, &ce) || ce.Code != code) {
				p.t.Fatalf("Receive error = %v, want ConnError %v", p.err, code)
			}
			return g
		}
	}
}

// wantRST expects an RST_STREAM on id with code (other frames skipped).
func (p *peer) wantRST(id uint32, code frame.ErrCode) {
	p.t.Helper()
	for {
		f := p.nextFrame()
		if f == nil {
			p.t.Fatalf("want RST_STREAM %d %v, got nothing (err %v)", id, code, p.err)
		}
		if g, ok := f.(*frame.GoAway); ok {
			p.t.Fatalf("want RST_STREAM %d %v, got GOAWAY %v (%s)", id, code, g.Code, g.DebugData)
		}
		if r, ok := f.(*frame.RSTStream); ok {
			if r.StreamID != id || r.Code != code {
				p.t.Fatalf("want RST_STREAM %d %v, got %d %v", id, code, r.StreamID, r.Code)
			}
			return
		}
	}
}

// wantConnError expects the connection to have failed with code: a GOAWAY
// carrying it (RFC 9113, Section 5.4.1).
func (p *peer) wantConnError(code frame.ErrCode) { p.t.Helper(); p.wantGoAway(code) }

// event returns the next event of type T, failing if another comes first
// (WindowUpdated and SettingsAcked events are skipped).
func wantEvent[T Event](p *peer) T {
	p.t.Helper()
	p.collect()
	for len(p.events) > 0 {
		ev := p.events[0]
		p.events = p.events[1:]
		if x, ok := ev.(T); ok {
			return x
		}
		switch ev.(type) {
		case *WindowUpdated, *SettingsAcked:
			continue
		}
		var zero T
		p.t.Fatalf("want event %T, got %T %+v", zero, ev, ev)
	}
	var zero T
	p.t.Fatalf("want event %T, got none", zero)
	return zero
}

// wantNoEvent checks no event (but WindowUpdated) is pending.
func (p *peer) wantNoEvent() {
	p.t.Helper()
	p.collect()
	for _, ev := range p.events {
		if _, ok := ev.(*WindowUpdated); !ok {
			p.t.Fatalf("want no event, got %T %+v", ev, ev)
		}
	}
	p.events = nil
}

// advance moves the clock and fires the engine's timers.
func (p *peer) advance(d time.Duration) {
	p.now = p.now.Add(d)
	p.c.Advance(p.now)
	p.collect()
}

// decode decodes a header block the engine sent.
func (p *peer) decode(block []byte) []hpack.Field {
	p.t.Helper()
	fs, err := p.dec.Decode(nil, block)
	if err != nil {
		p.t.Fatalf("engine sent an undecodable header block: %v", err)
	}
	out := make([]hpack.Field, len(fs))
	for i, f := range fs {
		out[i] = hpack.Field{Name: string([]byte(f.Name)), Value: string([]byte(f.Value))}
	}
	return out
}

// wantHeaders expects a HEADERS frame (with END_HEADERS) on id and
// returns its decoded fields.
func (p *peer) wantHeaders(id uint32, endStream bool) []hpack.Field {
	p.t.Helper()
	h := p.wantFrame(frame.TypeHeaders).(*frame.Headers)
	if h.StreamID != id || h.EndStream != endStream || !h.EndHeaders {
		p.t.Fatalf("want HEADERS stream %d end_stream=%v, got %+v", id, endStream, h)
	}
	return p.decode(append([]byte(nil), h.BlockFragment...))
}

func fields(kv ...string) []hpack.Field {
	var fs []hpack.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, hpack.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

func fieldValue(fs []hpack.Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// pipe wires two engines together in memory and moves bytes until both
// are quiet; it returns the events each produced (copied).
type pipe struct {
	t              testing.TB
	now            time.Time
	client, srv    *Conn
	cEvents        []Event
	sEvents        []Event
	maxChunk       int // bytes moved per Receive (0: all)
	cBytes, sBytes int
}

func newPipe(t testing.TB, ccfg, scfg Config) *pipe {
	ccfg.Role, scfg.Role = Client, Server
	// Every frame either engine sends must be legal for its stream's
	// state (RFC 9113, Section 5.1): checked when the test ends.
	ccfg = withStreamCheck(t, ccfg, Client)
	scfg = withStreamCheck(t, scfg, Server)
	p := &pipe{t: t, now: t0}
	p.client = NewConn(ccfg, p.now)
	p.srv = NewConn(scfg, p.now)
	p.run()
	return p
}

// run moves bytes both ways until neither side has anything to send.
func (p *pipe) run() {
	p.t.Helper()
	var buf []byte
	for i := 0; i < 100000; i++ {
		moved := false
		for _, dir := range [2]struct{ from, to *Conn }{{p.client, p.srv}, {p.srv, p.client}} {
			if !dir.from.WantWrite() {
				continue
			}
			buf = dir.from.AppendOutgoing(buf[:0])
			if len(buf) == 0 {
				continue
			}
			moved = true
			if dir.from == p.client {
				p.cBytes += len(buf)
			} else {
				p.sBytes += len(buf)
			}
			chunk := len(buf)
			if p.maxChunk > 0 {
				chunk = p.maxChunk
			}
			for off := 0; off < len(buf); off += chunk {
				end := min(off+chunk, len(buf))
				dir.to.Receive(buf[off:end], p.now)
				p.collect()
			}
		}
		p.collect()
		if !moved {
			return
		}
	}
	p.t.Fatal("pipe did not settle")
}

func (p *pipe) collect() {
	for ev := p.client.NextEvent(); ev != nil; ev = p.client.NextEvent() {
		p.cEvents = append(p.cEvents, copyEvent(ev))
	}
	for ev := p.srv.NextEvent(); ev != nil; ev = p.srv.NextEvent() {
		p.sEvents = append(p.sEvents, copyEvent(ev))
	}
}

// ---- helpers appended for the flow/settings/priority/push/limits tests ----

// settings sends a SETTINGS frame with the given id/value pairs and
// expects the engine's ACK.
func (p *peer) settings(kv ...uint32) {
	p.t.Helper()
	p.write(&frame.Settings{Settings: settingList(kv...)})
	if p.err == nil {
		p.wantSettingsAck()
		wantEvent[*SettingsReceived](p)
	}
}

func settingList(kv ...uint32) []frame.Setting {
	var ss []frame.Setting
	for i := 0; i+1 < len(kv); i += 2 {
		ss = append(ss, frame.Setting{ID: frame.SettingID(kv[i]), Val: kv[i+1]})
	}
	return ss
}

// post opens stream id with a POST request header block (no END_STREAM).
func (p *peer) post(id uint32, kv ...string) {
	p.t.Helper()
	base := []string{":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/upload"}
	p.headers(id, false, append(base, kv...)...)
}

// frames returns copies of every frame the engine has to send now.
func (p *peer) frames() []frame.Frame {
	p.t.Helper()
	var out []frame.Frame
	for f := p.nextFrame(); f != nil; f = p.nextFrame() {
		out = append(out, cloneFrame(f))
	}
	return out
}

// cloneFrame deep-copies a parsed frame so it outlives the parser.
func cloneFrame(f frame.Frame) frame.Frame {
	switch x := f.(type) {
	case *frame.Data:
		y := *x
		y.Data = append([]byte(nil), x.Data...)
		return &y
	case *frame.Headers:
		y := *x
		y.BlockFragment = append([]byte(nil), x.BlockFragment...)
		return &y
	case *frame.Continuation:
		y := *x
		y.BlockFragment = append([]byte(nil), x.BlockFragment...)
		return &y
	case *frame.PushPromise:
		y := *x
		y.BlockFragment = append([]byte(nil), x.BlockFragment...)
		return &y
	case *frame.Settings:
		y := *x
		y.Settings = append([]frame.Setting(nil), x.Settings...)
		return &y
	case *frame.GoAway:
		y := *x
		y.DebugData = append([]byte(nil), x.DebugData...)
		return &y
	case *frame.PriorityUpdate:
		y := *x
		y.FieldValue = append([]byte(nil), x.FieldValue...)
		return &y
	case *frame.Unknown:
		y := *x
		y.Payload = append([]byte(nil), x.Payload...)
		return &y
	case *frame.WindowUpdate:
		y := *x
		return &y
	case *frame.RSTStream:
		y := *x
		return &y
	case *frame.Ping:
		y := *x
		return &y
	case *frame.Priority:
		y := *x
		return &y
	}
	panic(fmt.Sprintf("cloneFrame: %T", f))
}

// dataBytes sums the DATA payload per stream in fs.
func dataBytes(fs []frame.Frame) map[uint32]int {
	m := map[uint32]int{}
	for _, f := range fs {
		if d, ok := f.(*frame.Data); ok {
			m[d.StreamID] += len(d.Data)
		}
	}
	return m
}

// windowUpdates sums WINDOW_UPDATE increments per stream in fs.
func windowUpdates(fs []frame.Frame) map[uint32]int {
	m := map[uint32]int{}
	for _, f := range fs {
		if w, ok := f.(*frame.WindowUpdate); ok {
			m[w.StreamID] += int(w.Increment)
		}
	}
	return m
}

// eventsOf returns the events of type T in evs.
func eventsOf[T Event](evs []Event) []T {
	var out []T
	for _, ev := range evs {
		if x, ok := ev.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// traceRec is a Tracer that records a one-line summary per frame.
type traceRec struct {
	sent, recv []tracedFrame
}

type tracedFrame struct {
	h      frame.Header
	f      frame.Frame
	fields []hpack.Field
}

func (r *traceRec) FrameReceived(h frame.Header, f frame.Frame, fs []hpack.Field) {
	r.recv = append(r.recv, tracedFrame{h, cloneFrame(f), copyFields(fs)})
}

func (r *traceRec) FrameSent(h frame.Header, f frame.Frame, fs []hpack.Field) {
	r.sent = append(r.sent, tracedFrame{h, cloneFrame(f), copyFields(fs)})
}

func copyFields(fs []hpack.Field) []hpack.Field {
	if fs == nil {
		return nil
	}
	out := make([]hpack.Field, len(fs))
	for i, f := range fs {
		out[i] = hpack.Field{Name: string([]byte(f.Name)), Value: string([]byte(f.Value)), Sensitive: f.Sensitive}
	}
	return out
}
