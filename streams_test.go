package h2kit

import (
	"errors"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Streams and multiplexing: RFC 9113, Section 5.1 ("closed" and "idle"
// details), 5.1.1 (stream identifiers), 5.1.2 (concurrency), 5.3.1
// (self-dependency) and 5.4 (error handling).

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

// Section 5.1, "idle": a WINDOW_UPDATE with increment 0 on an idle
// stream is a connection error (no RST_STREAM on an idle stream); a
// malformed PRIORITY is a stream error even there (Section 6.3).
func TestStreamIdleMalformedFrames(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypePriority, StreamID: 3}, Payload: []byte{0, 0, 0, 1}})
	p.wantRST(3, frame.ErrCodeFrameSize)
	p.get(5, "/") // 3 is used: 5 opens normally
	wantEvent[*RequestReceived](p)
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypeWindowUpdate, StreamID: 7}, Payload: []byte{0, 0, 0, 0}})
	p.wantConnError(frame.ErrCodeProtocol)
}

// Section 5.1.1: a client opens odd streams, increasing.
func TestStreamIDsClient(t *testing.T) {
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
func TestStreamIDsExhausted(t *testing.T) {
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
func TestStreamIDsServer(t *testing.T) {
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
func TestStreamIDsImplicitClose(t *testing.T) {
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
func TestStreamIDsPromised(t *testing.T) {
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
func TestStreamMaxConcurrentServer(t *testing.T) {
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
func TestStreamMaxConcurrentClient(t *testing.T) {
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
func TestStreamSelfDependency(t *testing.T) {
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
func TestStreamPriorityOnIdleDoesNotOpen(t *testing.T) {
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
