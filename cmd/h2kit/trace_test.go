package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// fakeClock returns a traceOutput clock that advances by step on each
// reading, from start.
func fakeClock(start time.Time, step time.Duration) func() time.Time {
	t := start
	return func() time.Time {
		now := t
		t = t.Add(step)
		return now
	}
}

// TestTraceServerExchange prints a server's side of a request with push
// and trailers and compares it with the lines nghttpd -v prints.
func TestTraceServerExchange(t *testing.T) {
	var buf bytes.Buffer
	start := time.Unix(1000, 0)
	out := newTraceOutput(&buf, start)
	out.now = func() time.Time { return start.Add(502 * time.Millisecond) }
	tr := out.newTracer(h2kit.Server, "[id=1] ")
	tr.StreamEvents = true

	settings := &frame.Settings{Settings: []frame.Setting{{ID: frame.SettingMaxConcurrentStreams, Val: 100}}}
	tr.FrameSent(frame.Header{}, settings, nil)
	req := &frame.Headers{StreamID: 13, EndStream: true, EndHeaders: true, HasPriority: true,
		Priority: frame.PriorityParam{StreamDep: 11, Weight: 15}, BlockFragment: make([]byte, 39)}
	tr.FrameReceived(req.FrameHeader(), req, []hpack.Field{
		{Name: ":method", Value: "GET"}, {Name: ":path", Value: "/index.html"},
		{Name: "cookie", Value: "a=b", Sensitive: true},
	})
	pp := &frame.PushPromise{StreamID: 13, PromisedID: 2, EndHeaders: true, BlockFragment: make([]byte, 25)}
	tr.FrameSent(frame.Header{}, pp, []hpack.Field{{Name: ":method", Value: "GET"}, {Name: ":path", Value: "/s.css"}})
	resp := &frame.Headers{StreamID: 13, EndHeaders: true, BlockFragment: make([]byte, 91)}
	tr.FrameSent(frame.Header{}, resp, []hpack.Field{{Name: ":status", Value: "200"}})
	push := &frame.Headers{StreamID: 2, EndHeaders: true, BlockFragment: make([]byte, 41)}
	tr.FrameSent(frame.Header{}, push, []hpack.Field{{Name: ":status", Value: "200"}})
	tr.FrameSent(frame.Header{}, &frame.Data{StreamID: 13, Data: make([]byte, 6)}, nil)
	trailers := &frame.Headers{StreamID: 13, EndStream: true, EndHeaders: true, BlockFragment: make([]byte, 8)}
	tr.FrameSent(frame.Header{}, trailers, []hpack.Field{{Name: "foo", Value: "bar"}})
	tr.FrameSent(frame.Header{}, &frame.Data{StreamID: 2, EndStream: true, Data: make([]byte, 7)}, nil)
	tr.FrameReceived(frame.Header{}, &frame.GoAway{LastStreamID: 2}, nil)
	tr.Event("closed")

	want := `[id=1] [  0.502] send SETTINGS frame <length=6, flags=0x00, stream_id=0>
          (niv=1)
          [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]
[id=1] [  0.502] recv (stream_id=13) :method: GET
[id=1] [  0.502] recv (stream_id=13) :path: /index.html
[id=1] [  0.502] recv (stream_id=13, sensitive) cookie: a=b
[id=1] [  0.502] recv HEADERS frame <length=44, flags=0x25, stream_id=13>
          ; END_STREAM | END_HEADERS | PRIORITY
          (padlen=0, dep_stream_id=11, weight=16, exclusive=0)
          ; Open new stream
[id=1] [  0.502] send PUSH_PROMISE frame <length=29, flags=0x04, stream_id=13>
          ; END_HEADERS
          (padlen=0, promised_stream_id=2)
          :method: GET
          :path: /s.css
[id=1] [  0.502] send HEADERS frame <length=91, flags=0x04, stream_id=13>
          ; END_HEADERS
          (padlen=0)
          ; First response header
          :status: 200
[id=1] [  0.502] send HEADERS frame <length=41, flags=0x04, stream_id=2>
          ; END_HEADERS
          (padlen=0)
          ; First push response header
          :status: 200
[id=1] [  0.502] send DATA frame <length=6, flags=0x00, stream_id=13>
[id=1] [  0.502] send HEADERS frame <length=8, flags=0x05, stream_id=13>
          ; END_STREAM | END_HEADERS
          (padlen=0)
          foo: bar
[id=1] [  0.502] stream_id=13 closed
[id=1] [  0.502] send DATA frame <length=7, flags=0x01, stream_id=2>
          ; END_STREAM
[id=1] [  0.502] stream_id=2 closed
[id=1] [  0.502] recv GOAWAY frame <length=8, flags=0x00, stream_id=0>
          (last_stream_id=2, error_code=NO_ERROR(0x00), opaque_data(0)=[])
[id=1] [  0.502] closed
`
	if got := buf.String(); got != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
	if len(tr.streams) != 0 {
		t.Errorf("streams left: %v", tr.streams)
	}
}

