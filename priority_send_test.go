package h2kit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// weight returns the wire form of an RFC 7540 weight (1..256).
func weight(w int) uint8 { return uint8(w - 1) }

// TestSendPriorityAnchors: PRIORITY frames on idle streams of ours
// (RFC 9113, Sections 5.1 and 6.3) make anchors; the requests that follow
// depend on them with the HEADERS priority fields (Section 6.2) and are
// opened on ids above them, never on an anchor.
func TestSendPriorityAnchors(t *testing.T) {
	p := newPeer(t, withStreamCheck(t, Config{Role: Client}, Client))
	anchors := []frame.PriorityParam{
		{Weight: weight(201)},
		{Weight: weight(101)},
		{Weight: weight(1)},
		{StreamDep: 5, Weight: weight(1)},
		{StreamDep: 1, Weight: weight(1)},
	}
	for i, a := range anchors {
		id, err := p.c.SendAnchor(a)
		if err != nil || id != uint32(2*i+1) {
			t.Fatalf("anchor %d: id %d, %v", i, id, err)
		}
	}
	if got := p.c.NextStreamID(); got != 11 {
		t.Fatalf("NextStreamID after 5 anchors = %d, want 11", got)
	}
	for i, a := range anchors {
		f := p.wantFrameType(frame.TypePriority).(*frame.Priority)
		if f.StreamID != uint32(2*i+1) || f.PriorityParam != a {
			t.Fatalf("PRIORITY %d: %+v, want stream %d %+v", i, f, 2*i+1, a)
		}
	}
	id, err := p.c.SendRequestPriority(reqFields("GET", "/"), true, frame.PriorityParam{StreamDep: 9, Weight: weight(16)})
	if err != nil || id != 11 {
		t.Fatalf("request: id %d, %v; want 11", id, err)
	}
	h := p.wantFrameType(frame.TypeHeaders).(*frame.Headers)
	if !h.HasPriority || h.Priority != (frame.PriorityParam{StreamDep: 9, Weight: 15}) || !h.EndStream || !h.EndHeaders {
		t.Fatalf("HEADERS %+v", h)
	}
	if fieldValue(p.decode(h.BlockFragment), ":path") != "/" {
		t.Fatal("header block lost")
	}
	// Exclusive, on an anchor, and a plain request after it: the ids
	// keep growing, the anchors stay unopened.
	id, err = p.c.SendRequestPriority(reqFields("GET", "/css"), true, frame.PriorityParam{StreamDep: 1, Exclusive: true, Weight: weight(32)})
	if err != nil || id != 13 {
		t.Fatalf("request: id %d, %v; want 13", id, err)
	}
	h = p.wantFrameType(frame.TypeHeaders).(*frame.Headers)
	if !h.HasPriority || h.Priority != (frame.PriorityParam{StreamDep: 1, Exclusive: true, Weight: 31}) {
		t.Fatalf("HEADERS %+v", h)
	}
	id, _ = p.c.SendRequest(reqFields("GET", "/plain"), true)
	if h = p.wantFrameType(frame.TypeHeaders).(*frame.Headers); id != 15 || h.HasPriority {
		t.Fatalf("plain request on %d: %+v", id, h)
	}
	// Re-prioritizing an open stream (Section 6.3: any state).
	if err := p.c.SendPriority(11, frame.PriorityParam{StreamDep: 13, Weight: weight(256)}); err != nil {
		t.Fatal(err)
	}
	if f := p.wantFrameType(frame.TypePriority).(*frame.Priority); f.StreamID != 11 || f.StreamDep != 13 || f.Weight != 255 {
		t.Fatalf("%+v", f)
	}
	// The peer answers on the streams it knows; the anchors are not
	// streams of the engine.
	if n := p.c.ActiveStreams(); n != 3 {
		t.Fatalf("ActiveStreams = %d, want 3 (the anchors are no streams)", n)
	}
}

