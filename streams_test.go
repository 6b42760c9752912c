package h2kit

// Streams and multiplexing: RFC 9113, Section 5.1 ("closed" and "idle"
// details), 5.1.1 (stream identifiers), 5.1.2 (concurrency), 5.3.1
// (self-dependency) and 5.4 (error handling).

import (
	"errors"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// lit is an HPACK literal field with a new name, no Huffman (RFC 7541,
// Section 6.2.1 with incremental indexing, 6.2.2 without).
func lit(index bool, name, value string) []byte {
	b := []byte{0x00}
	if index {
		b[0] = 0x40
	}
	b = append(b, byte(len(name)))
	b = append(b, name...)
	b = append(b, byte(len(value)))
	return append(b, value...)
}

// rawBlock encodes kv as literals without indexing: blocks that leave
// the peer's encoder and the engine's decoder in step.
func rawBlock(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, lit(false, kv[i], kv[i+1])...)
	}
	return b
}

// serverWith returns a handshaken server engine with settings s.
func serverWith(t *testing.T, s Settings) *peer {
	return newPeer(t, Config{Role: Server, Settings: s})
}

// Section 5.1, "closed": after we reset a stream, what the peer sent
// before seeing it is ignored, but DATA still counts against the
// connection window, and is given back.
func TestClosedAfterOurResetDataCountsSection5_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535, Settings: Settings{InitialWindowSize: 1 << 20}})
	p.headers(1, false, postReq...)
	p.headers(3, false, postReq...)
	p.drain()
	mustSend(t, p.c.ResetStream(1, frame.ErrCodeCancel))
	p.drain()
	chunk := make([]byte, 1000)
	for i := 0; i < 40; i++ {
		p.write(&frame.Data{StreamID: 1, Data: chunk})
	}
	fs := p.frames()
	if got := windowUpdates(fs); got[0] < 32767 || got[1] != 0 {
		t.Fatalf("window updates after DATA on a reset stream: %v, want the connection's credited", got)
	}
	for _, f := range fs {
		if f.FrameHeader().Type != frame.TypeWindowUpdate {
			t.Fatalf("unexpected %v", f.FrameHeader().Type)
		}
	}
	p.wantNoEvent()
	// Fill the connection window with DATA the application holds on 3,
	// but 500 bytes; 501 bytes on the reset stream are too many.
	for left := p.c.recvWindow - 500; left > 0; {
		n := min(16384, left)
		p.write(&frame.Data{StreamID: 3, Data: make([]byte, n)})
		left -= n
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 500)})
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 1)})
	p.wantConnError(frame.ErrCodeFlowControl)
}

// Section 5.1, "closed": a header block on a stream we reset updates the
// HPACK state (Section 4.3) although it is ignored.
func TestClosedAfterOurResetKeepsHPACKStateSection5_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: rawBlock(postReq...)})
	mustSend(t, p.c.ResetStream(1, frame.ErrCodeCancel))
	p.drain()
	// Trailers on 1, split over HEADERS and CONTINUATION, add x-k: v to
	// the dynamic table.
	blk := lit(true, "x-k", "v")
	p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: blk[:2]},
		&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: blk[2:]})
	if o := p.observe(nil); len(o.frames) > 0 || len(o.events) > 0 {
		t.Fatalf("frames on a reset stream not ignored: %v", o)
	}
	// Stream 3 refers to it by index 62 (the newest dynamic entry).
	p.write(&frame.Headers{StreamID: 3, EndStream: true, EndHeaders: true,
		BlockFragment: append(rawBlock(getReq...), 0x80|62)})
	ev := wantEvent[*RequestReceived](p)
	if ev.StreamID != 3 || fieldValue(ev.Fields, "x-k") != "v" {
		t.Fatalf("request %+v", ev)
	}
}

// Section 5.1, "closed": a PUSH_PROMISE on a stream the client reset
// still reserves the promised stream; the client refuses it, and the
// pushed response already in flight is ignored.
func TestClosedAfterOurResetPushPromiseSection5_1(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id := p.request(getReq, true)
	mustSend(t, p.c.ResetStream(id, frame.ErrCodeCancel))
	p.drain()
	p.write(&frame.PushPromise{StreamID: id, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(pushReq...)})
	p.wantRST(2, frame.ErrCodeCancel)
	p.headers(2, false, resp200...)
	p.write(&frame.Data{StreamID: 2, EndStream: true, Data: []byte("pushed")})
	p.wantNoFrame()
	p.wantNoEvent()
	if st := p.c.State(2); st != StateClosed {
		t.Fatalf("promised stream %v", st)
	}
	// The promised id is used: a lower one is not acceptable any more.
	p.request(getReq, true)
	p.write(&frame.PushPromise{StreamID: 3, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(pushReq...)})
	p.wantConnError(frame.ErrCodeProtocol)
}

