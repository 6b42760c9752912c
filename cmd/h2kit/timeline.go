package main

// This file records the frames of HTTP/2 connections for drawing them as
// a timeline: `h2kit get --timeline FILE.html` writes a page that draws
// its connections, and `h2kit serve` keeps the frames of each demo
// connection for the page to draw its own (serve_frames.go). Both draw
// with demo/timeline.js, from the JSON of a timelineDoc.
//
// A timelineRecorder is an h2kit.Tracer beside -v's frameTracer: it sees
// the same frames and keeps, for each, what the drawing needs (time,
// direction, type, stream, length, flags that end a stream, promised
// stream, window increment, error code, priority) and the frame's summary
// as -v prints it (frame.AppendSummary, then the header fields), shown
// when the pointer is on the frame. A recorder is bounded: past its cap
// of frames or of bytes it counts the frames it drops.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// tlMaxText bounds the summary kept of one frame (a huge header block is
// cut, with "..." at the end).
const tlMaxText = 4 << 10

// tlEvent is one frame of a timeline, as timeline.js reads it.
type tlEvent struct {
	T        float64 `json:"t"`                  // milliseconds since the timeline's start
	Dir      string  `json:"dir"`                // "send" or "recv", from the recording side
	Type     string  `json:"type"`               // "DATA", "HEADERS", ...
	Stream   uint32  `json:"stream"`             // the frame's stream (0: the connection)
	Len      uint32  `json:"len"`                // the frame's payload length
	End      bool    `json:"end,omitempty"`      // END_STREAM
	Promised uint32  `json:"promised,omitempty"` // PUSH_PROMISE: the promised stream
	Inc      uint32  `json:"inc,omitempty"`      // WINDOW_UPDATE: the increment
	Code     string  `json:"code,omitempty"`     // RST_STREAM, GOAWAY: the error code
	Last     uint32  `json:"last,omitempty"`     // GOAWAY: last_stream_id
	Ack      bool    `json:"ack,omitempty"`      // SETTINGS, PING: ACK
	// Window is SETTINGS_INITIAL_WINDOW_SIZE in a SETTINGS frame, -1
	// when it is not there.
	Window int64 `json:"window,omitempty"`
	// Prio is the priority the frame carries: RFC 9218's field value
	// ("u=1, i", from a priority header field or PRIORITY_UPDATE, whose
	// stream is then Target) or RFC 7540's ("dep=3 weight=16 exclusive").
	Prio   string `json:"prio,omitempty"`
	Target uint32 `json:"target,omitempty"` // PRIORITY_UPDATE: the prioritized stream
	// Label names a request or response: "GET /path" for a request
	// header block or a promise, ":status 200" for a response.
	Label string `json:"label,omitempty"`
	Text  string `json:"text"` // the frame as -v prints it
}

// tlConn is the record of one connection.
type tlConn struct {
	Role    string    `json:"role"`  // "client" or "server": the recording side
	Label   string    `json:"label"` // the peer, "https://host:port" or an address
	Start   float64   `json:"start"` // when it started, ms since the timeline's start
	Events  []tlEvent `json:"events"`
	Dropped int       `json:"dropped,omitempty"` // frames past the caps, not kept
}

// timelineDoc is what timeline.js draws: the connections of a run.
type timelineDoc struct {
	Title string    `json:"title"`
	Date  string    `json:"date"` // the start, RFC 3339
	Conns []*tlConn `json:"conns"`
}

// timelineRecorder records the frames of one connection (h2kit.Tracer;
// any goroutine).
type timelineRecorder struct {
	start     time.Time // the timeline's start: event times count from it
	maxEvents int
	maxBytes  int

	// shared, if set, is a budget of bytes shared with other recorders
	// (serve's, over all its connections), at most sharedMax; release
	// gives this recorder's part back.
	shared    *atomic.Int64
	sharedMax int64

	mu       sync.Mutex
	conn     tlConn
	bytes    int  // what the kept events cost (text, label, the event itself)
	released bool // release was called: nothing more is kept
}

// tlEventCost is what an event costs beyond its strings.
const tlEventCost = 160

var _ h2kit.Tracer = (*timelineRecorder)(nil)

// newTimelineRecorder returns the recorder of a connection to or from
// label, keeping at most maxEvents frames and maxBytes of their text.
func newTimelineRecorder(role h2kit.Role, label string, start time.Time, maxEvents, maxBytes int) *timelineRecorder {
	r := "server"
	if role == h2kit.Client {
		r = "client"
	}
	return &timelineRecorder{
		start: start, maxEvents: maxEvents, maxBytes: maxBytes,
		conn: tlConn{Role: r, Label: label, Start: msSince(start, time.Now())},
	}
}

// msSince is t - start in milliseconds, to the microsecond.
func msSince(start, t time.Time) float64 {
	return float64(t.Sub(start).Microseconds()) / 1000
}

// FrameSent records a frame sent.
func (r *timelineRecorder) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	r.record("send", h, f, fields)
}

// FrameReceived records a frame received.
func (r *timelineRecorder) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	r.record("recv", h, f, fields)
}

// snapshot returns a copy of the record so far.
func (r *timelineRecorder) snapshot() *tlConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.conn
	c.Events = append([]tlEvent(nil), r.conn.Events...)
	return &c
}

