package h2kit

import (
	"errors"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Fuzz targets for the engine: each role gets a valid start (preface,
// SETTINGS) and then arbitrary bytes, cut at points the fuzzer chooses.
// A small application answers requests, sends bodies and consumes data.
// The engine must never panic, everything it writes must parse as
// valid frames no larger than the peer's SETTINGS_MAX_FRAME_SIZE, and
// every frame it sends must be legal for its stream's state (RFC 9113,
// Section 5.1; streamChecker).
//
//	go test -run '^$' -fuzz FuzzServer -fuzztime 30s .
//	go test -run '^$' -fuzz FuzzClient -fuzztime 30s .

func FuzzServer(f *testing.F) {
	for _, s := range fuzzSeeds(Server) {
		f.Add(s, []byte{3, 200, 17, 0, 255})
	}
	// A response queued but not written when SETTINGS shrinks the
	// stream windows (RFC 9113, Section 6.9.2): the first cut is the
	// HEADERS frame, output held back (odd cut).
	enc := hpack.NewEncoder()
	h := (&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true,
		BlockFragment: enc.Encode(nil, reqFields("GET", "/"))}).Append(nil)
	rest := (&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: 10}}}).Append(nil)
	f.Add(append(h, rest...), []byte{byte((len(h)-1)<<1 | 1), 254})
	f.Fuzz(func(t *testing.T, data, cuts []byte) { fuzzEngine(t, Server, data, cuts) })
}

func FuzzClient(f *testing.F) {
	for _, s := range fuzzSeeds(Client) {
		f.Add(s, []byte{9, 1, 64, 128})
	}
	f.Add(fuzzGrowSeed(), []byte{255})
	f.Fuzz(func(t *testing.T, data, cuts []byte) { fuzzEngine(t, Client, data, cuts) })
}

// fuzzStart is what a well-behaved peer sends first.
func fuzzStart(role Role) []byte {
	var b []byte
	if role == Server {
		b = append(b, frame.ClientPreface...)
	}
	b = (&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingMaxConcurrentStreams, Val: 100}}}).Append(b)
	return (&frame.Settings{Ack: true}).Append(b)
}

// fuzzSeeds returns interesting frame sequences for the engine in role
// (what its peer would send after the start).
func fuzzSeeds(role Role) [][]byte {
	enc := hpack.NewEncoder()
	block := func(kv ...string) []byte { return enc.Encode(nil, fields(kv...)) }
	req := func(path string) []byte {
		return block(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", path, "priority", "u=1, i")
	}
	app := func(fs ...frame.Frame) []byte {
		var b []byte
		for _, f := range fs {
			b = f.Append(b)
		}
		return b
	}
	var seeds [][]byte
	if role == Server {
		post := block(":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/up", "content-length", "5")
		full := req("/big")
		seeds = append(seeds,
			app(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: req("/")}),
			app(&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: post},
				&frame.Data{StreamID: 1, Data: []byte("he"), Padded: true, PadLength: 10},
				&frame.Data{StreamID: 1, Data: []byte("llo"), EndStream: true}),
			app(&frame.Headers{StreamID: 3, EndStream: true, BlockFragment: full[:2]},
				&frame.Continuation{StreamID: 3, BlockFragment: full[2:5]},
				&frame.Continuation{StreamID: 3, EndHeaders: true, BlockFragment: full[5:]}),
			app(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: req("/a"),
				HasPriority: true, Priority: frame.PriorityParam{StreamDep: 0, Weight: 200, Exclusive: true}},
				&frame.Priority{StreamID: 3, PriorityParam: frame.PriorityParam{StreamDep: 1, Weight: 7}},
				&frame.PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=0")},
				&frame.Headers{StreamID: 5, EndStream: true, EndHeaders: true, BlockFragment: req("/b")},
				&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel}),
			app(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: req("/c")},
				&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: 1}, {ID: frame.SettingMaxFrameSize, Val: 20000}}},
				&frame.WindowUpdate{StreamID: 1, Increment: 3},
				&frame.WindowUpdate{StreamID: 0, Increment: 1 << 20},
				&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: 100000}}}),
			app(&frame.Ping{Data: [8]byte{1}}, &frame.GoAway{LastStreamID: 0, DebugData: []byte("x")},
				&frame.Unknown{Hdr: frame.Header{Type: 0x42, StreamID: 1}, Payload: []byte("??")}),
		)
	} else {
		resp := block(":status", "200", "content-type", "text/plain")
		seeds = append(seeds,
			app(&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: resp},
				&frame.Data{StreamID: 1, Data: []byte("hello"), EndStream: true}),
			app(&frame.PushPromise{StreamID: 1, PromisedID: 2, EndHeaders: true, BlockFragment: req("/pushed")},
				&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: block(":status", "204")},
				&frame.Headers{StreamID: 2, EndHeaders: true, BlockFragment: resp},
				&frame.Data{StreamID: 2, Data: []byte("p"), EndStream: true}),
			app(&frame.Headers{StreamID: 3, EndHeaders: true, BlockFragment: block(":status", "103", "link", "</a>")},
				&frame.Headers{StreamID: 3, EndHeaders: true, BlockFragment: resp},
				&frame.Headers{StreamID: 3, EndHeaders: true, EndStream: true, BlockFragment: block("x-t", "1")}),
			app(&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingHeaderTableSize, Val: 0}, {ID: frame.SettingMaxConcurrentStreams, Val: 1}}},
				&frame.GoAway{LastStreamID: 1, Code: frame.ErrCodeNo},
				&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeRefusedStream}),
			app(&frame.WindowUpdate{StreamID: 1, Increment: frame.MaxWindowSize}, &frame.Ping{Ack: true}),
		)
	}
	return seeds
}

