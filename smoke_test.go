package h2kit

import (
	"bytes"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

func TestPipeRequestResponse(t *testing.T) {
	p := newPipe(t, Config{}, Config{})
	id, err := p.client.SendRequest(fields(":method", "POST", ":scheme", "https", ":authority", "a.example", ":path", "/x"), false)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("abc"), 100000)
	sent := 0
	var got []byte
	for sent < len(body) || len(got) < len(body) {
		if sent < len(body) {
			n, err := p.client.SendData(id, body[sent:], true)
			if err != nil {
				t.Fatal(err)
			}
			sent += n
		}
		p.run()
		for _, ev := range p.sEvents {
			if d, ok := ev.(*DataReceived); ok {
				got = append(got, d.Data...)
				p.srv.ConsumeData(d.StreamID, len(d.Data))
			}
		}
		p.sEvents = nil
		p.run()
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("got %d bytes, want %d", len(got), len(body))
	}
	if err := p.srv.SendHeaders(id, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.srv.SendData(id, []byte("ok"), true); err != nil {
		t.Fatal(err)
	}
	p.run()
	var status string
	var data []byte
	for _, ev := range p.cEvents {
		switch e := ev.(type) {
		case *ResponseReceived:
			status = fieldValue(e.Fields, ":status")
		case *DataReceived:
			data = append(data, e.Data...)
		}
	}
	if status != "200" || string(data) != "ok" {
		t.Fatalf("status %q data %q events %v", status, data, p.cEvents)
	}
	if p.client.State(id) != StateClosed || p.srv.State(id) != StateClosed {
		t.Fatalf("states %v %v", p.client.State(id), p.srv.State(id))
	}
	_ = frame.TypeData
}

func TestServerScriptedGet(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	ev := wantEvent[*RequestReceived](p)
	if ev.StreamID != 1 || !ev.EndStream || fieldValue(ev.Fields, ":path") != "/" {
		t.Fatalf("got %+v", ev)
	}
	if err := p.c.SendHeaders(1, fields(":status", "200", "content-type", "text/plain"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.SendData(1, []byte("hello"), true); err != nil {
		t.Fatal(err)
	}
	fs := p.wantHeaders(1, false)
	if fieldValue(fs, ":status") != "200" {
		t.Fatalf("fields %v", fs)
	}
	d := p.wantFrame(frame.TypeData).(*frame.Data)
	if string(d.Data) != "hello" || !d.EndStream {
		t.Fatalf("data %+v", d)
	}
	// RFC 9113, Section 5.1.1: an even stream id from a client.
	p.get(2, "/")
	p.wantConnError(frame.ErrCodeProtocol)
}