// Section 5.1, "closed": the memory of reset streams is bounded
// (Limits.MaxClosedStreams); DATA on one that is forgotten is a stream
// error of type STREAM_CLOSED (Section 6.1), a HEADERS is ignored.
func TestClosedForgottenResetSection5_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxClosedStreams: 2}})
	for id := uint32(1); id <= 7; id += 2 {
		p.headers(id, false, postReq...)
		mustSend(t, p.c.ResetStream(id, frame.ErrCodeCancel))
	}
	p.drain()
	p.write(&frame.Data{StreamID: 7, Data: []byte("x")})
	p.wantNoFrame()
	p.write(&frame.Data{StreamID: 1, Data: []byte("x")})
	p.wantRST(1, frame.ErrCodeStreamClosed)
	p.headers(3, true, trailers...)
	p.wantNoFrame()
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// Section 5.1, "idle": a WINDOW_UPDATE with increment 0 on an idle
// stream is a connection error (no RST_STREAM on an idle stream); a
// malformed PRIORITY is a stream error even there (Section 6.3).
func TestIdleMalformedFramesSection5_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypePriority, StreamID: 3}, Payload: []byte{0, 0, 0, 1}})
	p.wantRST(3, frame.ErrCodeFrameSize)
	p.get(5, "/") // 3 is used: 5 opens normally
	wantEvent[*RequestReceived](p)
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypeWindowUpdate, StreamID: 7}, Payload: []byte{0, 0, 0, 0}})
	p.wantConnError(frame.ErrCodeProtocol)
}

// Section 5.1.1: a client opens odd streams, increasing.
func TestStreamIDsClientSection5_1_1(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	for want := uint32(1); want <= 7; want += 2 {
		id, err := p.c.SendRequest(fields(getReq...), true)
		if err != nil || id != want {
			t.Fatalf("SendRequest = %d, %v; want %d", id, err, want)
		}
		if st := p.c.State(id + 2); st != StateIdle {
			t.Fatalf("next id %d: %v", id+2, st)
		}
	}
	if _, err := p.c.PushPromise(1, fields(pushReq...)); err != ErrWrongRole {
		t.Fatalf("client PushPromise: %v", err)
	}
	if _, err := newPeer(t, Config{Role: Server}).c.SendRequest(fields(getReq...), true); err != ErrWrongRole {
		t.Fatalf("server SendRequest: %v", err)
	}
}

// Section 5.1.1: stream ids cannot be reused; past 2^31-1 a client needs
// a new connection.
func TestStreamIDsExhaustedSection5_1_1(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.c.nextID = 1<<31 - 1
	id, err := p.c.SendRequest(fields(getReq...), true)
	if err != nil || id != 1<<31-1 {
		t.Fatalf("last id: %d, %v", id, err)
	}
	h := p.wantFrame(frame.TypeHeaders).(*frame.Headers)
	if h.StreamID != 1<<31-1 {
		t.Fatalf("HEADERS on %d", h.StreamID)
	}
	// The client says it is done with the connection: GOAWAY follows the
	// last request.
	if g := p.wantFrame(frame.TypeGoAway).(*frame.GoAway); g.Code != frame.ErrCodeNo {
		t.Fatalf("GOAWAY %v after the last id", g.Code)
	}
	if _, err := p.c.SendRequest(fields(getReq...), true); !errors.Is(err, ErrStreamsExhausted) {
		t.Fatalf("past 2^31-1: %v", err)
	}
	// The server side: the largest even id can be promised, not more.
	s := newPeer(t, Config{Role: Server})
	s.get(1, "/")
	s.drain()
	s.c.nextID = 1<<31 - 2
	if pid, err := s.c.PushPromise(1, fields(pushReq...)); err != nil || pid != 1<<31-2 {
		t.Fatalf("last promised id: %d, %v", pid, err)
	}
	if _, err := s.c.PushPromise(1, fields(pushReq...)); !errors.Is(err, ErrStreamsExhausted) {
		t.Fatalf("past 2^31-2: %v", err)
	}
	// A peer may open stream 2^31-1.
	s.get(1<<31-1, "/")
	if ev := wantEvent[*RequestReceived](s); ev.StreamID != 1<<31-1 {
		t.Fatalf("request on %d", ev.StreamID)
	}
}

