package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Section 5.4: a frame that is both a connection and a stream error is a
// connection error; GOAWAY carries the last stream the peer opened.
func TestErrorConnectionFirst(t *testing.T) {
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

// Section 5.4.2: a stream error ends one stream; the connection goes on.
func TestErrorStreamKeepsConnection(t *testing.T) {
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
