//go:build unix

package connloop

import (
	"bytes"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// A reader that reads often waits padded, with its read deadline as the
// period after which an idle one waits unpadded again: the echo of 3 MB
// in small reads pads both readers (and their deadlines fire while data
// still flows, which must only re-arm them), an idle pause unpads them,
// and the readers still read afterwards (the graceful close's GOAWAYs).
func TestReaderPadsWhileBusy(t *testing.T) {
	defer func(d time.Duration) { readerIdle = d }(readerIdle)
	readerIdle = 20 * time.Millisecond
	base := paddedReads.Load()

	cc, sc := tcpPair(t)
	now := time.Now()
	srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
	srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, Options{ReadBufferSize: 1000})
	body := bytes.Repeat([]byte("0123456789"), 300000)
	cl := &client{body: body, done: make(chan struct{}), closed: make(chan error, 1)}
	cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{MaxWriteBatch: 20000})
	if !srv.l.raw.ok() || !cl.l.raw.ok() {
		t.Fatal("TCP sockets not read directly")
	}
	go srv.l.Run()
	go cl.l.Run()
	cl.l.Wake()
	maxPadded := int32(0)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-cl.done:
			break wait
		case <-tick.C:
			maxPadded = max(maxPadded, paddedReads.Load()-base)
		case <-time.After(20 * time.Second):
			t.Fatal("no response")
		}
	}
	if !bytes.Equal(cl.got, body) {
		t.Fatalf("echo: %d bytes, want %d", len(cl.got), len(body))
	}
	maxPadded = max(maxPadded, paddedReads.Load()-base)
	if maxPadded == 0 {
		t.Error("no reader waited padded during the echo")
	}
	deadline := time.Now().Add(5 * time.Second)
	for paddedReads.Load() != base {
		if time.Now().After(deadline) {
			t.Fatalf("%d readers still padded after 5 s idle", paddedReads.Load()-base)
		}
		time.Sleep(5 * time.Millisecond)
	}
	shutdownEcho(t, cl, srv)
}
