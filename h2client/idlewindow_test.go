package h2client

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// streamLog records, per stream, the types of the frames the client sent
// before it received anything on that stream.
type streamLog struct {
	mu     sync.Mutex
	before map[uint32][]frame.Type
	heard  map[uint32]bool
}

func (l *streamLog) FrameReceived(h frame.Header, _ frame.Frame, _ []hpack.Field) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.heard[h.StreamID] = true
}

func (l *streamLog) FrameSent(h frame.Header, _ frame.Frame, _ []hpack.Field) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.StreamID != 0 && !l.heard[h.StreamID] {
		l.before[h.StreamID] = append(l.before[h.StreamID], h.Type)
	}
}

func (l *streamLog) opening(id uint32) []frame.Type {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]frame.Type(nil), l.before[id]...)
}

// TestInteropNghttpdGrownWindowSecondDownload: two 4 MiB downloads one
// after the other on one connection to nghttpd, the stream window grown
// by AutoWindow during the first. The second stream gets the grown window
// with a WINDOW_UPDATE that must follow its HEADERS (RFC 9113, Section
// 5.1: nothing else may be sent on an idle stream). Before, the
// WINDOW_UPDATE went first; nghttpd answered GOAWAY PROTOCOL_ERROR
// "WINDOW_UPDATE to idle stream" and the request was retried on a new
// connection (counted here as a second dial).
func TestInteropNghttpdGrownWindowSecondDownload(t *testing.T) {
	bin := testpeer.Path(t, "nghttpd")
	const size = 4 << 20
	dir := t.TempDir()
	var b bytes.Buffer
	io.Copy(&b, &patternReader{n: size})
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755) // peers may run as nobody
	port := testpeer.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	startProcess(t, bin, "-a", "127.0.0.1", "-d", dir, "--no-tls", strconv.Itoa(port))
	testpeer.WaitListening(t, addr, 5*time.Second, nil)

	log := &streamLog{before: map[uint32][]frame.Type{}, heard: map[uint32]bool{}}
	var dials atomic.Int32
	tr := newTransport(t)
	tr.AllowHTTP = true
	tr.InitialWindowSize = 64 << 10
	tr.NewTracer = func(net.Conn) h2kit.Tracer { return log }
	tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	get := func() {
		t.Helper()
		resp, err := client(tr).Get("http://" + addr + "/big.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := checkPattern(resp.Body, size); err != nil {
			t.Fatal(err)
		}
	}
	// Download until a new stream opens with the window grown during
	// the download before it (on loopback, the second one usually);
	// all on one connection.
	grown := func(id uint32) bool {
		for _, typ := range log.opening(id) {
			if typ == frame.TypeWindowUpdate {
				return true
			}
		}
		return false
	}
	id := uint32(1)
	for k := 0; ; k++ {
		get()
		if k > 0 && grown(id) {
			break
		}
		if k == 7 {
			t.Fatalf("the stream window did not grow in %d downloads of %d bytes", k+1, size)
		}
		id += 2
	}
	if got := log.opening(id); len(got) < 2 || got[0] != frame.TypeHeaders {
		t.Errorf("stream %d opened with %v, want HEADERS first", id, got)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections dialed, want 1 (the server ended one?)", n)
	}
	t.Logf("stream %d opened with %v", id, log.opening(id))
}