// TestSendPriorityIDs: a PRIORITY frame on an idle id of ours above the
// next one moves the next id past it (the id is used: RFC 9113, Section
// 5.1.1); one on the peer's idle ids, or on ids already used, changes
// nothing. Sent on the last id, the connection can open no more streams.
func TestSendPriorityIDs(t *testing.T) {
	p := newPeer(t, withStreamCheck(t, Config{Role: Client}, Client))
	id, _ := p.c.SendRequest(reqFields("GET", "/"), true) // 1
	for _, pr := range []uint32{1, 2, 40, 101, 51} {
		if err := p.c.SendPriority(pr, frame.PriorityParam{Weight: 15}); err != nil {
			t.Fatalf("PRIORITY on %d: %v", pr, err)
		}
	}
	if got := p.c.NextStreamID(); id != 1 || got != 103 {
		t.Fatalf("after PRIORITY on 1 (open), 2 and 40 (the peer's), 101 and 51 (idle, ours): next id %d, want 103", got)
	}
	p.wantHeaders(1, true)
	for _, want := range []uint32{1, 2, 40, 101, 51} {
		if f := p.wantFrameType(frame.TypePriority).(*frame.Priority); f.StreamID != want {
			t.Fatalf("PRIORITY on %d, want %d", f.StreamID, want)
		}
	}
	if id, _ := p.c.SendRequest(reqFields("GET", "/"), true); id != 103 {
		t.Fatalf("request after the anchor on 101 opened %d, want 103", id)
	}
	if err := p.c.SendPriority(maxStreamID, frame.PriorityParam{}); err != nil {
		t.Fatal(err)
	}
	if p.c.NextStreamID() != 0 {
		t.Fatalf("NextStreamID = %d after an anchor on the last id", p.c.NextStreamID())
	}
	if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != ErrStreamsExhausted {
		t.Fatalf("request after the last id: %v", err)
	}
	if _, err := p.c.SendAnchor(frame.PriorityParam{}); err != ErrStreamsExhausted {
		t.Fatalf("anchor after the last id: %v", err)
	}
	// A server's anchors take its (push) ids.
	s := newPeer(t, Config{Role: Server})
	if id, err := s.c.SendAnchor(frame.PriorityParam{}); err != nil || id != 2 {
		t.Fatalf("server anchor: %d %v", id, err)
	}
	if s.c.NextStreamID() != 4 {
		t.Fatalf("server NextStreamID = %d, want 4", s.c.NextStreamID())
	}
}

// TestSendPriorityRefused: what the RFC forbids is refused with an error
// before anything is sent, and no stream id is used up by it.
func TestSendPriorityRefused(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	for _, c := range []struct {
		id   uint32
		p    frame.PriorityParam
		want string
	}{
		{0, frame.PriorityParam{}, "stream 0"},                               // RFC 9113, Section 6.3
		{3, frame.PriorityParam{StreamDep: 3}, "itself"},                     // RFC 7540, Section 5.3.1
		{1 << 31, frame.PriorityParam{}, "stream id above"},                  // 31 bits
		{3, frame.PriorityParam{StreamDep: 1 << 31}, "dependency above"},     // 31 bits
		{maxStreamID, frame.PriorityParam{StreamDep: maxStreamID}, "itself"}, // on the last id
	} {
		err := p.c.SendPriority(c.id, c.p)
		if !errors.Is(err, ErrPriorityInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SendPriority(%d, %+v) = %v, want ErrPriorityInvalid (%s)", c.id, c.p, err, c.want)
		}
	}
	// The request's own id as its dependency: refused, the id stays free.
	if _, err := p.c.SendRequestPriority(reqFields("GET", "/"), true, frame.PriorityParam{StreamDep: 1}); !errors.Is(err, ErrPriorityInvalid) {
		t.Fatalf("request depending on itself: %v", err)
	}
	if id, err := p.c.SendRequestPriority(reqFields("GET", "/"), true, frame.PriorityParam{StreamDep: 3}); err != nil || id != 1 {
		t.Fatalf("next request: id %d, %v; want 1", id, err)
	}
	p.wantNoFrame2(frame.TypeHeaders)
	if _, err := newPeer(t, Config{Role: Server}).c.SendRequestPriority(reqFields("GET", "/"), true, frame.PriorityParam{}); err != ErrWrongRole {
		t.Fatalf("server: %v", err)
	}
	// Having sent SETTINGS_NO_RFC7540_PRIORITIES = 1 (RFC 9218, Section 2.1).
	q := newPeer(t, Config{Role: Client, Settings: Settings{NoRFC7540Priorities: true}})
	if err := q.c.SendPriority(1, frame.PriorityParam{}); err != ErrRFC7540PrioritiesDisabled {
		t.Fatalf("with NoRFC7540Priorities: %v", err)
	}
	if _, err := q.c.SendRequestPriority(reqFields("GET", "/"), true, frame.PriorityParam{}); err != ErrRFC7540PrioritiesDisabled {
		t.Fatalf("with NoRFC7540Priorities: %v", err)
	}
	q.c.Close(frame.ErrCodeNo, "")
	if err := q.c.SendPriority(1, frame.PriorityParam{}); err != ErrConnClosed {
		t.Fatalf("after Close: %v", err)
	}
}

// wantNoFrame2 checks that what the engine wrote is exactly one frame of
// type typ (besides WINDOW_UPDATE): nothing of a refused call went out.
func (p *peer) wantNoFrame2(typ frame.Type) {
	p.t.Helper()
	p.wantFrame(typ)
	p.wantNoFrame()
}

