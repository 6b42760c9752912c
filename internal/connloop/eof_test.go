package connloop

import (
	"net"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// TestLoopPeerClosesAfterData: the peer's last bytes and its FIN arrive
// together. A read returns the bytes, short of the buffer, and only the
// next read reports the end: the reader must make it rather than wait
// for readability, whose event came with the bytes. Repeated, since the
// bytes and the FIN do not always arrive in one go.
func TestLoopPeerClosesAfterData(t *testing.T) {
	hello := append([]byte(frame.ClientPreface), 0, 0, 0, 0x4, 0, 0, 0, 0, 0) // the preface and an empty SETTINGS
	for i := range 50 {
		cc, sc := tcpPair(t)
		srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
		srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, time.Now()), srv, Options{LingerTimeout: -1})
		go srv.l.Run()
		if _, err := cc.Write(hello); err != nil {
			t.Fatal(err)
		}
		// A half close: the loop's writes (SETTINGS, its ACK) still
		// succeed, so only the read can end it.
		cc.(*net.TCPConn).CloseWrite()
		select {
		case err := <-srv.closed:
			if err != ErrPeerClosed {
				t.Fatalf("run %d: err %v, want %v", i, err, ErrPeerClosed)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d: the loop did not see the peer close after its last bytes", i)
		}
		cc.Close()
	}
}
