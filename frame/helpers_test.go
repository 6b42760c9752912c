package frame

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// raw builds a frame by hand, independently of the code under test: the
// header's Length is the total length of the payload parts. sid is written
// as given, so tests can set the reserved bit.
func raw(t Type, fl Flags, sid uint32, payload ...[]byte) []byte {
	var p []byte
	for _, b := range payload {
		p = append(p, b...)
	}
	n := len(p)
	b := []byte{byte(n >> 16), byte(n >> 8), byte(n), byte(t), byte(fl),
		byte(sid >> 24), byte(sid >> 16), byte(sid >> 8), byte(sid)}
	return append(b, p...)
}

// u32 is a big-endian 32-bit field.
func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// u16 is a big-endian 16-bit field.
func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// setting is one wire-encoded setting.
func setting(id SettingID, v uint32) []byte { return append(u16(uint16(id)), u32(v)...) }

// zeros returns n zero octets.
func zeros(n int) []byte { return make([]byte, n) }

// parseCase is one row of a parse table test.
type parseCase struct {
	name string
	in   []byte
	max  uint32 // Parser.MaxFrameSize; 0 for the default

	// want is the frame Parse must return when err is nil.
	want Frame
	// lossy marks valid input that Append does not reproduce byte for
	// byte: unused flags, reserved bits or non-zero padding were set.
	lossy bool

	// err is the error Parse must return: Code, Stream and StreamID are
	// compared.
	err *Error
}

// connErr and streamErr build expected errors for tables.
func connErr(code ErrCode) *Error { return &Error{Code: code} }
func streamErr(code ErrCode, id uint32) *Error {
	return &Error{Code: code, Stream: true, StreamID: id}
}

// frameString formats a frame so that nil and empty slices compare equal.
func frameString(f Frame) string {
	if f == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T%+v", f, f)
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Parser{MaxFrameSize: c.max}
			// Copy the input so an append through a returned slice
			// would be caught by the comparison below.
			in := bytes.Clone(c.in)
			f, n, err := p.Parse(in)
			if !bytes.Equal(in, c.in) {
				t.Fatalf("Parse modified its input")
			}
			if c.err != nil {
				checkError(t, f, n, err, c.err, len(c.in))
				if got := p.LastHeader(); got != ParseHeader(c.in) {
					t.Errorf("LastHeader() = %+v, want %+v", got, ParseHeader(c.in))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: unexpected error %v", err)
			}
			if n != len(c.in) {
				t.Errorf("Parse consumed %d bytes, want %d", n, len(c.in))
			}
			if frameString(f) != frameString(c.want) {
				t.Errorf("Parse =\n  %s\nwant\n  %s", frameString(f), frameString(c.want))
			}
			if f.Len() != n-HeaderLen {
				t.Errorf("Len() = %d, want %d", f.Len(), n-HeaderLen)
			}
			if h := p.LastHeader(); h != ParseHeader(c.in) {
				t.Errorf("LastHeader() = %+v, want %+v", h, ParseHeader(c.in))
			}
			if h, want := f.FrameHeader(), ParseHeader(c.in); h.Length != want.Length || h.Type != want.Type || h.StreamID != want.StreamID {
				t.Errorf("FrameHeader() = %+v, want %+v (flags aside)", h, want)
			}
			out := f.Append([]byte("prefix"))
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatalf("Append lost dst")
			}
			out = out[len("prefix"):]
			if !c.lossy && !bytes.Equal(out, c.in) {
				t.Errorf("Append =\n  % x\nwant\n  % x", out, c.in)
			}
			if !bytes.Equal(c.want.Append(nil), out) {
				t.Errorf("want.Append differs from parsed Append")
			}
			// Round trip through a second parser.
			var p2 Parser
			p2.MaxFrameSize = c.max
			f2, n2, err := p2.Parse(out)
			if err != nil || n2 != len(out) || frameString(f2) != frameString(f) {
				t.Errorf("re-Parse(Append) = %s, %d, %v; want %s", frameString(f2), n2, err, frameString(f))
			}
			// Every proper prefix needs more bytes.
			for i := range len(c.in) {
				var p3 Parser
				p3.MaxFrameSize = c.max
				if f, n, err := p3.Parse(c.in[:i]); f != nil || n != 0 || err != nil {
					t.Fatalf("Parse(first %d bytes) = %v, %d, %v; want need more", i, f, n, err)
				}
			}
		})
	}
}

func checkError(t *testing.T, f Frame, n int, err error, want *Error, frameLen int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse error = %v (%T), want *Error %+v", err, err, want)
	}
	if e.Code != want.Code || e.Stream != want.Stream || e.StreamID != want.StreamID {
		t.Errorf("error = %+v, want Code=%v Stream=%v StreamID=%d", e, want.Code, want.Stream, want.StreamID)
	}
	if !strings.Contains(e.Reason, "RFC ") {
		t.Errorf("error reason %q cites no RFC", e.Reason)
	}
	if f != nil {
		t.Errorf("frame = %s, want nil on error", frameString(f))
	}
	wantN := 0
	if want.Stream {
		wantN = frameLen
	}
	if n != wantN {
		t.Errorf("n = %d, want %d", n, wantN)
	}
}
