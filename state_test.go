package h2kit

// Stream states: RFC 9113, Section 5.1. The transitions table is checked
// against a matrix written from the RFC text, then every (state, input)
// pair is driven on a real engine, for both roles: each state is reached
// with frames and API calls, each input is applied once, and the outcome
// (RST_STREAM code, GOAWAY code, event, API error, frame sent, nothing)
// and the resulting State(id) are checked.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// TestStateTableMatchesRFC9113 checks the transitions table,
// pair by pair, against an expectation written independently from the
// text of RFC 9113, Section 5.1 (and 6.x for what each frame may do).
func TestStateTableMatchesRFC9113(t *testing.T) {
	// Columns: recv H, recv H+ES, recv D, recv D+ES, recv RST, recv PRIORITY,
	// recv WINDOW_UPDATE, recv PP (promising this stream),
	// send H, send H+ES, send D, send D+ES, send RST, send PP (promising it).
	// ">x": allowed, next state x; "ign": allowed, no change; "PE": connection
	// PROTOCOL_ERROR; "SC": stream STREAM_CLOSED; "CSC": connection
	// STREAM_CLOSED; "user": the API call is refused.
	want := map[StreamState]string{
		StateIdle:           ">open >hc-r PE PE PE ign PE >res-r >open >hc-l user user user >res-l",
		StateReservedLocal:  "PE PE PE PE >closed ign ign PE >hc-r >closed user user >closed user",
		StateReservedRemote: ">hc-l >closed PE PE >closed ign PE PE user user user user >closed user",
		StateOpen:           ">open >hc-r >open >hc-r >closed ign ign PE >open >hc-l >open >hc-l >closed user",
		StateHalfClosedLocal: ">hc-l >closed >hc-l >closed >closed ign ign PE " +
			"user user user user >closed user",
		StateHalfClosedRemote: "SC SC SC SC >closed ign ign PE " +
			">hc-r >closed >hc-r >closed >closed user",
		StateClosed: "CSC CSC CSC CSC ign ign ign PE user user user user ign user",
	}
	short := map[string]StreamState{"idle": StateIdle, "res-l": StateReservedLocal, "res-r": StateReservedRemote,
		"open": StateOpen, "hc-l": StateHalfClosedLocal, "hc-r": StateHalfClosedRemote, "closed": StateClosed}
	verdicts := map[string]verdict{"ign": vIgnore, "PE": vConnProtocol, "SC": vStreamClosed,
		"CSC": vConnStreamClosed, "user": vUser}
	for st := StreamState(0); st < numStates; st++ {
		cells := strings.Fields(want[st])
		if len(cells) != int(numInputs) {
			t.Fatalf("%v: %d expectations for %d inputs", st, len(cells), numInputs)
		}
		for in := streamInput(0); in < numInputs; in++ {
			cell := cells[in]
			exp := transition{next: st}
			if strings.HasPrefix(cell, ">") {
				next, ok := short[cell[1:]]
				if !ok {
					t.Fatalf("bad cell %q", cell)
				}
				exp = transition{next: next, verdict: vOK}
			} else if v, ok := verdicts[cell]; ok {
				exp.verdict = v
			} else {
				t.Fatalf("bad cell %q", cell)
			}
			if got := transitions[st][in]; got != exp {
				t.Errorf("transitions[%v][%v] = {%v %d}, want {%v %d} (%s)", st, in, got.next, got.verdict, exp.next, exp.verdict, cell)
			}
		}
	}
}

func TestStreamStateStrings(t *testing.T) {
	for st, name := range map[StreamState]string{StateIdle: "idle", StateReservedLocal: "reserved (local)",
		StateReservedRemote: "reserved (remote)", StateOpen: "open", StateHalfClosedLocal: "half-closed (local)",
		StateHalfClosedRemote: "half-closed (remote)", StateClosed: "closed", numStates: "invalid"} {
		if st.String() != name {
			t.Errorf("%d.String() = %q, want %q", st, st.String(), name)
		}
	}
}

