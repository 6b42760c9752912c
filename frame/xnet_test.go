package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"golang.org/x/net/http2"
)

// fromXNet converts a frame read by golang.org/x/net/http2.Framer, the
// reference peer, into this package's representation.
func fromXNet(t *testing.T, xf http2.Frame) Frame {
	t.Helper()
	h := xf.Header()
	padLen := func(rest int) (bool, uint8) {
		if !h.Flags.Has(http2.FlagDataPadded) { // 0x8 for every padded type
			return false, 0
		}
		return true, uint8(int(h.Length) - 1 - rest)
	}
	switch f := xf.(type) {
	case *http2.DataFrame:
		padded, pad := padLen(len(f.Data()))
		return &Data{StreamID: h.StreamID, EndStream: f.StreamEnded(), Padded: padded, PadLength: pad, Data: f.Data()}
	case *http2.HeadersFrame:
		fixed := 0
		if f.HasPriority() {
			fixed = 5
		}
		padded, pad := padLen(fixed + len(f.HeaderBlockFragment()))
		return &Headers{StreamID: h.StreamID, EndStream: f.StreamEnded(), EndHeaders: f.HeadersEnded(),
			Padded: padded, PadLength: pad, HasPriority: f.HasPriority(),
			Priority:      PriorityParam{StreamDep: f.Priority.StreamDep, Exclusive: f.Priority.Exclusive, Weight: f.Priority.Weight},
			BlockFragment: f.HeaderBlockFragment()}
	case *http2.PriorityFrame:
		return &Priority{StreamID: h.StreamID, PriorityParam: PriorityParam{StreamDep: f.StreamDep, Exclusive: f.Exclusive, Weight: f.Weight}}
	case *http2.RSTStreamFrame:
		return &RSTStream{StreamID: h.StreamID, Code: ErrCode(f.ErrCode)}
	case *http2.SettingsFrame:
		s := &Settings{Ack: f.IsAck()}
		f.ForeachSetting(func(x http2.Setting) error {
			s.Settings = append(s.Settings, Setting{ID: SettingID(x.ID), Val: x.Val})
			return nil
		})
		return s
	case *http2.PushPromiseFrame:
		padded, pad := padLen(4 + len(f.HeaderBlockFragment()))
		return &PushPromise{StreamID: h.StreamID, EndHeaders: f.HeadersEnded(), Padded: padded, PadLength: pad,
			PromisedID: f.PromiseID, BlockFragment: f.HeaderBlockFragment()}
	case *http2.PingFrame:
		return &Ping{Ack: f.IsAck(), Data: f.Data}
	case *http2.GoAwayFrame:
		return &GoAway{LastStreamID: f.LastStreamID, Code: ErrCode(f.ErrCode), DebugData: f.DebugData()}
	case *http2.WindowUpdateFrame:
		return &WindowUpdate{StreamID: h.StreamID, Increment: f.Increment}
	case *http2.ContinuationFrame:
		return &Continuation{StreamID: h.StreamID, EndHeaders: f.HeadersEnded(), BlockFragment: f.HeaderBlockFragment()}
	case *http2.PriorityUpdateFrame:
		return &PriorityUpdate{PrioritizedID: f.PrioritizedStreamID, FieldValue: []byte(f.Priority)}
	case *http2.UnknownFrame:
		return &Unknown{Hdr: Header{Length: h.Length, Type: Type(h.Type), Flags: Flags(h.Flags), StreamID: h.StreamID}, Payload: f.Payload()}
	}
	t.Fatalf("unexpected x/net frame %T", xf)
	return nil
}

// What this package appends, x/net reads back as the same frames.
func TestXNetReadsAppend(t *testing.T) {
	frames := mixedFrames()
	fr := http2.NewFramer(io.Discard, bytes.NewReader(appendAll(nil, frames)))
	for i, want := range frames {
		xf, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d (%T): x/net ReadFrame: %v", i, want, err)
		}
		if got := fromXNet(t, xf); frameString(got) != frameString(want) {
			t.Errorf("frame %d: x/net read\n  %s\nwant\n  %s", i, frameString(got), frameString(want))
		}
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("trailing data: %v", err)
	}
}

