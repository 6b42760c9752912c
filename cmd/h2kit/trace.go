package main

// This file prints HTTP/2 frames the way `nghttp -v` and `nghttpd -v` of
// nghttp2 do. It serves `h2kit serve -v` and `h2kit get -v`: a
// traceOutput is the destination shared by the connections of a process
// (one writer, one clock origin, one lock), and each connection gets a
// frameTracer, which implements h2kit.Tracer:
//
//	out := newTraceOutput(os.Stdout, time.Now())
//	cfg.Tracer = out.newTracer(h2kit.Client, "")        // nghttp style
//	srv.NewTracer = func(net.Conn) h2kit.Tracer {
//		return out.newTracer(h2kit.Server, "[id=1] ") // nghttpd style
//	}
//
// The output, as nghttp prints it:
//
//	[  0.000] send HEADERS frame <length=39, flags=0x25, stream_id=13>
//	          ; END_STREAM | END_HEADERS | PRIORITY
//	          (padlen=0, dep_stream_id=11, weight=16, exclusive=0)
//	          ; Open new stream
//	          :method: GET
//	          :path: /index.html
//	[  0.001] recv (stream_id=13) :status: 200
//	[  0.001] recv HEADERS frame <length=91, flags=0x04, stream_id=13>
//	          ; END_HEADERS
//	          (padlen=0)
//	          ; First response header
//
// Sent header fields follow their frame, indented; received ones precede
// it, one "recv (stream_id=N) name: value" line each (", sensitive" for a
// never-indexed field). The frame lines themselves come from
// frame.AppendSummary.

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// traceIndent starts the continuation lines of a frame, as in nghttp.
const traceIndent = "          "

// traceOutput is the destination of frame tracers: a writer shared by
// every connection of the process, the time that timestamps count from,
// and a lock that keeps the lines of one frame together. Each frame (or
// event) is one Write.
type traceOutput struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	now   func() time.Time // time.Now; replaced by tests
	buf   []byte           // under mu
}

// newTraceOutput returns a traceOutput writing to w, with timestamps
// relative to start.
func newTraceOutput(w io.Writer, start time.Time) *traceOutput {
	return &traceOutput{w: w, start: start, now: time.Now}
}

// newTracer returns the tracer of one connection. role is the side this
// process plays on it (h2kit.Server for serve, h2kit.Client for get); it
// tells a request from a response. prefix starts the first line of each
// frame, before the timestamp: nghttpd uses "[id=N] " to tell its
// connections apart, nghttp nothing.
func (o *traceOutput) newTracer(role h2kit.Role, prefix string) *frameTracer {
	return &frameTracer{out: o, role: role, prefix: prefix, streams: make(map[uint32]uint8)}
}

// Event prints one line with the prefix and a timestamp, for what is not
// a frame: "Connected", "closed", "stream_id=1 closed", ...
func (o *traceOutput) Event(prefix, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.appendStamp(append(o.buf[:0], prefix...))
	b = append(b, ' ')
	b = appendSanitized(b, msg)
	b = append(b, '\n')
	o.flush(b)
}

// Println prints a line as it is, without prefix or timestamp (nghttp's
// "The negotiated protocol: h2").
func (o *traceOutput) Println(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := appendSanitized(o.buf[:0], line)
	o.flush(append(b, '\n'))
}

// appendStamp appends "[  1.234]", the seconds since start with
// millisecond precision, as nghttp's print_timer does.
func (o *traceOutput) appendStamp(b []byte) []byte {
	d := max(o.now().Sub(o.start), 0)
	ms := d.Milliseconds()
	b = append(b, '[')
	sec := strconv.AppendInt(nil, ms/1000, 10)
	for i := len(sec); i < 3; i++ {
		b = append(b, ' ')
	}
	b = append(b, sec...)
	b = append(b, '.')
	frac := ms % 1000
	if frac < 100 {
		b = append(b, '0')
	}
	if frac < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, frac, 10)
	return append(b, ']')
}

// flush writes b and keeps it as the next buffer (under mu).
func (o *traceOutput) flush(b []byte) {
	o.w.Write(b) // a trace is best effort: a failing writer loses lines
	if cap(b) <= 64<<10 {
		o.buf = b[:0]
	} else {
		o.buf = nil // do not keep a huge header block's buffer
	}
}

// Stream state bits kept by frameTracer.
const (
	sentHeaders uint8 = 1 << iota // a HEADERS frame was sent on the stream
	recvHeaders                   // one was received
	sentEnd                       // END_STREAM sent (or the half cannot be used)
	recvEnd                       // END_STREAM received (or likewise)
)

// frameTracer prints the frames of one connection (h2kit.Tracer). It
// keeps a little state per open stream to annotate HEADERS frames as
// nghttp does ("; Open new stream", "; First response header",
// "; First push response header"); streams are forgotten once both halves
// are closed or reset.
//
// The methods may be called from any goroutine: the traceOutput lock
// guards the state.
type frameTracer struct {
	out    *traceOutput
	role   h2kit.Role
	prefix string
	// StreamEvents, if set, adds a "stream_id=N closed" line when a
	// stream ends (both halves closed, or reset), as nghttpd -v does.
	StreamEvents bool

	streams map[uint32]uint8 // under out.mu
}