// observed is what one input did: the frames the engine sent (but
// WINDOW_UPDATE and SETTINGS ACK), its events (but WindowUpdated and
// SettingsAcked) and the error of the API call, if any.
type observed struct {
	frames []frame.Frame
	events []Event
	err    error
}

func (p *peer) observe(apiErr error) observed {
	p.t.Helper()
	o := observed{err: apiErr}
	for _, f := range p.frames() {
		h := f.FrameHeader()
		if h.Type == frame.TypeWindowUpdate || h.Type == frame.TypeSettings && h.Flags.Has(frame.FlagAck) {
			continue
		}
		o.frames = append(o.frames, f)
	}
	p.collect()
	for _, ev := range p.events {
		switch ev.(type) {
		case *WindowUpdated, *SettingsAcked:
			continue
		}
		o.events = append(o.events, ev)
	}
	p.events = nil
	return o
}

func (o observed) String() string {
	var b strings.Builder
	for _, f := range o.frames {
		h := f.FrameHeader()
		if g, ok := f.(*frame.GoAway); ok {
			fmt.Fprintf(&b, "GOAWAY %v last %d %q; ", g.Code, g.LastStreamID, g.DebugData)
			continue
		}
		fmt.Fprintf(&b, "frame %v stream %d %+v; ", h.Type, h.StreamID, f)
	}
	for _, ev := range o.events {
		fmt.Fprintf(&b, "event %T %+v; ", ev, ev)
	}
	return b.String() + fmt.Sprintf("err %v", o.err)
}

// apiErrors names the errors of the command methods in expectations.
var apiErrors = map[string]error{"ErrStreamClosed": ErrStreamClosed, "ErrUnknownStream": ErrUnknownStream,
	"ErrWrongRole": ErrWrongRole, "ErrTooManyStreams": ErrTooManyStreams, "ErrStreamsExhausted": ErrStreamsExhausted}

// check compares o with an expectation: "none", "rst:CODE" (RST_STREAM
// on id, a StreamReset event at most), "goaway:CODE" (connection error),
// "ev:Type" (first event), "err:Name" (API error, nothing sent) or
// "frame:TYPE" (frames of that type only).
func (o observed) check(t *testing.T, id uint32, want string) {
	t.Helper()
	kind, arg, _ := strings.Cut(want, ":")
	fail := func() { t.Helper(); t.Fatalf("want %s, got %v", want, o) }
	switch kind {
	case "none":
		if len(o.frames) > 0 || len(o.events) > 0 || o.err != nil {
			fail()
		}
	case "rst":
		if o.err != nil || len(o.frames) != 1 {
			fail()
		}
		r, ok := o.frames[0].(*frame.RSTStream)
		if !ok || r.StreamID != id || r.Code.String() != arg {
			fail()
		}
		for _, ev := range o.events {
			if sr, ok := ev.(*StreamReset); !ok || sr.StreamID != id || sr.Initiator != Local {
				fail()
			}
		}
	case "goaway":
		var g *frame.GoAway
		for _, f := range o.frames {
			if x, ok := f.(*frame.GoAway); ok {
				g = x
			} else if _, ok := f.(*frame.RSTStream); ok {
				fail()
			}
		}
		if g == nil || g.Code.String() != arg {
			fail()
		}
	case "ev":
		if o.err != nil || len(o.events) == 0 || strings.TrimPrefix(fmt.Sprintf("%T", o.events[0]), "*h2kit.") != arg {
			fail()
		}
		for _, f := range o.frames {
			if typ := f.FrameHeader().Type; typ == frame.TypeRSTStream || typ == frame.TypeGoAway {
				fail()
			}
		}
	case "err":
		if !errors.Is(o.err, apiErrors[arg]) || len(o.frames) > 0 || len(o.events) > 0 {
			fail()
		}
	case "frame":
		if o.err != nil || len(o.frames) == 0 || len(o.events) > 0 {
			fail()
		}
		for _, f := range o.frames {
			if f.FrameHeader().Type.String() != arg {
				fail()
			}
		}
	default:
		t.Fatalf("bad expectation %q", want)
	}
}