// TestSendPriorityHeadersSplit: the priority fields take room in the
// first HEADERS frame: with them a large header block still fits the
// peer's SETTINGS_MAX_FRAME_SIZE in every frame (RFC 9113, Section 4.2).
func TestSendPriorityHeadersSplit(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	big := strings.Repeat("x", 8000)
	fs := reqFields("GET", "/")
	for i := range 5 {
		fs = append(fs, hpack.Field{Name: fmt.Sprint("x-big-", i), Value: big, Sensitive: true})
	}
	if _, err := p.c.SendRequestPriority(fs, true, frame.PriorityParam{StreamDep: 0, Weight: 7}); err != nil {
		t.Fatal(err)
	}
	p.fill()
	var frames int
	for b := p.out; len(b) >= frame.HeaderLen; frames++ {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if n > frame.DefaultMaxFrameSize {
			t.Fatalf("frame %d: length %d > %d", frames, n, frame.DefaultMaxFrameSize)
		}
		b = b[frame.HeaderLen+n:]
	}
	h := p.wantFrameType(frame.TypeHeaders).(*frame.Headers)
	if !h.HasPriority || h.Priority.Weight != 7 || h.EndHeaders {
		t.Fatalf("%+v", h)
	}
	block := append([]byte(nil), h.BlockFragment...)
	for {
		k := p.wantFrameType(frame.TypeContinuation).(*frame.Continuation)
		block = append(block, k.BlockFragment...)
		if k.EndHeaders {
			break
		}
	}
	if got := p.decode(block); fieldValue(got, "x-big-4") != big || len(got) != len(fs) || frames < 3 {
		t.Fatalf("header block not intact over %d frames", frames)
	}
}

// treeOf describes the RFC 7540 tree an engine built, one "id<parent:weight"
// per node, sorted by id.
func treeOf(c *Conn) string {
	var out []string
	for id, n := range c.sched.nodes {
		out = append(out, fmt.Sprintf("%d<%d:%d", id, n.parent.id, n.weight))
	}
	sort.Slice(out, func(i, j int) bool {
		var a, b int
		fmt.Sscan(out[i], &a)
		fmt.Sscan(out[j], &b)
		return a < b
	})
	return strings.Join(out, " ")
}

// TestPipeRFC7540Priority: between two engines, the client's anchors and
// dependencies become the server's RFC 7540 tree (RFC 7540, Sections
// 5.3.1 to 5.3.4), exclusive dependencies included, and the server
// shares DATA by it: the dependent stream waits for its parent. The
// stream state checker of newPipe sees only PRIORITY and HEADERS on
// the idle streams.
func TestPipeRFC7540Priority(t *testing.T) {
	a := newPipeApp(t, Config{}, Config{})
	c := a.client
	a.clientStop = true
	lead, _ := c.SendAnchor(frame.PriorityParam{Weight: weight(201)})                  // 1
	follow, _ := c.SendAnchor(frame.PriorityParam{StreamDep: lead, Weight: weight(1)}) // 3
	page, err := c.SendRequestPriority(reqFields("GET", "/page"), true, frame.PriorityParam{StreamDep: follow, Weight: weight(16)})
	if err != nil || page != 5 {
		t.Fatalf("page: %d %v", page, err)
	}
	css, _ := c.SendRequestPriority(reqFields("GET", "/css"), true, frame.PriorityParam{StreamDep: lead, Weight: weight(32)})
	img, _ := c.SendRequestPriority(reqFields("GET", "/img"), true, frame.PriorityParam{StreamDep: css, Exclusive: true, Weight: weight(12)})
	a.exchange()
	if got, want := treeOf(a.srv), "1<0:201 3<1:1 5<3:16 7<1:32 9<7:12"; got != want {
		t.Fatalf("server tree %q, want %q", got, want)
	}
	// The exclusive flag moves the siblings under the new node.
	other, _ := c.SendRequestPriority(reqFields("GET", "/other"), true, frame.PriorityParam{StreamDep: lead, Exclusive: true, Weight: weight(8)})
	a.exchange()
	if other != 11 {
		t.Fatalf("other on %d", other)
	}
	if got, want := treeOf(a.srv), "1<0:201 3<11:1 5<3:16 7<11:32 9<7:12 11<1:8"; got != want {
		t.Fatalf("server tree after an exclusive dependency %q, want %q", got, want)
	}
	// A dependent waits while its parent has data: /css (7) goes before
	// /img (9), which depends on it.
	for _, id := range []uint32{img, css} {
		a.respond(id, fields(":status", "200"), pattern(20000, 1), nil)
	}
	a.sendBodies(a.srv, a.sOut)
	order := dataOrder(t, a.srv.AppendOutgoing(nil))
	if len(order) < 2 || order[0] != css || order[1] != img {
		t.Fatalf("DATA order %v, want %d before its dependent %d", order, css, img)
	}
}
