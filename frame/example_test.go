package frame_test

import (
	"errors"
	"fmt"

	"github.com/h2kit/h2kit/frame"
)

// Parse a buffer holding several frames, as received from a peer.
func ExampleParser_Parse() {
	var buf []byte
	buf = (&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingMaxConcurrentStreams, Val: 100}}}).Append(buf)
	buf = (&frame.WindowUpdate{StreamID: 0, Increment: 1 << 20}).Append(buf)
	buf = (&frame.Data{StreamID: 1, EndStream: true, Data: []byte("hello")}).Append(buf)

	var p frame.Parser // MaxFrameSize 16384
	for len(buf) > 0 {
		f, n, err := p.Parse(buf)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if n == 0 {
			break // need more bytes
		}
		switch f := f.(type) {
		case *frame.Settings:
			fmt.Println("settings:", f.Settings)
		case *frame.WindowUpdate:
			fmt.Println("window update:", f.StreamID, f.Increment)
		case *frame.Data:
			fmt.Printf("data on stream %d: %q end_stream=%v\n", f.StreamID, f.Data, f.EndStream)
		}
		buf = buf[n:]
	}
	// Output:
	// settings: [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]
	// window update: 0 1048576
	// data on stream 1: "hello" end_stream=true
}

// A zero increment on a stream is a stream error: the frame is consumed
// and the caller resets the stream.
func ExampleError() {
	b := (&frame.WindowUpdate{StreamID: 3, Increment: 0}).Append(nil)
	var p frame.Parser
	_, n, err := p.Parse(b)
	var e *frame.Error
	if errors.As(err, &e) && e.Stream {
		fmt.Printf("reset stream %d with %v, skip %d bytes\n", e.StreamID, e.Code, n)
	}
	fmt.Println(err)
	// Output:
	// reset stream 3 with PROTOCOL_ERROR, skip 13 bytes
	// frame: stream error on stream 3 PROTOCOL_ERROR: WINDOW_UPDATE increment of 0 (RFC 9113, Section 6.9)
}

// Encode frames by appending to one buffer.
func ExampleHeaders_Append() {
	h := &frame.Headers{
		StreamID:      1,
		EndStream:     true,
		EndHeaders:    true,
		BlockFragment: []byte{0x82, 0x86, 0x84}, // :method GET, :scheme http, :path /
	}
	out := h.Append(nil)
	fmt.Printf("% x\n", out)
	fmt.Println(h.Len(), len(out) == frame.HeaderLen+h.Len())
	// Output:
	// 00 00 03 01 05 00 00 00 01 82 86 84
	// 3 true
}

// Print frames the way `nghttp -v` does.
func ExampleAppendSummary() {
	frames := []frame.Frame{
		&frame.Settings{Settings: []frame.Setting{
			{ID: frame.SettingMaxConcurrentStreams, Val: 100},
			{ID: frame.SettingInitialWindowSize, Val: 16383},
		}},
		&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: make([]byte, 45)},
		&frame.WindowUpdate{StreamID: 1, Increment: 10915},
		&frame.GoAway{Code: frame.ErrCodeNo},
	}
	var out []byte
	for _, f := range frames {
		out = append(out, "[  0.164] send "...)
		out = frame.AppendSummary(out, f, f.FrameHeader(), "          ")
	}
	fmt.Print(string(out))
	// Output:
	// [  0.164] send SETTINGS frame <length=12, flags=0x00, stream_id=0>
	//           (niv=2)
	//           [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]
	//           [SETTINGS_INITIAL_WINDOW_SIZE(0x04):16383]
	// [  0.164] send HEADERS frame <length=45, flags=0x05, stream_id=1>
	//           ; END_STREAM | END_HEADERS
	//           (padlen=0)
	// [  0.164] send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=1>
	//           (window_size_increment=10915)
	// [  0.164] send GOAWAY frame <length=8, flags=0x00, stream_id=0>
	//           (last_stream_id=0, error_code=NO_ERROR(0x00), opaque_data(0)=[])
}

// Check a peer's settings before applying them.
func ExampleSetting_Valid() {
	for _, s := range []frame.Setting{
		{ID: frame.SettingMaxFrameSize, Val: 1 << 20},
		{ID: frame.SettingMaxFrameSize, Val: 1000},
		{ID: frame.SettingInitialWindowSize, Val: 1 << 31},
	} {
		fmt.Println(s, "->", s.Valid())
	}
	// Output:
	// SETTINGS_MAX_FRAME_SIZE(0x05):1048576 -> <nil>
	// SETTINGS_MAX_FRAME_SIZE(0x05):1000 -> frame: connection error PROTOCOL_ERROR: SETTINGS_MAX_FRAME_SIZE outside 16384..16777215 (RFC 9113, Section 6.5.2)
	// SETTINGS_INITIAL_WINDOW_SIZE(0x04):2147483648 -> frame: connection error FLOW_CONTROL_ERROR: SETTINGS_INITIAL_WINDOW_SIZE exceeds 2^31-1 (RFC 9113, Section 6.5.2)
}
