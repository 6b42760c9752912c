package frame

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/net/http2"
)

// benchSets are the frame sequences benchmarked, each parsed (or appended)
// as one byte stream per iteration.
var benchSets = []struct {
	name   string
	frames func() []Frame
}{
	// A connection's worth of small responses: settings exchange, then
	// per stream HEADERS, two DATA frames and WINDOW_UPDATEs, with PING,
	// PRIORITY_UPDATE and RST_STREAM mixed in.
	{"mixed", func() []Frame {
		fs := []Frame{
			&Settings{Settings: []Setting{{SettingMaxConcurrentStreams, 100}, {SettingInitialWindowSize, 1 << 20}, {SettingMaxFrameSize, 1 << 14}, {SettingEnablePush, 0}}},
			&Settings{Ack: true},
			&WindowUpdate{Increment: 1 << 24},
		}
		block := bytes.Repeat([]byte{0x88, 0x5f, 0x8b}, 15)
		body := bytes.Repeat([]byte("x"), 1200)
		for id := uint32(1); id < 40; id += 2 {
			fs = append(fs,
				&PriorityUpdate{PrioritizedID: id, FieldValue: []byte("u=2")},
				&Headers{StreamID: id, EndHeaders: true, BlockFragment: block},
				&Data{StreamID: id, Data: body},
				&Data{StreamID: id, EndStream: true, Data: body[:300]},
				&WindowUpdate{StreamID: id, Increment: 1500},
				&WindowUpdate{Increment: 1500},
			)
			if id%8 == 1 {
				fs = append(fs, &Ping{Data: [8]byte{byte(id)}}, &Ping{Ack: true, Data: [8]byte{byte(id)}}, &RSTStream{StreamID: id, Code: ErrCodeCancel})
			}
		}
		return append(fs, &GoAway{LastStreamID: 39, Code: ErrCodeNo})
	}},
	// Bulk transfer: 64 full-size DATA frames (1 MiB).
	{"data16k", func() []Frame {
		var fs []Frame
		body := bytes.Repeat([]byte("y"), DefaultMaxFrameSize)
		for range 64 {
			fs = append(fs, &Data{StreamID: 1, Data: body})
		}
		return fs
	}},
	// Control frames only: the per-frame overhead.
	{"control", func() []Frame {
		var fs []Frame
		for i := range 100 {
			fs = append(fs, &Ping{Data: [8]byte{byte(i)}}, &WindowUpdate{StreamID: uint32(i*2 + 1), Increment: 100},
				&Settings{Ack: true}, &RSTStream{StreamID: uint32(i*2 + 1), Code: ErrCodeCancel})
		}
		return fs
	}},
}

// BenchmarkParse compares parsing a byte stream. To be fair to x/net,
// whose Framer reads each frame from an io.Reader into its own buffer,
// "h2kit" reads the same bytes.Reader into a 64 KiB buffer as a connection
// loop would, parses every whole frame in place and moves the partial tail
// to the front; "h2kit-inplace" parses the stream where it lies.
func BenchmarkParse(b *testing.B) {
	for _, set := range benchSets {
		stream := appendAll(nil, set.frames())
		b.Run(set.name+"/h2kit", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			r := bytes.NewReader(stream)
			buf := make([]byte, 0, 64<<10)
			var p Parser
			for b.Loop() {
				r.Reset(stream)
				buf = buf[:0]
				for {
					n, rerr := r.Read(buf[len(buf):cap(buf)])
					buf = buf[:len(buf)+n]
					off := 0
					for {
						_, m, err := p.Parse(buf[off:])
						if err != nil {
							b.Fatalf("Parse: %v", err)
						}
						if m == 0 {
							break
						}
						off += m
					}
					buf = buf[:copy(buf, buf[off:])]
					if rerr == io.EOF {
						break
					}
				}
				if len(buf) != 0 {
					b.Fatalf("%d bytes left", len(buf))
				}
			}
		})
		b.Run(set.name+"/h2kit-inplace", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			var p Parser
			for b.Loop() {
				for buf := stream; len(buf) > 0; {
					_, n, err := p.Parse(buf)
					if err != nil || n == 0 {
						b.Fatalf("Parse: %d, %v", n, err)
					}
					buf = buf[n:]
				}
			}
		})
		b.Run(set.name+"/xnet", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			r := bytes.NewReader(stream)
			fr := http2.NewFramer(io.Discard, r)
			fr.SetReuseFrames()
			for b.Loop() {
				r.Reset(stream)
				for {
					_, err := fr.ReadFrame()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatalf("ReadFrame: %v", err)
					}
				}
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, set := range benchSets {
		frames := set.frames()
		size := len(appendAll(nil, frames))
		b.Run(set.name+"/h2kit", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			buf := make([]byte, 0, size)
			for b.Loop() {
				buf = appendAll(buf[:0], frames)
			}
		})
		b.Run(set.name+"/xnet", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			var buf bytes.Buffer
			buf.Grow(size)
			fr := http2.NewFramer(&buf, nil)
			for b.Loop() {
				buf.Reset()
				for _, f := range frames {
					if err := writeXNet(fr, f); err != nil {
						b.Fatal(err)
					}
				}
			}
			if buf.Len() != size {
				b.Fatalf("x/net wrote %d bytes, h2kit %d", buf.Len(), size)
			}
		})
	}
}

// writeXNet writes f with the matching x/net Framer method.
func writeXNet(fr *http2.Framer, f Frame) error {
	switch f := f.(type) {
	case *Data:
		if f.Padded {
			return fr.WriteDataPadded(f.StreamID, f.EndStream, f.Data, make([]byte, f.PadLength))
		}
		return fr.WriteData(f.StreamID, f.EndStream, f.Data)
	case *Headers:
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: f.BlockFragment,
			EndStream: f.EndStream, EndHeaders: f.EndHeaders, PadLength: f.PadLength,
			Priority: http2.PriorityParam{StreamDep: f.Priority.StreamDep, Exclusive: f.Priority.Exclusive, Weight: f.Priority.Weight}})
	case *Settings:
		if f.Ack {
			return fr.WriteSettingsAck()
		}
		var s [8]http2.Setting
		for i, x := range f.Settings {
			s[i] = http2.Setting{ID: http2.SettingID(x.ID), Val: x.Val}
		}
		return fr.WriteSettings(s[:len(f.Settings)]...)
	case *WindowUpdate:
		return fr.WriteWindowUpdate(f.StreamID, f.Increment)
	case *Ping:
		return fr.WritePing(f.Ack, f.Data)
	case *RSTStream:
		return fr.WriteRSTStream(f.StreamID, http2.ErrCode(f.Code))
	case *GoAway:
		return fr.WriteGoAway(f.LastStreamID, http2.ErrCode(f.Code), f.DebugData)
	case *PriorityUpdate:
		return fr.WritePriorityUpdate(f.PrioritizedID, string(f.FieldValue))
	}
	panic("writeXNet: unsupported frame")
}