// Section 5.1.1: a server rejects even ids and decreasing ids from a
// client with a connection error of type PROTOCOL_ERROR, but a reused id
// of a stream that is over is STREAM_CLOSED (Section 5.1, "closed").
func TestStreamIDsServerSection5_1_1(t *testing.T) {
	t.Run("even", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.get(2, "/")
		p.wantConnError(frame.ErrCodeProtocol)
	})
	t.Run("decreasing", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.get(5, "/")
		p.get(3, "/")
		g := p.wantGoAway(frame.ErrCodeProtocol)
		if g.LastStreamID != 5 {
			t.Fatalf("GOAWAY last stream %d, want 5", g.LastStreamID)
		}
	})
	t.Run("reused", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.get(1, "/")
		p.respond(1, true)
		p.get(1, "/")
		p.wantConnError(frame.ErrCodeStreamClosed)
	})
	t.Run("stream 0", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypeHeaders, Flags: frame.FlagEndHeaders | frame.FlagEndStream},
			Payload: p.block(getReq...)})
		p.wantConnError(frame.ErrCodeProtocol)
	})
}

// Section 5.1.1: the first use of an id closes the lower idle ones.
func TestStreamIDsImplicitCloseSection5_1_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.headers(7, false, postReq...)
	p.drain()
	for _, id := range []uint32{1, 3, 5} {
		if st := p.c.State(id); st != StateClosed {
			t.Fatalf("State(%d) = %v, want closed", id, st)
		}
	}
	if st := p.c.State(9); st != StateIdle {
		t.Fatalf("State(9) = %v", st)
	}
	// Frames that may arrive on a closed stream are ignored ...
	p.write(&frame.WindowUpdate{StreamID: 3, Increment: 1},
		&frame.RSTStream{StreamID: 3, Code: frame.ErrCodeCancel},
		&frame.Priority{StreamID: 3, PriorityParam: frame.PriorityParam{Weight: 1}})
	p.wantNoFrame()
	p.wantNoEvent()
	// ... DATA is a stream error ...
	p.write(&frame.Data{StreamID: 3, Data: []byte("x")})
	p.wantRST(3, frame.ErrCodeStreamClosed)
	// ... and HEADERS is an attempt to open a stream with a used id.
	p.get(5, "/")
	p.wantConnError(frame.ErrCodeProtocol)
}

// Section 5.1.1: promised ids are even and increasing; a promise closes
// the lower idle ones; the server opens streams only by promising them.
func TestStreamIDsPromisedSection5_1_1(t *testing.T) {
	for _, tc := range []struct {
		name     string
		promised []uint32
		want     frame.ErrCode // of the last promise; ErrCodeNo: accepted
	}{
		{"increasing", []uint32{2, 4, 8}, frame.ErrCodeNo},
		{"odd", []uint32{3}, frame.ErrCodeProtocol},
		{"decreasing", []uint32{4, 2}, frame.ErrCodeProtocol},
		{"repeated", []uint32{2, 2}, frame.ErrCodeProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Client})
			id := p.request(getReq, true)
			for i, pid := range tc.promised {
				p.write(&frame.PushPromise{StreamID: id, PromisedID: pid, EndHeaders: true, BlockFragment: p.block(pushReq...)})
				if i < len(tc.promised)-1 || tc.want == frame.ErrCodeNo {
					if ev := wantEvent[*PushPromiseReceived](p); ev.PromisedStreamID != pid || ev.StreamID != id {
						t.Fatalf("promise %+v", ev)
					}
					if st := p.c.State(pid); st != StateReservedRemote {
						t.Fatalf("State(%d) = %v", pid, st)
					}
				}
			}
			if tc.want != frame.ErrCodeNo {
				p.wantConnError(tc.want)
				return
			}
			if st := p.c.State(6); st != StateClosed {
				t.Fatalf("skipped promised id 6: %v, want closed", st)
			}
		})
	}
}