// TestTraceClientExchange checks the client's annotations, nghttp style
// (no prefix, no stream events), and that a reset stream is forgotten.
func TestTraceClientExchange(t *testing.T) {
	var buf bytes.Buffer
	start := time.Unix(1000, 0)
	out := newTraceOutput(&buf, start)
	out.now = fakeClock(start, 1234567*time.Microsecond)
	tr := out.newTracer(h2kit.Client, "")

	req := &frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true}
	tr.FrameSent(frame.Header{}, req, []hpack.Field{{Name: ":method", Value: "GET"}})
	pp := &frame.PushPromise{StreamID: 1, PromisedID: 2, EndHeaders: true}
	tr.FrameReceived(frame.Header{}, pp, []hpack.Field{{Name: ":path", Value: "/a"}})
	tr.FrameReceived(frame.Header{}, &frame.Headers{StreamID: 1, EndHeaders: true}, []hpack.Field{{Name: ":status", Value: "103"}})
	tr.FrameReceived(frame.Header{}, &frame.Headers{StreamID: 1, EndHeaders: true}, []hpack.Field{{Name: ":status", Value: "200"}})
	tr.FrameReceived(frame.Header{}, &frame.Headers{StreamID: 2, EndHeaders: true}, []hpack.Field{{Name: ":status", Value: "200"}})
	tr.FrameSent(frame.Header{}, &frame.RSTStream{StreamID: 2, Code: frame.ErrCodeCancel}, nil)
	tr.FrameReceived(frame.Header{}, &frame.Data{StreamID: 1, EndStream: true}, nil)

	want := `[  0.000] send HEADERS frame <length=0, flags=0x05, stream_id=1>
          ; END_STREAM | END_HEADERS
          (padlen=0)
          ; Open new stream
          :method: GET
[  1.234] recv (stream_id=1) :path: /a
[  2.469] recv PUSH_PROMISE frame <length=4, flags=0x04, stream_id=1>
          ; END_HEADERS
          (padlen=0, promised_stream_id=2)
[  3.703] recv (stream_id=1) :status: 103
[  4.938] recv HEADERS frame <length=0, flags=0x04, stream_id=1>
          ; END_HEADERS
          (padlen=0)
          ; First response header
[  6.172] recv (stream_id=1) :status: 200
[  7.407] recv HEADERS frame <length=0, flags=0x04, stream_id=1>
          ; END_HEADERS
          (padlen=0)
[  8.641] recv (stream_id=2) :status: 200
[  9.876] recv HEADERS frame <length=0, flags=0x04, stream_id=2>
          ; END_HEADERS
          (padlen=0)
          ; First push response header
[ 11.111] send RST_STREAM frame <length=4, flags=0x00, stream_id=2>
          (error_code=CANCEL(0x08))
[ 12.345] recv DATA frame <length=0, flags=0x01, stream_id=1>
          ; END_STREAM
`
	if got := buf.String(); got != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
	if len(tr.streams) != 0 {
		t.Errorf("streams left: %v", tr.streams)
	}
}

func TestTraceStamp(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "[  0.000]"},
		{-time.Second, "[  0.000]"},
		{1500 * time.Microsecond, "[  0.001]"},
		{12*time.Second + 34*time.Millisecond, "[ 12.034]"},
		{1234*time.Second + 567*time.Millisecond, "[1234.567]"},
	} {
		start := time.Unix(1000, 0)
		o := newTraceOutput(nil, start)
		o.now = func() time.Time { return start.Add(c.d) }
		if got := string(o.appendStamp(nil)); got != c.want {
			t.Errorf("%v: %q, want %q", c.d, got, c.want)
		}
	}
}

// TestTraceUpgradeAndSanitize covers an h2c Upgrade's stream 1 and a
// header value with a newline, which must not start a forged line.
func TestTraceUpgradeAndSanitize(t *testing.T) {
	var buf bytes.Buffer
	out := newTraceOutput(&buf, time.Now())
	tr := out.newTracer(h2kit.Server, "")
	tr.StreamEvents = true
	tr.Upgraded()
	resp := &frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true}
	tr.FrameSent(frame.Header{}, resp, []hpack.Field{{Name: "x", Value: "a\n[  0.000] forged"}})
	got := buf.String()
	for _, s := range []string{"; First response header", "x: a?[  0.000] forged\n", "stream_id=1 closed"} {
		if !strings.Contains(got, s) {
			t.Errorf("missing %q in\n%s", s, got)
		}
	}
}

// TestTraceLines covers the lines get prints around frames, as nghttp.
func TestTraceLines(t *testing.T) {
	var buf bytes.Buffer
	start := time.Unix(1000, 0)
	out := newTraceOutput(&buf, start)
	out.now = func() time.Time { return start.Add(73 * time.Millisecond) }
	out.Event("", "Connected")
	out.Println("The negotiated protocol: h2")
	want := "[  0.073] Connected\nThe negotiated protocol: h2\n"
	if buf.String() != want {
		t.Errorf("%q, want %q", buf.String(), want)
	}
}