// Header blocks the peer sends in the state tests.
var (
	getReq   = []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"}
	postReq  = []string{":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/up"}
	resp200  = []string{":status", "200"}
	trailers = []string{"x-trailer", "1"}
	pushReq  = []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/pushed"}
)

// stateSetup drives a stream of a new engine into a state.
type stateSetup struct {
	name  string
	state StreamState
	recv  []string // the header block the peer would send next on it
	send  []string // the header block the application would send next
	run   func(p *peer) uint32
	// outcomes of the inputs, in the order of stateInputs:
	// "outcome state" (state omitted after a connection error)
	want string
}

// stateInput is one input of the matrix.
type stateInput struct {
	name  string
	apply func(p *peer, s *stateSetup, id uint32) error
}

var stateInputs = []stateInput{
	{"recv HEADERS", func(p *peer, s *stateSetup, id uint32) error { p.headers(id, false, s.recv...); return nil }},
	{"recv HEADERS+END_STREAM", func(p *peer, s *stateSetup, id uint32) error { p.headers(id, true, s.recv...); return nil }},
	{"recv DATA", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.Data{StreamID: id, Data: []byte("x")})
		return nil
	}},
	{"recv DATA+END_STREAM", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.Data{StreamID: id, EndStream: true, Data: []byte("x")})
		return nil
	}},
	{"recv RST_STREAM", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
		return nil
	}},
	{"recv PRIORITY", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.Priority{StreamID: id, PriorityParam: frame.PriorityParam{Weight: 15}})
		return nil
	}},
	{"recv WINDOW_UPDATE", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.WindowUpdate{StreamID: id, Increment: 100})
		return nil
	}},
	{"recv PUSH_PROMISE", func(p *peer, s *stateSetup, id uint32) error {
		promised := max(p.c.lastPeerID+2, 2) &^ 1
		p.write(&frame.PushPromise{StreamID: id, PromisedID: promised, EndHeaders: true, BlockFragment: p.block(pushReq...)})
		return nil
	}},
	{"recv CONTINUATION", func(p *peer, s *stateSetup, id uint32) error {
		p.write(&frame.Continuation{StreamID: id, EndHeaders: true, BlockFragment: p.block(trailers...)})
		return nil
	}},
	{"SendHeaders", func(p *peer, s *stateSetup, id uint32) error { return p.c.SendHeaders(id, fields(s.send...), false) }},
	{"SendHeaders+END_STREAM", func(p *peer, s *stateSetup, id uint32) error { return p.c.SendHeaders(id, fields(s.send...), true) }},
	{"SendData", func(p *peer, s *stateSetup, id uint32) error {
		_, err := p.c.SendData(id, []byte("x"), false)
		return err
	}},
	{"SendData+END_STREAM", func(p *peer, s *stateSetup, id uint32) error {
		_, err := p.c.SendData(id, []byte("x"), true)
		return err
	}},
	{"ResetStream", func(p *peer, s *stateSetup, id uint32) error { return p.c.ResetStream(id, frame.ErrCodeCancel) }},
	{"PushPromise", func(p *peer, s *stateSetup, id uint32) error {
		_, err := p.c.PushPromise(id, fields(pushReq...))
		return err
	}},
}

// drain discards whatever the engine has sent and reported so far.
func (p *peer) drain() {
	p.t.Helper()
	p.frames()
	p.drainEvents()
}

