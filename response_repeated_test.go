package h2kit

import (
	"slices"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// A response block the peer sends again and again, byte for byte, comes
// with the same nonzero ResponseReceived.Repeated each time (the test
// peer's encoder indexes the last of the fields in the third block, so
// the fourth is the first repeat); another block gets another value, or
// none.
func TestResponseRepeated(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	hdr := []string{":status", "200", "content-length", "2", "server", "x"}
	var repeated uint64
	for i := range 6 {
		id := p.request(getReq, true)
		p.headers(id, false, hdr...)
		ev := wantEvent[*ResponseReceived](p)
		if ev.StreamID != id {
			t.Fatalf("response %d: %+v", i, ev)
		}
		var got []string
		for _, f := range ev.Fields {
			got = append(got, f.Name, f.Value)
		}
		if !slices.Equal(got, hdr) {
			t.Fatalf("response %d: fields %q, want %q", i, got, hdr)
		}
		if i >= 3 && (ev.Repeated == 0 || repeated != 0 && ev.Repeated != repeated) {
			t.Fatalf("response %d: Repeated %d, want the same nonzero value as before (%d)", i, ev.Repeated, repeated)
		}
		if i >= 3 {
			repeated = ev.Repeated
		}
		p.write(&frame.Data{StreamID: id, EndStream: true, Data: []byte("ok")})
		wantEvent[*DataReceived](p)
	}
	if repeated == 0 {
		t.Fatal("no repeated response")
	}
	id := p.request(getReq, true)
	p.headers(id, true, ":status", "204", "server", "x")
	if ev := wantEvent[*ResponseReceived](p); ev.Repeated == repeated {
		t.Fatalf("a different response has the repeated one's Repeated: %+v", ev)
	}
}
