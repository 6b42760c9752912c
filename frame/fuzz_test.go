package frame

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseAppend parses arbitrary bytes as a sequence of frames. Parse must
// never panic; whatever parses must Append to bytes that parse back to an
// equal frame of the same length; errors must be *Error with a consistent n.
func FuzzParseAppend(f *testing.F) {
	for _, fr := range mixedFrames() {
		f.Add(fr.Append(nil), false)
	}
	f.Add(appendAll(nil, mixedFrames()), true)
	f.Add(raw(TypeData, FlagPadded, 1, []byte{200}), false)
	f.Add(raw(TypeHeaders, FlagPadded|FlagPriority, 1, []byte{1}, zeros(5)), false)
	f.Add(raw(TypePriority, 0, 3, u32(3), []byte{0}), false)
	f.Add(raw(TypeWindowUpdate, 0, 3, u32(0)), false)
	f.Add(raw(TypeSettings, 0, 0, setting(SettingMaxFrameSize, 1<<24)), false)
	f.Add(raw(TypePushPromise, FlagPadded, 1, []byte{0}, u32(0)), false)
	f.Add(raw(TypePriorityUpdate, 0xff, 0, u32(1<<31|1), []byte("u=0")), false)
	f.Add((&Header{Length: MaxMaxFrameSize, Type: TypeData, StreamID: 1}).Append(nil), true)

	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var p, p2 Parser
		if big {
			p.MaxFrameSize, p2.MaxFrameSize = MaxMaxFrameSize, MaxMaxFrameSize
		}
		var out, sum []byte
		for len(b) > 0 {
			fr, n, err := p.Parse(b)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is %T, want *Error", err, err)
				}
				if fr != nil {
					t.Fatalf("frame %s returned with error %v", frameString(fr), err)
				}
				h := p.LastHeader()
				if e.Stream {
					if e.StreamID == 0 || e.StreamID != h.StreamID || n != HeaderLen+int(h.Length) || n > len(b) {
						t.Fatalf("stream error %v with n=%d for header %+v", e, n, h)
					}
					sum = AppendSummary(sum[:0], nil, h, " ")
					b = b[n:]
					continue
				}
				if n != 0 {
					t.Fatalf("connection error %v with n=%d", e, n)
				}
				return
			}
			if n == 0 {
				if fr != nil {
					t.Fatalf("frame returned with n == 0")
				}
				return
			}
			if n != HeaderLen+fr.Len() {
				t.Fatalf("n = %d but Len() = %d for %s", n, fr.Len(), frameString(fr))
			}
			if h := fr.FrameHeader(); h.Type != p.LastHeader().Type || h.StreamID != p.LastHeader().StreamID || int(h.Length) != fr.Len() {
				t.Fatalf("FrameHeader %+v disagrees with LastHeader %+v", h, p.LastHeader())
			}
			out = fr.Append(out[:0])
			if len(out) != n {
				t.Fatalf("Append wrote %d bytes, parsed %d", len(out), n)
			}
			fr2, n2, err := p2.Parse(out)
			if err != nil || n2 != n {
				t.Fatalf("re-Parse(% x) = %d, %v", out, n2, err)
			}
			if s1, s2 := frameString(fr), frameString(fr2); s1 != s2 {
				t.Fatalf("round trip changed the frame:\n%s\n%s", s1, s2)
			}
			if again := fr2.Append(nil); !bytes.Equal(again, out) {
				t.Fatalf("Append is not stable:\n% x\n% x", out, again)
			}
			sum = AppendSummary(sum[:0], fr, p.LastHeader(), " ")
			b = b[n:]
		}
	})
}