// Section 5.1.2: a server refuses streams beyond its
// SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM; open and
// half-closed streams count.
func TestMaxConcurrentStreamsServerSection5_1_2(t *testing.T) {
	p := serverWith(t, Settings{MaxConcurrentStreams: 2})
	p.get(1, "/") // half-closed (remote)
	p.headers(3, false, postReq...)
	p.drain()
	p.get(5, "/")
	p.wantRST(5, frame.ErrCodeRefusedStream)
	p.wantNoEvent()
	if st := p.c.State(5); st != StateClosed {
		t.Fatalf("refused stream: %v", st)
	}
	// Its body, already in flight, is ignored (we reset it).
	p.write(&frame.Data{StreamID: 5, EndStream: true, Data: []byte("x")})
	p.wantNoFrame()
	p.respond(1, true) // stream 1 closes: room for one more
	p.get(7, "/")
	if ev := wantEvent[*RequestReceived](p); ev.StreamID != 7 {
		t.Fatalf("request on %d", ev.StreamID)
	}
	p.get(9, "/")
	p.wantRST(9, frame.ErrCodeRefusedStream)
	p.write(&frame.RSTStream{StreamID: 3, Code: frame.ErrCodeCancel}) // the peer ends 3
	p.drain()
	p.get(11, "/")
	if ev := wantEvent[*RequestReceived](p); ev.StreamID != 11 {
		t.Fatalf("request on %d", ev.StreamID)
	}
}

// Section 5.1.2: a client does not exceed the server's limit:
// SendRequest returns ErrTooManyStreams until a stream ends.
func TestMaxConcurrentStreamsClientSection5_1_2(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.write(&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingMaxConcurrentStreams, Val: 1}}})
	p.drain()
	id := p.request(getReq, true)
	if _, err := p.c.SendRequest(fields(getReq...), true); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("second request: %v", err)
	}
	p.wantNoFrame()
	p.headers(id, true, resp200...)
	p.drain()
	if id2 := p.request(getReq, true); id2 != id+2 {
		t.Fatalf("next request on %d", id2)
	}
	// A limit of 0: no request at all.
	p.write(&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingMaxConcurrentStreams, Val: 0}}})
	p.drain()
	if _, err := p.c.SendRequest(fields(getReq...), true); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("limit 0: %v", err)
	}
}

// Section 5.3.1: a stream cannot depend on itself: stream error
// PROTOCOL_ERROR, from HEADERS or PRIORITY, in any state.
func TestSelfDependencySection5_3_1(t *testing.T) {
	self := func(id uint32) frame.PriorityParam { return frame.PriorityParam{StreamDep: id, Weight: 255} }
	t.Run("HEADERS opening", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, HasPriority: true,
			Priority: self(1), BlockFragment: p.block(getReq...)})
		p.wantRST(1, frame.ErrCodeProtocol)
		p.wantNoEvent()
		if st := p.c.State(1); st != StateClosed {
			t.Fatalf("state %v", st)
		}
		p.get(3, "/")
		wantEvent[*RequestReceived](p)
	})
	t.Run("HEADERS trailers", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, false, postReq...)
		p.drain()
		p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, HasPriority: true,
			Priority: self(1), BlockFragment: p.block(trailers...)})
		p.wantRST(1, frame.ErrCodeProtocol)
	})
	t.Run("PRIORITY idle", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.write(&frame.Priority{StreamID: 1, PriorityParam: self(1)})
		p.wantRST(1, frame.ErrCodeProtocol)
		p.get(3, "/")
		wantEvent[*RequestReceived](p)
	})
	t.Run("PRIORITY open", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, false, postReq...)
		p.drain()
		p.write(&frame.Priority{StreamID: 1, PriorityParam: self(1)})
		p.wantRST(1, frame.ErrCodeProtocol)
		if st := p.c.State(1); st != StateClosed {
			t.Fatalf("state %v", st)
		}
	})
	t.Run("PRIORITY client", func(t *testing.T) {
		p := newPeer(t, Config{Role: Client})
		id := p.request(getReq, true)
		p.write(&frame.Priority{StreamID: id, PriorityParam: self(id)})
		p.wantRST(id, frame.ErrCodeProtocol)
	})
}

// Section 5.3.2 / 6.3: PRIORITY on an idle stream does not open it; a
// lower id opens afterwards (h2spec http2/6.3, strict).
func TestPriorityOnIdleDoesNotOpenSection6_3(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Priority{StreamID: 3, PriorityParam: frame.PriorityParam{Weight: 255}})
	if st := p.c.State(3); st != StateIdle {
		t.Fatalf("State(3) = %v", st)
	}
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	p.get(3, "/")
	wantEvent[*RequestReceived](p)
}