// mustSend fails the test on an API error.
func mustSend(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// request opens a client stream with SendRequest and drains its frames.
func (p *peer) request(kv []string, endStream bool) uint32 {
	p.t.Helper()
	id, err := p.c.SendRequest(fields(kv...), endStream)
	mustSend(p.t, err)
	p.drain()
	return id
}

// respond sends a response header block from the server engine.
func (p *peer) respond(id uint32, endStream bool) {
	p.t.Helper()
	mustSend(p.t, p.c.SendHeaders(id, fields(resp200...), endStream))
	p.drain()
}

var serverSetups = []stateSetup{
	{name: "idle", state: StateIdle, recv: getReq, send: resp200,
		run:  func(p *peer) uint32 { return 1 },
		want: "ev:RequestReceived open|ev:RequestReceived hc-r|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|none idle|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrStreamClosed idle"},
	{name: "reserved (local)", state: StateReservedLocal, recv: getReq, send: resp200,
		run: func(p *peer) uint32 {
			p.get(1, "/")
			id, err := p.c.PushPromise(1, fields(pushReq...))
			mustSend(p.t, err)
			p.drain()
			return id
		},
		want: "goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|ev:StreamReset closed|none res-l|none res-l|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|frame:HEADERS hc-r|frame:HEADERS closed|err:ErrStreamClosed res-l|err:ErrStreamClosed res-l|frame:RST_STREAM closed|err:ErrStreamClosed res-l"},
	{name: "open, response sent", state: StateOpen, recv: trailers, send: trailers,
		run:  func(p *peer) uint32 { p.headers(1, false, postReq...); p.respond(1, false); return 1 },
		want: "rst:PROTOCOL_ERROR closed|ev:TrailersReceived hc-r|ev:DataReceived open|ev:DataReceived hc-r|ev:StreamReset closed|none open|none open|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrStreamClosed open|frame:HEADERS hc-l|frame:DATA open|frame:DATA hc-l|frame:RST_STREAM closed|frame:PUSH_PROMISE open"},
	{name: "open, no response", state: StateOpen, recv: trailers, send: resp200,
		run:  func(p *peer) uint32 { p.headers(1, false, postReq...); p.drain(); return 1 },
		want: "rst:PROTOCOL_ERROR closed|ev:TrailersReceived hc-r|ev:DataReceived open|ev:DataReceived hc-r|ev:StreamReset closed|none open|none open|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|frame:HEADERS open|frame:HEADERS hc-l|err:ErrStreamClosed open|err:ErrStreamClosed open|frame:RST_STREAM closed|frame:PUSH_PROMISE open"},
	{name: "half-closed (local)", state: StateHalfClosedLocal, recv: trailers, send: trailers,
		run:  func(p *peer) uint32 { p.headers(1, false, postReq...); p.respond(1, true); return 1 },
		want: "rst:PROTOCOL_ERROR closed|ev:TrailersReceived closed|ev:DataReceived hc-l|ev:DataReceived closed|ev:StreamReset closed|none hc-l|none hc-l|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|frame:RST_STREAM closed|err:ErrStreamClosed hc-l"},
	{name: "half-closed (remote), response sent", state: StateHalfClosedRemote, recv: trailers, send: trailers,
		run:  func(p *peer) uint32 { p.get(1, "/"); p.respond(1, false); return 1 },
		want: "rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|ev:StreamReset closed|none hc-r|none hc-r|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrStreamClosed hc-r|frame:HEADERS closed|frame:DATA hc-r|frame:DATA closed|frame:RST_STREAM closed|frame:PUSH_PROMISE hc-r"},
	{name: "half-closed (remote), no response", state: StateHalfClosedRemote, recv: getReq, send: resp200,
		run:  func(p *peer) uint32 { p.get(1, "/"); p.drain(); return 1 },
		want: "rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|ev:StreamReset closed|none hc-r|none hc-r|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|frame:HEADERS hc-r|frame:HEADERS closed|err:ErrStreamClosed hc-r|err:ErrStreamClosed hc-r|frame:RST_STREAM closed|frame:PUSH_PROMISE hc-r"},
	{name: "closed (END_STREAM both ways)", state: StateClosed, recv: trailers, send: resp200,
		run:  func(p *peer) uint32 { p.get(1, "/"); p.respond(1, true); return 1 },
		want: closedWant},
	{name: "closed (peer's RST_STREAM)", state: StateClosed, recv: trailers, send: resp200,
		run: func(p *peer) uint32 {
			p.headers(1, false, postReq...)
			p.write(&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel})
			p.drain()
			return 1
		},
		want: closedWant},
	{name: "closed (our RST_STREAM)", state: StateClosed, recv: trailers, send: resp200,
		run: func(p *peer) uint32 {
			p.headers(1, false, postReq...)
			mustSend(p.t, p.c.ResetStream(1, frame.ErrCodeCancel))
			p.drain()
			return 1
		},
		// Section 5.1, "closed": frames the peer sent before it saw our
		// RST_STREAM are ignored (CONTINUATION without HEADERS is still
		// a framing error).
		want: "none closed|none closed|none closed|none closed|none closed|none closed|none closed|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrStreamClosed closed"},
}