func (r *timelineRecorder) record(dir string, h frame.Header, f frame.Frame, fields []hpack.Field) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.conn.Events) >= r.maxEvents || r.bytes >= r.maxBytes || r.released {
		r.conn.Dropped++
		return
	}
	if h == (frame.Header{}) && f != nil {
		h = f.FrameHeader()
	}
	e := tlEvent{T: msSince(r.start, now), Dir: dir, Type: h.Type.String(), Stream: h.StreamID, Len: h.Length}
	switch f := f.(type) {
	case *frame.Data:
		e.End = f.EndStream
	case *frame.Headers:
		e.End = f.EndStream
		if f.HasPriority {
			e.Prio = prio7540(f.Priority)
		}
	case *frame.PushPromise:
		e.Promised = f.PromisedID
	case *frame.WindowUpdate:
		e.Inc = f.Increment
	case *frame.RSTStream:
		e.Code = f.Code.String()
	case *frame.GoAway:
		e.Code, e.Last = f.Code.String(), f.LastStreamID
	case *frame.Settings:
		e.Ack = f.Ack
		e.Window = -1
		if v, ok := f.Value(frame.SettingInitialWindowSize); ok {
			e.Window = int64(v)
		}
	case *frame.Ping:
		e.Ack = f.Ack
	case *frame.Priority:
		e.Prio = prio7540(f.PriorityParam)
	case *frame.PriorityUpdate:
		e.Prio, e.Target = string(appendSanitized(nil, string(f.FieldValue))), f.PrioritizedID
	}
	if fields != nil {
		e.Label = fieldsLabel(fields)
		for _, fl := range fields {
			if fl.Name == "priority" {
				e.Prio = string(appendSanitized(nil, fl.Value))
			}
		}
	}
	b := append([]byte(dir), ' ')
	b = frame.AppendSummary(b, f, h, traceIndent)
	for _, fl := range fields {
		if len(b) > tlMaxText {
			break
		}
		b = appendField(append(b, traceIndent...), fl)
	}
	if len(b) > tlMaxText {
		b = append(b[:tlMaxText], "..."...)
	}
	e.Text = strings.TrimSuffix(string(b), "\n")
	cost := len(e.Text) + len(e.Label) + tlEventCost
	if r.shared != nil && r.shared.Add(int64(cost)) > r.sharedMax {
		r.shared.Add(-int64(cost))
		r.conn.Dropped++
		return
	}
	r.bytes += cost
	r.conn.Events = append(r.conn.Events, e)
}

// release gives the recorder's part of the shared budget back, once its
// connection is closed; it keeps nothing more.
func (r *timelineRecorder) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shared != nil && !r.released {
		r.shared.Add(-int64(r.bytes))
	}
	r.released = true
}

// prio7540 describes an RFC 7540 priority: "dep=3 weight=16" and
// " exclusive" when the E bit is set.
func prio7540(p frame.PriorityParam) string {
	s := "dep=" + strconv.FormatUint(uint64(p.StreamDep), 10) + " weight=" + strconv.Itoa(int(p.Weight)+1)
	if p.Exclusive {
		s += " exclusive"
	}
	return s
}

// fieldsLabel names a header block: "GET /path" for a request (or a
// promised one), ":status 200" for a response, "trailers" for the rest.
func fieldsLabel(fields []hpack.Field) string {
	var method, path, status string
	for _, f := range fields {
		switch f.Name {
		case ":method":
			method = f.Value
		case ":path":
			path = f.Value
		case ":status":
			status = f.Value
		}
	}
	var s string
	switch {
	case method != "":
		s = method + " " + path
	case status != "":
		s = ":status " + status
	default:
		s = "trailers"
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return string(appendSanitized(nil, s))
}

// timelineTee passes each frame to two tracers.
type timelineTee struct{ a, b h2kit.Tracer }

func (t timelineTee) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	t.a.FrameSent(h, f, fields)
	t.b.FrameSent(h, f, fields)
}

func (t timelineTee) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	t.a.FrameReceived(h, f, fields)
	t.b.FrameReceived(h, f, fields)
}

// teeTracers returns a tracer calling a then b; either may be nil.
func teeTracers(a, b h2kit.Tracer) h2kit.Tracer {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return timelineTee{a, b}
}

// getTimeline is the record of `h2kit get --timeline`: a recorder per
// connection, in the order they were made.
type getTimeline struct {
	path  string
	doc   *timelineDoc
	start time.Time

	mu        sync.Mutex
	recorders []*timelineRecorder
}

// tracer returns the recorder of a new connection to label.
func (t *getTimeline) tracer(label string) *timelineRecorder {
	r := newTimelineRecorder(h2kit.Client, label, t.start, getTimelineMaxEvents, getTimelineMaxBytes)
	t.mu.Lock()
	t.recorders = append(t.recorders, r)
	t.mu.Unlock()
	return r
}

// write writes the page, once the connections are closed.
func (t *getTimeline) write() error {
	t.mu.Lock()
	for _, r := range t.recorders {
		t.doc.Conns = append(t.doc.Conns, r.snapshot())
	}
	t.mu.Unlock()
	f, err := os.Create(t.path)
	if err != nil {
		return err
	}
	err = writeTimelinePage(f, t.doc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--timeline %s: %w", t.path, err)
	}
	return nil
}
