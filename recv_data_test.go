package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Sections 6.1, 6.2: padding as long as the payload is a connection
// error PROTOCOL_ERROR; valid padding is flow controlled, not delivered.
func TestDataPadding(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Headers{StreamID: 1, EndHeaders: true, Padded: true, PadLength: 20, BlockFragment: p.block(postReq...)})
	wantEvent[*RequestReceived](p)
	p.write(&frame.Data{StreamID: 1, Padded: true, PadLength: 10, Data: []byte("abc")})
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "abc" || ev.FlowControlledLen != 14 {
		t.Fatalf("data %+v", ev)
	}
	for name, f := range map[string]*frame.Unknown{
		"DATA":    raw(frame.TypeData, frame.FlagPadded, 1, []byte{5, 't', 'e', 's', 't'}),
		"HEADERS": raw(frame.TypeHeaders, frame.FlagPadded|frame.FlagEndHeaders, 3, append([]byte{3}, 0x82, 0x84)),
	} {
		q := newPeer(t, Config{Role: Server})
		q.headers(1, false, postReq...)
		q.write(f)
		q.wantConnError(frame.ErrCodeProtocol)
		if q.err.(*ConnError).Reason == "" {
			t.Errorf("%s: no reason", name)
		}
	}
}