// closedWant: a stream the peer knows is closed (Section 5.1, "closed").
const closedWant = "goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|none closed|none closed|none closed|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrStreamClosed closed"

// clientSends: a client's sending side in a state where it may send.
const clientSends = "err:ErrStreamClosed open|frame:HEADERS hc-l|frame:DATA open|frame:DATA hc-l|frame:RST_STREAM closed|err:ErrWrongRole open"

// clientDone: a client's sending side once it sent END_STREAM.
const clientDone = "err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|err:ErrStreamClosed hc-l|frame:RST_STREAM closed|err:ErrWrongRole hc-l"

var clientSetups = []stateSetup{
	{name: "idle (ours)", state: StateIdle, recv: resp200, send: postReq,
		run:  func(p *peer) uint32 { return 1 },
		want: "goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|none idle|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrWrongRole idle"},
	{name: "idle (peer's)", state: StateIdle, recv: resp200, send: postReq,
		run:  func(p *peer) uint32 { return 2 },
		want: "goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|none idle|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrUnknownStream idle|err:ErrWrongRole idle"},
	{name: "reserved (remote)", state: StateReservedRemote, recv: resp200, send: resp200,
		run: func(p *peer) uint32 {
			p.request(getReq, true)
			p.write(&frame.PushPromise{StreamID: 1, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(pushReq...)})
			p.drain()
			return 2
		},
		want: "ev:ResponseReceived hc-l|ev:ResponseReceived closed|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|ev:StreamReset closed|none res-r|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrStreamClosed res-r|err:ErrStreamClosed res-r|err:ErrStreamClosed res-r|err:ErrStreamClosed res-r|frame:RST_STREAM closed|err:ErrWrongRole res-r"},
	{name: "open, response received", state: StateOpen, recv: trailers, send: trailers,
		run: func(p *peer) uint32 {
			id := p.request(postReq, false)
			p.headers(id, false, resp200...)
			p.drain()
			return id
		},
		want: "rst:PROTOCOL_ERROR closed|ev:TrailersReceived hc-r|ev:DataReceived open|ev:DataReceived hc-r|ev:StreamReset closed|none open|none open|ev:PushPromiseReceived open|goaway:PROTOCOL_ERROR|" + clientSends},
	{name: "open, no response", state: StateOpen, recv: resp200, send: trailers,
		run:  func(p *peer) uint32 { return p.request(postReq, false) },
		want: "ev:ResponseReceived open|ev:ResponseReceived hc-r|rst:PROTOCOL_ERROR closed|rst:PROTOCOL_ERROR closed|ev:StreamReset closed|none open|none open|ev:PushPromiseReceived open|goaway:PROTOCOL_ERROR|" + clientSends},
	{name: "half-closed (local), response received", state: StateHalfClosedLocal, recv: trailers, send: trailers,
		run: func(p *peer) uint32 {
			id := p.request(getReq, true)
			p.headers(id, false, resp200...)
			p.drain()
			return id
		},
		want: "rst:PROTOCOL_ERROR closed|ev:TrailersReceived closed|ev:DataReceived hc-l|ev:DataReceived closed|ev:StreamReset closed|none hc-l|none hc-l|ev:PushPromiseReceived hc-l|goaway:PROTOCOL_ERROR|" + clientDone},
	{name: "half-closed (local), no response", state: StateHalfClosedLocal, recv: resp200, send: trailers,
		run:  func(p *peer) uint32 { return p.request(getReq, true) },
		want: "ev:ResponseReceived hc-l|ev:ResponseReceived closed|rst:PROTOCOL_ERROR closed|rst:PROTOCOL_ERROR closed|ev:StreamReset closed|none hc-l|none hc-l|ev:PushPromiseReceived hc-l|goaway:PROTOCOL_ERROR|" + clientDone},
	{name: "half-closed (remote)", state: StateHalfClosedRemote, recv: trailers, send: trailers,
		run: func(p *peer) uint32 {
			id := p.request(postReq, false)
			p.headers(id, true, resp200...)
			p.drain()
			return id
		},
		want: "rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|rst:STREAM_CLOSED closed|ev:StreamReset closed|none hc-r|none hc-r|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrStreamClosed hc-r|frame:HEADERS closed|frame:DATA hc-r|frame:DATA closed|frame:RST_STREAM closed|err:ErrWrongRole hc-r"},
	{name: "closed (END_STREAM both ways)", state: StateClosed, recv: trailers, send: trailers,
		run: func(p *peer) uint32 {
			id := p.request(getReq, true)
			p.headers(id, true, resp200...)
			p.drain()
			return id
		},
		want: "goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|goaway:STREAM_CLOSED|none closed|none closed|none closed|goaway:PROTOCOL_ERROR|goaway:PROTOCOL_ERROR|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrWrongRole closed"},
	{name: "closed (our RST_STREAM)", state: StateClosed, recv: resp200, send: trailers,
		run: func(p *peer) uint32 {
			id := p.request(getReq, true)
			mustSend(p.t, p.c.ResetStream(id, frame.ErrCodeCancel))
			p.drain()
			return id
		},
		// A PUSH_PROMISE on it still reserves the promised stream, which
		// is refused with RST_STREAM (Section 5.1, "closed").
		want: "none closed|none closed|none closed|none closed|none closed|none closed|none closed|frame:RST_STREAM closed|goaway:PROTOCOL_ERROR|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrUnknownStream closed|err:ErrWrongRole closed"},
}

