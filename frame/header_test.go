package frame

import (
	"bytes"
	"errors"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{},
		{Length: 1<<24 - 1, Type: 0xff, Flags: 0xff, StreamID: 1<<31 - 1},
		{Length: 16384, Type: TypeData, Flags: FlagEndStream, StreamID: 1},
		{Length: 12, Type: TypeSettings},
	} {
		b := h.Append(nil)
		if len(b) != HeaderLen {
			t.Fatalf("Append wrote %d bytes", len(b))
		}
		if got := ParseHeader(b); got != h {
			t.Errorf("ParseHeader(Append(%+v)) = %+v", h, got)
		}
	}
}

func TestHeaderWire(t *testing.T) {
	h := Header{Length: 0x123456, Type: 0x9, Flags: 0x4, StreamID: 0x1234567}
	want := []byte{0x12, 0x34, 0x56, 0x9, 0x4, 0x01, 0x23, 0x45, 0x67}
	if got := h.Append([]byte("x")); !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Errorf("Append = % x, want x % x", got, want)
	}
	// RFC 9113, Section 4.1: the reserved bit is ignored on receipt and
	// sent as zero.
	in := []byte{0, 0, 0, 0, 0, 0x80, 0, 0, 5}
	if got := ParseHeader(in); got.StreamID != 5 {
		t.Errorf("ParseHeader with reserved bit: StreamID = %d, want 5", got.StreamID)
	}
	if got := (Header{StreamID: 1<<31 | 5}).Append(nil); got[5] != 0 {
		t.Errorf("Append sent the reserved bit: % x", got)
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{
		TypeData: "DATA", TypeHeaders: "HEADERS", TypePriority: "PRIORITY",
		TypeRSTStream: "RST_STREAM", TypeSettings: "SETTINGS", TypePushPromise: "PUSH_PROMISE",
		TypePing: "PING", TypeGoAway: "GOAWAY", TypeWindowUpdate: "WINDOW_UPDATE",
		TypeContinuation: "CONTINUATION", TypePriorityUpdate: "PRIORITY_UPDATE",
		0xa: "UNKNOWN", 0xf: "UNKNOWN", 0x11: "UNKNOWN", 0xff: "UNKNOWN",
	} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%#x).String() = %q, want %q", uint8(typ), got, want)
		}
		if typ.Known() != (want != "UNKNOWN") {
			t.Errorf("Type(%#x).Known() = %v", uint8(typ), typ.Known())
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = TypePriorityUpdate.String() + "" }); n != 0 {
		t.Errorf("Type.String allocates %v", n)
	}
}

func TestFlagsHas(t *testing.T) {
	f := FlagEndStream | FlagPadded
	if !f.Has(FlagEndStream) || !f.Has(FlagPadded) || !f.Has(FlagEndStream|FlagPadded) {
		t.Error("Has missed a set flag")
	}
	if f.Has(FlagEndHeaders) || f.Has(FlagEndStream|FlagPriority) {
		t.Error("Has reported an unset flag")
	}
}

func TestErrCodeString(t *testing.T) {
	for c, want := range map[ErrCode]string{
		0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
		0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
		0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xa: "CONNECT_ERROR", 0xb: "ENHANCE_YOUR_CALM",
		0xc: "INADEQUATE_SECURITY", 0xd: "HTTP_1_1_REQUIRED",
		0xe: "UNKNOWN_ERROR(0xe)", 0xdeadbeef: "UNKNOWN_ERROR(0xdeadbeef)",
	} {
		if got := c.String(); got != want {
			t.Errorf("ErrCode(%#x).String() = %q, want %q", uint32(c), got, want)
		}
	}
}

func TestError(t *testing.T) {
	ce := connError(ErrCodeFrameSize, "PING length is not 8 (RFC 9113, Section 6.7)")
	if got, want := ce.Error(), "frame: connection error FRAME_SIZE_ERROR: PING length is not 8 (RFC 9113, Section 6.7)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	se := streamError(ErrCodeProtocol, 3, "WINDOW_UPDATE increment of 0 (RFC 9113, Section 6.9)")
	if got, want := se.Error(), "frame: stream error on stream 3 PROTOCOL_ERROR: WINDOW_UPDATE increment of 0 (RFC 9113, Section 6.9)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var err error = se
	if !errors.Is(err, &Error{Code: ErrCodeProtocol, Stream: true}) {
		t.Error("errors.Is missed a stream PROTOCOL_ERROR")
	}
	if errors.Is(err, &Error{Code: ErrCodeProtocol}) {
		t.Error("errors.Is matched a stream error against a connection error")
	}
	if errors.Is(ce, &Error{Code: ErrCodeProtocol}) || !errors.Is(ce, &Error{Code: ErrCodeFrameSize}) {
		t.Error("errors.Is compares codes wrongly")
	}
}