// fuzzGrowSeed is a response that makes AutoWindow grow the stream
// window (a quarter of it received starts a probe, 2/3 more before the
// ACK of its PING grows it), then ends, so that the client opens a new
// stream with the grown window (fed in 128-byte chunks, output held).
func fuzzGrowSeed() []byte {
	enc := hpack.NewEncoder()
	b := (&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: enc.Encode(nil, fields(":status", "200"))}).Append(nil)
	b = (&frame.Data{StreamID: 1, Data: make([]byte, 16384)}).Append(b)
	for range 3 {
		b = (&frame.Data{StreamID: 1, Data: make([]byte, 16000)}).Append(b)
	}
	b = (&frame.Ping{Ack: true, Data: [8]byte{0x80, 7: 1}}).Append(b) // the engine's first PING
	return (&frame.Data{StreamID: 1, EndStream: true}).Append(b)
}

func fuzzEngine(t *testing.T, role Role, data, cuts []byte) {
	now := t0
	tr := &fuzzTracer{}
	chk := newStreamChecker(role)
	c := NewConn(Config{Role: role, Tracer: checkTracer{next: tr, chk: chk}, AutoWindow: len(cuts)%2 == 1, KeepAlive: time.Second,
		Limits: Limits{MaxStreamSendBuffer: 32 << 10}}, now)
	var parser frame.Parser
	out := c.AppendOutgoing(nil)
	if role == Client {
		if string(out[:len(frame.ClientPreface)]) != frame.ClientPreface {
			t.Fatal("no preface")
		}
		out = out[len(frame.ClientPreface):]
	}
	check := func() {
		for c.WantWrite() {
			out = c.AppendOutgoing(out)
		}
		parser.MaxFrameSize = c.PeerSettings().MaxFrameSize
		for len(out) > 0 {
			f, n, err := parser.Parse(out)
			if err != nil {
				t.Fatalf("engine wrote an invalid frame: %v (header %+v)", err, parser.LastHeader())
			}
			if n == 0 {
				t.Fatalf("engine wrote a partial frame: %x", out)
			}
			if h := f.FrameHeader(); h.Type == frame.TypeHeaders || h.Type == frame.TypeData {
				if h.StreamID == 0 {
					t.Fatal("stream frame on stream 0")
				}
			}
			out = out[n:]
		}
	}
	// The application: answer requests, send and consume bodies.
	pending := map[uint32][]byte{}
	body := make([]byte, 40000)
	if role == Client {
		if id, err := c.SendRequest(reqFields("GET", "/"), true); err == nil {
			_ = id
		}
		if id, err := c.SendRequest(reqFields("POST", "/up"), false); err == nil {
			pending[id] = body[:30000]
		}
	}
	// A client opens a few more streams as responses end: new streams
	// after AutoWindow grew the windows (their WINDOW_UPDATE must follow
	// their HEADERS), after SETTINGS changed, after GOAWAY.
	more := 4
	next := func() {
		if role == Client && more > 0 {
			more--
			c.SendRequest(reqFields("GET", "/next"), true)
		}
	}
	apply := func() {
		for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
			switch e := ev.(type) {
			case *RequestReceived:
				if e.StreamID%4 == 1 {
					c.PushPromise(e.StreamID, reqFields("GET", "/pushed"))
				}
				if c.SendHeaders(e.StreamID, fields(":status", "200"), false) == nil {
					pending[e.StreamID] = body[:int(e.StreamID)*1000%len(body)]
				}
			case *DataReceived:
				c.ConsumeData(e.StreamID, len(e.Data))
				if e.EndStream {
					next()
				}
			case *ResponseReceived:
				if e.EndStream {
					next()
				}
			case *TrailersReceived:
				next()
			case *PushPromiseReceived:
				if e.PromisedStreamID%4 == 0 {
					c.ResetStream(e.PromisedStreamID, frame.ErrCodeCancel)
				}
			case *ConnectionTerminated:
				var ce *ConnError
				if !errors.As(e.Err, &ce) {
					t.Fatalf("terminated with %T %v", e.Err, e.Err)
				}
			}
		}
		for id, b := range pending {
			n, err := c.SendData(id, b, true)
			if err != nil {
				delete(pending, id)
				continue
			}
			if n == len(b) {
				delete(pending, id)
			} else {
				pending[id] = b[n:]
			}
		}
	}
	// feed gives b to the engine; the application acts on the events,
	// and the output is taken (and checked) unless the fuzzer chose to
	// let it wait, so that more input arrives while it is queued.
	feed := func(b []byte, flush bool) bool {
		_, err := c.Receive(b, now)
		apply()
		if flush || err != nil {
			check()
		}
		return err == nil
	}
	if !feed(fuzzStart(role), true) {
		t.Fatal("valid start refused")
	}
	for i := 0; len(data) > 0; i++ {
		n, flush := len(data), true
		if len(cuts) > 0 {
			cut := cuts[i%len(cuts)]
			n, flush = min(n, int(cut>>1)+1), cut&1 == 0
		}
		ok := feed(data[:n], flush)
		data = data[n:]
		if !ok {
			break
		}
		// Time moves 100 ms after a chunk whose output was taken, 1 ms
		// after one whose output waits: a long input fed in small
		// chunks can then stay within the PING timeout.
		if flush {
			now = now.Add(100 * time.Millisecond)
		} else {
			now = now.Add(time.Millisecond)
		}
		c.Advance(now)
		apply()
	}
	if role == Server {
		c.Shutdown()
	} else {
		c.Ping()
	}
	apply()
	check()
	tr.check(t)
	chk.check(t, role.String())
}