var _ h2kit.Tracer = (*frameTracer)(nil)

// FrameSent prints a frame sent: its summary, then its header fields.
func (t *frameTracer) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	t.frame(true, h, f, fields)
}

// FrameReceived prints a frame received: its header fields, then its
// summary.
func (t *frameTracer) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	t.frame(false, h, f, fields)
}

// Event prints a line about the connection, such as "closed".
func (t *frameTracer) Event(msg string) { t.out.Event(t.prefix, msg) }

// Upgraded records that the connection started with an HTTP/1.1 Upgrade
// (h2c): stream 1 carries the upgrade request, already sent by the
// client, whose response comes in HTTP/2 frames.
func (t *frameTracer) Upgraded() {
	t.out.mu.Lock()
	defer t.out.mu.Unlock()
	if t.role == h2kit.Client {
		t.streams[1] = sentHeaders | sentEnd
	} else {
		t.streams[1] = recvHeaders | recvEnd
	}
}

func (t *frameTracer) frame(send bool, h frame.Header, f frame.Frame, fields []hpack.Field) {
	o := t.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if h == (frame.Header{}) && f != nil {
		h = f.FrameHeader()
	}
	b := o.buf[:0]
	dir := "recv"
	if send {
		dir = "send"
	}
	if !send {
		// nghttp prints received fields as they are decoded, before the
		// frame that carried them.
		for _, fl := range fields {
			b = o.appendStamp(append(b, t.prefix...))
			b = append(b, " recv (stream_id="...)
			b = strconv.AppendUint(b, uint64(h.StreamID), 10)
			if fl.Sensitive {
				b = append(b, ", sensitive"...)
			}
			b = append(b, ") "...)
			b = appendField(b, fl)
		}
	}
	b = o.appendStamp(append(b, t.prefix...))
	b = append(b, ' ')
	b = append(b, dir...)
	b = append(b, ' ')
	b = frame.AppendSummary(b, f, h, traceIndent)
	if note := t.note(send, h, f); note != "" {
		b = append(b, traceIndent...)
		b = append(b, note...)
		b = append(b, '\n')
	}
	if send {
		for _, fl := range fields {
			b = appendField(append(b, traceIndent...), fl)
		}
	}
	closed := t.update(send, h, f)
	if closed != 0 && t.StreamEvents {
		b = o.appendStamp(append(b, t.prefix...))
		b = append(b, " stream_id="...)
		b = strconv.AppendUint(b, uint64(closed), 10)
		b = append(b, " closed\n"...)
	}
	o.flush(b)
}

// fromClient reports whether a frame going in this direction is sent by
// the client of the connection.
func (t *frameTracer) fromClient(send bool) bool {
	return send == (t.role == h2kit.Client)
}

// note returns nghttp's annotation of the first HEADERS frame of a
// stream in a direction (under out.mu).
func (t *frameTracer) note(send bool, h frame.Header, f frame.Frame) string {
	if h.Type != frame.TypeHeaders || f == nil {
		return ""
	}
	mine := recvHeaders
	if send {
		mine = sentHeaders
	}
	if t.streams[h.StreamID]&mine != 0 {
		return "" // trailers, or the final response after a 1xx one
	}
	odd := h.StreamID%2 == 1
	switch client := t.fromClient(send); {
	case odd && client:
		return "; Open new stream"
	case odd:
		return "; First response header"
	case !client:
		return "; First push response header"
	}
	return ""
}

// update records the frame in the stream states and returns the ID of a
// stream it closed, or 0 (under out.mu).
func (t *frameTracer) update(send bool, h frame.Header, f frame.Frame) uint32 {
	id := h.StreamID
	if id == 0 || f == nil {
		return 0
	}
	hdrBit, endBit := recvHeaders, recvEnd
	if send {
		hdrBit, endBit = sentHeaders, sentEnd
	}
	st, known := t.streams[id]
	switch f := f.(type) {
	case *frame.Headers:
		st |= hdrBit
		if f.EndStream {
			st |= endBit
		}
	case *frame.Data:
		if !known {
			return 0
		}
		if f.EndStream {
			st |= endBit
		}
	case *frame.PushPromise:
		// The promised stream is reserved: its client half never opens.
		clientEnd := recvEnd
		if t.role == h2kit.Client {
			clientEnd = sentEnd
		}
		t.streams[f.PromisedID] |= clientEnd
		return 0
	case *frame.RSTStream:
		if !known {
			return 0
		}
		delete(t.streams, id)
		return id
	default:
		return 0
	}
	if st&(sentEnd|recvEnd) == sentEnd|recvEnd {
		delete(t.streams, id)
		return id
	}
	t.streams[id] = st
	return 0
}

// appendField appends "name: value\n", with control characters replaced
// so that a peer cannot forge trace lines.
func appendField(b []byte, f hpack.Field) []byte {
	b = appendSanitized(b, f.Name)
	b = append(b, ": "...)
	b = appendSanitized(b, f.Value)
	return append(b, '\n')
}

// appendSanitized appends s with ASCII control characters shown as '?'.
func appendSanitized(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = '?'
		}
		b = append(b, c)
	}
	return b
}
