package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Section 8.1: the sending side of a message: informational responses
// first, one final response, trailers that end the stream.
func TestSendMessage(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.headers(1, false, postReq...)
	p.drain()
	if err := p.c.SendHeaders(1, fields(":status", "100"), true); err != ErrStreamClosed {
		t.Fatalf("1xx with END_STREAM: %v", err)
	}
	mustSend(t, p.c.SendHeaders(1, fields(":status", "100"), false))
	mustSend(t, p.c.SendHeaders(1, fields(":status", "103"), false))
	if _, err := p.c.SendData(1, []byte("x"), false); err != ErrStreamClosed {
		t.Fatalf("DATA after 1xx only: %v", err)
	}
	mustSend(t, p.c.SendHeaders(1, fields(resp200...), false))
	if err := p.c.SendHeaders(1, fields(resp200...), false); err != ErrStreamClosed {
		t.Fatalf("second header section without END_STREAM: %v", err)
	}
	if _, err := p.c.SendData(1, []byte("body"), false); err != nil {
		t.Fatal(err)
	}
	mustSend(t, p.c.SendHeaders(1, fields(trailers...), true))
	for _, want := range []string{"100", "103", "200"} {
		if fs := p.wantHeaders(1, false); fieldValue(fs, ":status") != want {
			t.Fatalf("headers %v, want %s", fs, want)
		}
	}
	if d := p.wantFrame(frame.TypeData).(*frame.Data); string(d.Data) != "body" || d.EndStream {
		t.Fatalf("data %+v", d)
	}
	if fs := p.wantHeaders(1, true); fieldValue(fs, "x-trailer") != "1" {
		t.Fatalf("trailers %v", fs)
	}
	if st := p.c.State(1); st != StateHalfClosedLocal {
		t.Fatalf("state %v", st)
	}
}
