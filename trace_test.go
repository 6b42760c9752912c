package h2kit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// TestTracer: a Tracer sees every frame sent and received, in wire order,
// with the decoded header fields passed on the frame that completes a
// header block (END_HEADERS) and nil elsewhere.
func TestTracer(t *testing.T) {
	ct, st := &traceRec{}, &traceRec{}
	ccfg := Config{Role: Client, Tracer: ct}
	scfg := Config{Role: Server, Tracer: st}
	client, srv := NewConn(ccfg, t0), NewConn(scfg, t0)
	var wireC2S, wireS2C []frame.Header
	move := func() {
		for i := 0; i < 100; i++ {
			moved := false
			for _, d := range []struct {
				from, to *Conn
				wire     *[]frame.Header
			}{{client, srv, &wireC2S}, {srv, client, &wireS2C}} {
				var b []byte
				for d.from.WantWrite() {
					b = d.from.AppendOutgoing(b)
				}
				if len(b) == 0 {
					continue
				}
				moved = true
				if _, err := d.to.Receive(b, t0); err != nil {
					t.Fatal(err)
				}
				if d.from == client {
					b = b[len(frame.ClientPreface)*boolInt(len(*d.wire) == 0):]
				}
				var ps frame.Parser
				ps.MaxFrameSize = frame.MaxMaxFrameSize
				for len(b) > 0 {
					_, n, err := ps.Parse(b)
					if err != nil || n == 0 {
						t.Fatalf("wire: %v", err)
					}
					*d.wire = append(*d.wire, ps.LastHeader())
					b = b[n:]
				}
			}
			for client.NextEvent() != nil {
			}
			for srv.NextEvent() != nil {
			}
			if !moved {
				return
			}
		}
	}
	move()
	big := strings.Repeat("b", 40000)
	id, err := client.SendRequest(reqFields("POST", "/trace", "x-big", big), false)
	if err != nil {
		t.Fatal(err)
	}
	client.SendData(id, []byte("body"), false)
	client.SendHeaders(id, fields("x-trailer", "1"), true)
	client.Ping()
	move()
	srv.SendHeaders(id, fields(":status", "200"), false)
	srv.SendData(id, []byte("ok"), true)
	srv.UpdateSettings(Settings{MaxConcurrentStreams: 7})
	move()

	check := func(name string, wire []frame.Header, sent, recv []tracedFrame) {
		t.Helper()
		if len(sent) != len(wire) || len(recv) != len(wire) {
			t.Fatalf("%s: %d frames on the wire, %d traced sent, %d traced received", name, len(wire), len(sent), len(recv))
		}
		for i, h := range wire {
			if sent[i].h != h || recv[i].h != h {
				t.Fatalf("%s frame %d: wire %+v, sent %+v, received %+v", name, i, h, sent[i].h, recv[i].h)
			}
			if got := sent[i].f.FrameHeader(); got.Type != h.Type || got.StreamID != h.StreamID {
				t.Fatalf("%s frame %d: frame %+v", name, i, got)
			}
			blockEnd := (h.Type == frame.TypeHeaders || h.Type == frame.TypePushPromise || h.Type == frame.TypeContinuation) &&
				h.Flags.Has(frame.FlagEndHeaders)
			for _, tf := range []tracedFrame{sent[i], recv[i]} {
				if blockEnd != (tf.fields != nil) {
					t.Fatalf("%s frame %d (%v): fields %v", name, i, h.Type, tf.fields)
				}
			}
			if blockEnd && fmt.Sprint(sent[i].fields) != fmt.Sprint(recv[i].fields) {
				t.Fatalf("%s frame %d: sent fields %v, received %v", name, i, sent[i].fields, recv[i].fields)
			}
		}
	}
	check("client to server", wireC2S, ct.sent, st.recv)
	check("server to client", wireS2C, st.sent, ct.recv)

	// The request block went out as HEADERS + CONTINUATIONs with the
	// fields on the last one, as sent.
	var types []frame.Type
	var reqFieldsSeen []hpack.Field
	for _, tf := range st.recv {
		if tf.h.StreamID == id && (tf.h.Type == frame.TypeHeaders || tf.h.Type == frame.TypeContinuation) {
			types = append(types, tf.h.Type)
			if tf.fields != nil && reqFieldsSeen == nil {
				reqFieldsSeen = tf.fields
			}
		}
	}
	if len(types) < 3 || types[0] != frame.TypeHeaders || types[1] != frame.TypeContinuation {
		t.Fatalf("request frames %v", types)
	}
	if fieldValue(reqFieldsSeen, "x-big") != big || fieldValue(reqFieldsSeen, ":path") != "/trace" {
		t.Fatal("traced request fields")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