// What x/net writes, this package parses to what x/net reads.
func TestParseXNetWrites(t *testing.T) {
	var buf bytes.Buffer
	w := http2.NewFramer(&buf, nil)
	block := []byte{0x82, 0x86, 0x84, 0x41, 0x8a}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}, http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1}))
	must(w.WriteSettingsAck())
	must(w.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndStream: true, EndHeaders: true}))
	must(w.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: block, PadLength: 7,
		Priority: http2.PriorityParam{StreamDep: 1, Exclusive: true, Weight: 99}}))
	must(w.WriteContinuation(3, true, block))
	must(w.WriteData(1, false, []byte("body")))
	must(w.WriteDataPadded(1, true, []byte("end"), make([]byte, 12)))
	must(w.WritePriority(5, http2.PriorityParam{StreamDep: 3, Weight: 7}))
	must(w.WriteRSTStream(5, http2.ErrCodeRefusedStream))
	must(w.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: block, EndHeaders: true, PadLength: 3}))
	must(w.WritePing(true, [8]byte{8, 7, 6, 5, 4, 3, 2, 1}))
	must(w.WriteWindowUpdate(0, 65535))
	must(w.WritePriorityUpdate(7, "u=3"))
	must(w.WriteRawFrame(0xee, 0x5, 9, []byte("opaque")))
	must(w.WriteGoAway(7, http2.ErrCodeEnhanceYourCalm, []byte("calm")))
	stream := buf.Bytes()

	r := http2.NewFramer(io.Discard, bytes.NewReader(stream))
	var p Parser
	for i := 0; len(stream) > 0; i++ {
		f, n, err := p.Parse(stream)
		if err != nil || n == 0 {
			t.Fatalf("frame %d: Parse = %d, %v", i, n, err)
		}
		xf, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: x/net: %v", i, err)
		}
		if got, want := frameString(f), frameString(fromXNet(t, xf)); got != want {
			t.Errorf("frame %d: parsed\n  %s\nx/net read\n  %s", i, got, want)
		}
		stream = stream[n:]
	}
}

