package frame

import "testing"

// The expected lines were checked against nghttp2 1.52's `nghttp -v` and
// `nghttpd -v` receiving the same frames; the differences are noted.
func TestAppendSummary(t *testing.T) {
	const in = "          "
	for _, c := range []struct {
		name string
		f    Frame
		hdr  Header // zero: f.FrameHeader()
		want string
	}{
		{"settings", &Settings{Settings: []Setting{{SettingMaxConcurrentStreams, 100}, {SettingInitialWindowSize, 16383}}}, Header{},
			"SETTINGS frame <length=12, flags=0x00, stream_id=0>\n" +
				in + "(niv=2)\n" +
				in + "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]\n" +
				in + "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):16383]\n"},
		// nghttp prints UNKNOWN(0x10) for TLS_RENEG_PERMITTED.
		{"settings extensions", &Settings{Settings: []Setting{{SettingNoRFC7540Priorities, 1}, {SettingEnableConnectProtocol, 1}, {SettingTLSRenegPermitted, 2}, {0x99, 7}}}, Header{},
			"SETTINGS frame <length=24, flags=0x00, stream_id=0>\n" +
				in + "(niv=4)\n" +
				in + "[SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]\n" +
				in + "[SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1]\n" +
				in + "[TLS_RENEG_PERMITTED(0x10):2]\n" +
				in + "[UNKNOWN(0x99):7]\n"},
		{"settings ack", &Settings{Ack: true}, Header{},
			"SETTINGS frame <length=0, flags=0x01, stream_id=0>\n" +
				in + "; ACK\n" +
				in + "(niv=0)\n"},
		{"headers", &Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: make([]byte, 45)}, Header{},
			"HEADERS frame <length=45, flags=0x05, stream_id=1>\n" +
				in + "; END_STREAM | END_HEADERS\n" +
				in + "(padlen=0)\n"},
		{"headers priority", &Headers{StreamID: 13, EndStream: true, EndHeaders: true, HasPriority: true, Priority: PriorityParam{StreamDep: 11, Weight: 15}, BlockFragment: make([]byte, 34)}, Header{},
			"HEADERS frame <length=39, flags=0x25, stream_id=13>\n" +
				in + "; END_STREAM | END_HEADERS | PRIORITY\n" +
				in + "(padlen=0, dep_stream_id=11, weight=16, exclusive=0)\n"},
		{"headers padded priority", &Headers{StreamID: 1, EndHeaders: true, Padded: true, PadLength: 3, HasPriority: true, Priority: PriorityParam{Exclusive: true, Weight: 41}, BlockFragment: []byte{0x88}}, Header{},
			"HEADERS frame <length=10, flags=0x2c, stream_id=1>\n" +
				in + "; END_HEADERS | PADDED | PRIORITY\n" +
				in + "(padlen=4, dep_stream_id=0, weight=42, exclusive=1)\n"},
		{"data", &Data{StreamID: 1, Data: make([]byte, 2771)}, Header{},
			"DATA frame <length=2771, flags=0x00, stream_id=1>\n"},
		{"data end stream", &Data{StreamID: 17, EndStream: true}, Header{},
			"DATA frame <length=0, flags=0x01, stream_id=17>\n" +
				in + "; END_STREAM\n"},
		{"data padded", &Data{StreamID: 1, Padded: true, PadLength: 4, Data: []byte("hello")}, Header{},
			"DATA frame <length=10, flags=0x08, stream_id=1>\n" +
				in + "; PADDED\n" +
				in + "(padlen=5)\n"},
		// nghttp shows flags=0x00 here: its library clears unused flags.
		{"data unused flag", &Data{StreamID: 1, Data: []byte("hi")}, Header{Length: 2, Type: TypeData, Flags: 0x2, StreamID: 1},
			"DATA frame <length=2, flags=0x02, stream_id=1>\n"},
		{"priority", &Priority{StreamID: 3, PriorityParam: PriorityParam{Weight: 200}}, Header{},
			"PRIORITY frame <length=5, flags=0x00, stream_id=3>\n" +
				in + "(dep_stream_id=0, weight=201, exclusive=0)\n"},
		{"rst_stream", &RSTStream{StreamID: 2, Code: ErrCodeCancel}, Header{},
			"RST_STREAM frame <length=4, flags=0x00, stream_id=2>\n" +
				in + "(error_code=CANCEL(0x08))\n"},
		{"rst_stream unknown code", &RSTStream{StreamID: 2, Code: 0x55}, Header{},
			"RST_STREAM frame <length=4, flags=0x00, stream_id=2>\n" +
				in + "(error_code=unknown(0x55))\n"},
		{"push_promise", &PushPromise{StreamID: 1, EndHeaders: true, Padded: true, PadLength: 2, PromisedID: 2, BlockFragment: make([]byte, 6)}, Header{},
			"PUSH_PROMISE frame <length=13, flags=0x0c, stream_id=1>\n" +
				in + "; END_HEADERS | PADDED\n" +
				in + "(padlen=3, promised_stream_id=2)\n"},
		{"ping", &Ping{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 0xff}}, Header{},
			"PING frame <length=8, flags=0x00, stream_id=0>\n" +
				in + "(opaque_data=01020304050607ff)\n"},
		{"ping ack", &Ping{Ack: true}, Header{},
			"PING frame <length=8, flags=0x01, stream_id=0>\n" +
				in + "; ACK\n" +
				in + "(opaque_data=0000000000000000)\n"},
		{"goaway", &GoAway{}, Header{},
			"GOAWAY frame <length=8, flags=0x00, stream_id=0>\n" +
				in + "(last_stream_id=0, error_code=NO_ERROR(0x00), opaque_data(0)=[])\n"},
		{"goaway debug data", &GoAway{Code: ErrCodeEnhanceYourCalm, DebugData: []byte("bye\x00\x7f\xc3\xa9 now")}, Header{},
			"GOAWAY frame <length=19, flags=0x00, stream_id=0>\n" +
				in + "(last_stream_id=0, error_code=ENHANCE_YOUR_CALM(0x0b), opaque_data(11)=[bye.... now])\n"},
		{"window_update", &WindowUpdate{StreamID: 0, Increment: 36114}, Header{},
			"WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0>\n" +
				in + "(window_size_increment=36114)\n"},
		// nghttp merges CONTINUATION into HEADERS and never prints one.
		{"continuation", &Continuation{StreamID: 1, EndHeaders: true, BlockFragment: make([]byte, 4)}, Header{},
			"CONTINUATION frame <length=4, flags=0x04, stream_id=1>\n" +
				in + "; END_HEADERS\n"},
		{"priority_update", &PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=1, i")}, Header{},
			"PRIORITY_UPDATE frame <length=10, flags=0x00, stream_id=0>\n" +
				in + "(prioritized_stream_id=1, priority_field_value=[u=1, i])\n"},
		{"unknown", &Unknown{Hdr: Header{Length: 3, Type: 0x42, Flags: 0x3, StreamID: 1}, Payload: []byte("abc")}, Header{},
			"UNKNOWN frame <length=3, flags=0x03, stream_id=1>\n" +
				in + "(type=0x42)\n"},
		{"failed frame", nil, Header{Length: 4, Type: TypePriority, Flags: 0, StreamID: 3},
			"PRIORITY frame <length=4, flags=0x00, stream_id=3>\n"},
		{"failed frame with flags", nil, Header{Length: 1, Type: TypeData, Flags: FlagPadded | FlagEndStream, StreamID: 1},
			"DATA frame <length=1, flags=0x09, stream_id=1>\n" +
				in + "; END_STREAM | PADDED\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendSummary([]byte("> "), c.f, c.hdr, in))
			if got != "> "+c.want {
				t.Errorf("AppendSummary =\n%s\nwant\n> %s", got, c.want)
			}
		})
	}
}

// With the received header, the summary shows the flags as received.
func TestAppendSummaryLastHeader(t *testing.T) {
	var p Parser
	f, _, err := p.Parse(raw(TypeHeaders, 0xc5, 1, []byte{0x82}))
	if err != nil {
		t.Fatal(err)
	}
	got := string(AppendSummary(nil, f, p.LastHeader(), "  "))
	want := "HEADERS frame <length=1, flags=0xc5, stream_id=1>\n  ; END_STREAM | END_HEADERS\n  (padlen=0)\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