// fuzzTracer checks tracer calls are consistent (fields only with a frame
// that ends a header block), and, from the frames it sees both ways, that
// the engine never sends more DATA than the peer's flow-control windows
// allow (RFC 9113, Section 6.9.1).
type fuzzTracer struct {
	bad     string
	conn    int64
	initial int64
	streams map[uint32]int64
}

func (f *fuzzTracer) FrameReceived(h frame.Header, fr frame.Frame, fs []hpack.Field) {
	f.see(h, fr, fs)
	switch x := fr.(type) {
	case *frame.Settings:
		if x.Ack {
			return
		}
		for _, s := range x.Settings {
			if s.ID == frame.SettingInitialWindowSize {
				d := int64(s.Val) - f.initial
				f.initial = int64(s.Val)
				for id := range f.streams {
					f.streams[id] += d
				}
			}
		}
	case *frame.WindowUpdate:
		if x.StreamID == 0 {
			f.conn += int64(x.Increment)
		} else if _, ok := f.streams[x.StreamID]; ok {
			f.streams[x.StreamID] += int64(x.Increment)
		}
	case *frame.Headers:
		f.open(x.StreamID)
	case *frame.PushPromise:
		f.open(x.PromisedID)
	}
}

func (f *fuzzTracer) FrameSent(h frame.Header, fr frame.Frame, fs []hpack.Field) {
	f.see(h, fr, fs)
	switch x := fr.(type) {
	case *frame.Headers:
		f.open(x.StreamID)
	case *frame.PushPromise:
		f.open(x.PromisedID)
	case *frame.Data:
		n := int64(x.Len())
		f.conn -= n
		f.streams[x.StreamID] -= n
		if f.conn < 0 || f.streams[x.StreamID] < 0 {
			f.bad = "DATA beyond the peer's window"
		}
	}
}

func (f *fuzzTracer) open(id uint32) {
	if f.streams == nil {
		f.streams = map[uint32]int64{}
		f.conn, f.initial = frame.DefaultInitialWindowSize, frame.DefaultInitialWindowSize
	}
	if _, ok := f.streams[id]; !ok {
		f.streams[id] = f.initial
	}
}

func (f *fuzzTracer) see(h frame.Header, fr frame.Frame, fs []hpack.Field) {
	if f.streams == nil {
		f.open(0)
		delete(f.streams, 0)
	}
	if fr == nil {
		f.bad = "nil frame"
		return
	}
	if fs != nil && !h.Flags.Has(frame.FlagEndHeaders) {
		f.bad = "fields on a frame without END_HEADERS"
	}
}

func (f *fuzzTracer) check(t *testing.T) {
	if f.bad != "" {
		t.Fatal("tracer: " + f.bad)
	}
}