// Both parsers classify invalid frames alike. Known, intended differences
// are listed.
func TestXNetErrorsAgree(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		diff string // why the classifications differ, if they do
	}{
		{"DATA stream 0", raw(TypeData, 0, 0, []byte("a")), ""},
		{"DATA pad too long", raw(TypeData, FlagPadded, 1, []byte{5}, zeros(2)), ""},
		{"DATA padded empty", raw(TypeData, FlagPadded, 1), "x/net: io.ErrUnexpectedEOF; we: FRAME_SIZE_ERROR (Section 4.2)"},
		{"HEADERS stream 0", raw(TypeHeaders, FlagEndHeaders, 0, []byte{0x82}), ""},
		{"HEADERS pad too long", raw(TypeHeaders, FlagPadded, 1, []byte{5}, zeros(2)), "x/net: stream error; Section 6.2 says connection error"},
		{"HEADERS priority too short", raw(TypeHeaders, FlagPriority|FlagEndHeaders, 1, zeros(4)), "x/net: io.ErrUnexpectedEOF; we: FRAME_SIZE_ERROR (Section 4.2)"},
		{"PRIORITY stream 0", raw(TypePriority, 0, 0, zeros(5)), ""},
		{"PRIORITY length 4", raw(TypePriority, 0, 1, zeros(4)), "x/net: connection error; Section 6.3 says stream error"},
		{"PRIORITY self dependency", raw(TypePriority, 0, 1, u32(1), []byte{0}), "x/net leaves it to its caller"},
		{"RST_STREAM stream 0", raw(TypeRSTStream, 0, 0, zeros(4)), ""},
		{"RST_STREAM length 5", raw(TypeRSTStream, 0, 1, zeros(5)), ""},
		{"SETTINGS stream 1", raw(TypeSettings, 0, 1), ""},
		{"SETTINGS ack with payload", raw(TypeSettings, FlagAck, 0, zeros(6)), ""},
		{"SETTINGS length 5", raw(TypeSettings, 0, 0, zeros(5)), ""},
		{"SETTINGS enable push 2", raw(TypeSettings, 0, 0, setting(SettingEnablePush, 2)), "x/net checks values later, in Setting.Valid"},
		{"SETTINGS window too large", raw(TypeSettings, 0, 0, setting(SettingInitialWindowSize, 1<<31)), ""},
		{"SETTINGS max frame size small", raw(TypeSettings, 0, 0, setting(SettingMaxFrameSize, 100)), "x/net checks values later, in Setting.Valid"},
		{"PUSH_PROMISE stream 0", raw(TypePushPromise, FlagEndHeaders, 0, u32(2)), ""},
		{"PUSH_PROMISE promised 0", raw(TypePushPromise, FlagEndHeaders, 1, u32(0)), "x/net leaves promised stream 0 to its caller"},
		{"PUSH_PROMISE too short", raw(TypePushPromise, FlagEndHeaders, 1, zeros(3)), "x/net: io.ErrUnexpectedEOF; we: FRAME_SIZE_ERROR (Section 4.2)"},
		{"PING stream 1", raw(TypePing, 0, 1, zeros(8)), ""},
		{"PING length 7", raw(TypePing, 0, 0, zeros(7)), ""},
		{"GOAWAY stream 1", raw(TypeGoAway, 0, 1, zeros(8)), ""},
		{"GOAWAY length 7", raw(TypeGoAway, 0, 0, zeros(7)), ""},
		{"WINDOW_UPDATE zero stream", raw(TypeWindowUpdate, 0, 1, u32(0)), ""},
		{"WINDOW_UPDATE zero connection", raw(TypeWindowUpdate, 0, 0, u32(0)), ""},
		{"WINDOW_UPDATE length 3", raw(TypeWindowUpdate, 0, 1, zeros(3)), ""},
		{"CONTINUATION stream 0", raw(TypeContinuation, FlagEndHeaders, 0), ""},
		{"PRIORITY_UPDATE stream 1", raw(TypePriorityUpdate, 0, 1, u32(1)), ""},
		{"PRIORITY_UPDATE length 3", raw(TypePriorityUpdate, 0, 0, zeros(3)), ""},
		{"PRIORITY_UPDATE prioritized 0", raw(TypePriorityUpdate, 0, 0, u32(0)), ""},
		{"oversized", raw(TypeData, 0, 1, zeros(DefaultMaxFrameSize+1)), ""},
	} {
		var p Parser
		_, _, err := p.Parse(c.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Parse error %v", c.name, err)
			continue
		}
		fr := http2.NewFramer(io.Discard, bytes.NewReader(c.in))
		fr.SetMaxReadFrameSize(DefaultMaxFrameSize)
		_, xerr := fr.ReadFrame()
		var xcode http2.ErrCode
		xstream := false
		var se http2.StreamError
		var ce http2.ConnectionError
		switch {
		case errors.As(xerr, &se):
			xcode, xstream = se.Code, true
		case errors.As(xerr, &ce):
			xcode = http2.ErrCode(ce)
		case errors.Is(xerr, http2.ErrFrameTooLarge):
			xcode = http2.ErrCodeFrameSize
		default:
			xcode = 0xff
		}
		agree := ErrCode(xcode) == e.Code && xstream == e.Stream
		switch {
		case !agree && c.diff == "":
			t.Errorf("%s: we say %v (stream %v); x/net says %v", c.name, err, e.Stream, xerr)
		case agree && c.diff != "":
			t.Errorf("%s: listed as a difference but both say %v", c.name, err)
		}
	}
}