// TestStreamStatesEveryPair is RFC 9113, Section 5.1 on real engines:
// every state reached, every input applied, for a server and a client.
func TestStreamStatesEveryPair(t *testing.T) {
	short := map[string]StreamState{"idle": StateIdle, "res-l": StateReservedLocal, "res-r": StateReservedRemote,
		"open": StateOpen, "hc-l": StateHalfClosedLocal, "hc-r": StateHalfClosedRemote, "closed": StateClosed}
	for _, group := range []struct {
		role   Role
		setups []stateSetup
	}{{Server, serverSetups}, {Client, clientSetups}} {
		for i := range group.setups {
			s := &group.setups[i]
			wants := strings.Split(s.want, "|")
			if len(wants) != len(stateInputs) {
				t.Fatalf("%v %s: %d expectations for %d inputs", group.role, s.name, len(wants), len(stateInputs))
			}
			for j, in := range stateInputs {
				t.Run(fmt.Sprintf("%v/%s/%s", group.role, s.name, in.name), func(t *testing.T) {
					p := newPeer(t, Config{Role: group.role})
					id := s.run(p)
					if got := p.c.State(id); got != s.state {
						t.Fatalf("setup reached %v, want %v", got, s.state)
					}
					err := in.apply(p, s, id)
					o := p.observe(err)
					outcome, state, hasState := strings.Cut(wants[j], " ")
					o.check(t, id, outcome)
					if hasState {
						if got := p.c.State(id); got != short[state] {
							t.Fatalf("after %s: state %v, want %v (%v)", in.name, got, short[state], o)
						}
					}
				})
			}
		}
	}
}