// Section 5.4: a frame that is both a connection and a stream error is a
// connection error; GOAWAY carries the last stream the peer opened.
func TestConnectionErrorFirstSection5_4(t *testing.T) {
	t.Run("HPACK error on a half-closed stream", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.get(1, "/")
		p.drain()
		p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: []byte{0x80}})
		p.wantConnError(frame.ErrCodeCompression)
	})
	t.Run("even id depending on itself", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.write(&frame.Headers{StreamID: 2, EndStream: true, EndHeaders: true, HasPriority: true,
			Priority: frame.PriorityParam{StreamDep: 2}, BlockFragment: p.block(getReq...)})
		p.wantConnError(frame.ErrCodeProtocol)
	})
	t.Run("DATA over the connection window on a closed stream", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535, Settings: Settings{InitialWindowSize: 1 << 20}})
		p.headers(1, false, postReq...)
		p.headers(3, false, postReq...)
		for i := 0; i < 4; i++ {
			p.write(&frame.Data{StreamID: 3, Data: make([]byte, 16000)})
		}
		p.write(&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel})
		p.drain() // 64000 bytes held by the application on 3
		p.write(&frame.Data{StreamID: 1, Data: make([]byte, 2000)})
		p.wantConnError(frame.ErrCodeFlowControl)
	})
}

func TestGoAwayLastStreamIDSection5_4_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.headers(3, false, postReq...)
	p.drain()
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypePing}, Payload: make([]byte, 7)})
	g := p.wantGoAway(frame.ErrCodeFrameSize)
	if g.LastStreamID != 3 {
		t.Fatalf("GOAWAY last stream %d, want 3", g.LastStreamID)
	}
	var ce *ConnError
	if !errors.As(p.c.Err(), &ce) || ce.Initiator != Local || ce.Code != frame.ErrCodeFrameSize {
		t.Fatalf("Err() = %v", p.c.Err())
	}
	ev := wantEvent[*ConnectionTerminated](p)
	if !errors.Is(ev.Err, &ConnError{Code: frame.ErrCodeFrameSize}) {
		t.Fatalf("event %v", ev.Err)
	}
	// The connection is over: input and commands are refused.
	if _, err := p.c.Receive([]byte{0}, p.now); !errors.Is(err, &ConnError{Code: frame.ErrCodeFrameSize}) {
		t.Fatalf("Receive after the error: %v", err)
	}
	if err := p.c.SendHeaders(3, fields(resp200...), false); err != ErrConnClosed {
		t.Fatalf("SendHeaders after the error: %v", err)
	}
	if !p.c.Done() {
		t.Fatal("not Done")
	}

	// A client: the last stream the server opened (promised).
	c := newPeer(t, Config{Role: Client})
	id := c.request(getReq, true)
	c.write(&frame.PushPromise{StreamID: id, PromisedID: 4, EndHeaders: true, BlockFragment: c.block(pushReq...)})
	c.drain()
	c.write(&frame.Data{StreamID: 9, Data: []byte("x")}) // idle
	if g := c.wantGoAway(frame.ErrCodeProtocol); g.LastStreamID != 4 {
		t.Fatalf("client GOAWAY last stream %d, want 4", g.LastStreamID)
	}
}

// Section 5.4.2: a stream error ends one stream; the connection goes on.
func TestStreamErrorKeepsConnectionSection5_4_2(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.drain()
	p.write(&frame.Data{StreamID: 1, Data: []byte("x")})
	p.wantRST(1, frame.ErrCodeStreamClosed)
	ev := wantEvent[*StreamReset](p)
	if ev.StreamID != 1 || ev.Code != frame.ErrCodeStreamClosed || ev.Initiator != Local {
		t.Fatalf("reset event %+v", ev)
	}
	p.write(&frame.Ping{Data: [8]byte{1}})
	if pg := p.wantFrame(frame.TypePing).(*frame.Ping); !pg.Ack || pg.Data[0] != 1 {
		t.Fatalf("PING answer %+v", pg)
	}
	p.get(3, "/")
	wantEvent[*RequestReceived](p)
	// Section 5.4.2: no RST_STREAM in answer to an RST_STREAM.
	p.write(&frame.RSTStream{StreamID: 3, Code: frame.ErrCodeProtocol})
	p.wantNoFrame()
	if ev := wantEvent[*StreamReset](p); ev.Initiator != Remote || ev.Code != frame.ErrCodeProtocol {
		t.Fatalf("remote reset %+v", ev)
	}
}
