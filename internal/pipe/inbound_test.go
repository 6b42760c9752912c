package pipe

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testStream is a stream as an adapter has one: a mutex guarding the
// inbound body and the stream's error.
type testStream struct {
	mu       sync.Mutex
	in       Inbound
	err      error
	deadline time.Time
	consumed atomic.Int32 // Consumed calls
}

func newTestStream() *testStream {
	st := &testStream{}
	st.in.Init(0)
	return st
}

func (st *testStream) Failed() error           { return st.err }
func (st *testStream) ReadDeadline() time.Time { return st.deadline }
func (st *testStream) Consumed()               { st.consumed.Add(1) }

func (st *testStream) Read(p []byte) (int, error) { return st.in.Read(&st.mu, p, st) }

func (st *testStream) deliver(p string) {
	st.mu.Lock()
	st.in.Deliver([]byte(p))
	st.mu.Unlock()
}

// blockedRead starts a Read with nothing buffered and returns its result.
func blockedRead(t *testing.T, st *testStream) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := st.Read(make([]byte, 10))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Read returned %v with nothing buffered", err)
	case <-time.After(20 * time.Millisecond):
	}
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Read was not woken")
		return nil
	}
}

func TestInboundReadOrder(t *testing.T) {
	st := newTestStream()
	st.deliver("abc")
	st.deliver("def")
	st.mu.Lock()
	st.in.End()
	st.mu.Unlock()
	p := make([]byte, 4)
	if n, err := st.Read(p); n != 4 || err != nil || string(p) != "abcd" {
		t.Fatalf("Read %d %v %q", n, err, p)
	}
	if n, err := st.Read(p); n != 2 || err != nil || string(p[:2]) != "ef" {
		t.Fatalf("Read %d %v %q", n, err, p[:n])
	}
	if _, err := st.Read(p); err != io.EOF {
		t.Fatalf("after the body: %v, want EOF", err)
	}
	st.mu.Lock()
	got := st.in.TakeConsumed()
	st.mu.Unlock()
	if got != 6 {
		t.Errorf("consumed %d, want 6", got)
	}
	if st.consumed.Load() == 0 {
		t.Error("draining the buffer did not report Consumed")
	}
}

// A reader that closes the body wakes a Read blocked in another goroutine
// (net/http does; gRPC's server closes the body and waits for its reader).
func TestInboundCloseWakesBlockedRead(t *testing.T) {
	st := newTestStream()
	done := blockedRead(t, st)
	st.mu.Lock()
	st.in.Close()
	st.mu.Unlock()
	if err := waitErr(t, done); err != ErrBodyClosed {
		t.Fatalf("blocked Read after Close: %v", err)
	}
	// Bytes delivered after Close are refused (the owner returns their
	// window) and buffered ones were dropped and counted.
	st.mu.Lock()
	if st.in.Deliver([]byte("late")) {
		t.Error("Deliver after Close kept the bytes")
	}
	st.mu.Unlock()
}

func TestInboundCloseCountsDropped(t *testing.T) {
	st := newTestStream()
	st.deliver("0123456789")
	st.mu.Lock()
	dropped := st.in.Close()
	consumed := st.in.TakeConsumed()
	st.mu.Unlock()
	if dropped != 10 || consumed != 10 {
		t.Errorf("Close dropped %d, consumed %d; want 10, 10", dropped, consumed)
	}
	if _, err := st.Read(make([]byte, 1)); err != ErrBodyClosed {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestInboundWakes(t *testing.T) {
	t.Run("data", func(t *testing.T) {
		st := newTestStream()
		done := make(chan string, 1)
		go func() {
			p := make([]byte, 10)
			n, _ := st.Read(p)
			done <- string(p[:n])
		}()
		time.Sleep(10 * time.Millisecond)
		st.deliver("hi")
		select {
		case got := <-done:
			if got != "hi" {
				t.Errorf("read %q", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Deliver did not wake the Read")
		}
	})
	t.Run("end", func(t *testing.T) {
		st := newTestStream()
		done := blockedRead(t, st)
		st.mu.Lock()
		st.in.End()
		st.mu.Unlock()
		if err := waitErr(t, done); err != io.EOF {
			t.Fatalf("got %v, want EOF", err)
		}
	})
	t.Run("failure", func(t *testing.T) {
		st := newTestStream()
		done := blockedRead(t, st)
		boom := errors.New("stream reset")
		st.mu.Lock()
		st.err = boom
		st.in.Wake()
		st.mu.Unlock()
		if err := waitErr(t, done); err != boom {
			t.Fatalf("got %v, want the stream's error", err)
		}
	})
	t.Run("deadline set while blocked", func(t *testing.T) {
		st := newTestStream()
		done := blockedRead(t, st)
		st.mu.Lock()
		st.deadline = time.Now().Add(10 * time.Millisecond)
		st.in.Wake()
		st.mu.Unlock()
		if err := waitErr(t, done); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("got %v, want a deadline error", err)
		}
	})
}

// Buffered bytes come before the stream's error: what the peer sent before
// it reset the stream is still read.
func TestInboundDataBeforeError(t *testing.T) {
	st := newTestStream()
	st.deliver("last words")
	st.mu.Lock()
	st.err = errors.New("reset")
	st.mu.Unlock()
	p := make([]byte, 20)
	if n, err := st.Read(p); err != nil || string(p[:n]) != "last words" {
		t.Fatalf("Read %q %v", p[:n], err)
	}
	if _, err := st.Read(p); err == nil {
		t.Fatal("no error after the buffered bytes")
	}
}

func TestInboundReportsEvery(t *testing.T) {
	st := newTestStream()
	big := make([]byte, 4*ReportEvery)
	st.mu.Lock()
	st.in.Deliver(big)
	st.mu.Unlock()
	p := make([]byte, 1024)
	for i := 0; i < ReportEvery/1024-1; i++ {
		st.Read(p)
	}
	if st.consumed.Load() != 0 {
		t.Fatalf("Consumed reported after %d bytes", ReportEvery-1024)
	}
	st.Read(p)
	if st.consumed.Load() != 1 {
		t.Fatalf("Consumed not reported after %d bytes", ReportEvery)
	}
}

func TestInboundZeroLengthRead(t *testing.T) {
	st := newTestStream()
	if n, err := st.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil without blocking", n, err)
	}
}

func TestInboundReuse(t *testing.T) {
	st := newTestStream()
	st.deliver("abc")
	st.mu.Lock()
	st.in.Close()
	st.in.Init(1 << 10)
	st.mu.Unlock()
	if st.in.Closed() || st.in.Ended() || st.in.Buffered() != 0 {
		t.Fatal("Init did not reset the state")
	}
	st.deliver("x")
	if n, err := st.Read(make([]byte, 4)); n != 1 || err != nil {
		t.Fatalf("reused: %d %v", n, err)
	}
}

// CloseWith gives later reads its error, keeps a small buffer for reuse,
// and a second close (Close after CloseWith) changes nothing.
func TestInboundCloseWith(t *testing.T) {
	errDone := errors.New("done")
	st := newTestStream()
	st.deliver("0123456789")
	done := make(chan error, 1)
	st.mu.Lock()
	dropped := st.in.CloseWith(errDone, 1<<10)
	kept := st.in.q.Cap() > 0
	again := st.in.Close()
	st.mu.Unlock()
	go func() { _, err := st.Read(make([]byte, 4)); done <- err }()
	if err := waitErr(t, done); err != errDone {
		t.Errorf("Read after CloseWith: %v; want its error", err)
	}
	if dropped != 10 || again != 0 || !kept {
		t.Errorf("CloseWith dropped %d (want 10), then Close %d (want 0); buffer kept %v", dropped, again, kept)
	}
}

// ReadWithEOF gives io.EOF with the last bytes of an ended body, and
// plain bytes while the body goes on; Read keeps io.EOF for a call of
// its own.
func TestInboundReadWithEOF(t *testing.T) {
	st := newTestStream()
	st.deliver("abcdef")
	p := make([]byte, 4)
	if n, err := st.in.ReadWithEOF(&st.mu, p, st); n != 4 || err != nil {
		t.Fatalf("ReadWithEOF %d %v, want 4 bytes and no error", n, err)
	}
	// Not ended yet: the last buffered bytes come without io.EOF.
	if n, err := st.in.ReadWithEOF(&st.mu, p, st); n != 2 || err != nil || string(p[:2]) != "ef" {
		t.Fatalf("ReadWithEOF %d %v %q before the end", n, err, p[:n])
	}
	st.deliver("gh")
	st.mu.Lock()
	st.in.End()
	st.mu.Unlock()
	if n, err := st.in.ReadWithEOF(&st.mu, p, st); n != 2 || err != io.EOF || string(p[:2]) != "gh" {
		t.Fatalf("ReadWithEOF %d %v %q at the end, want \"gh\" and EOF", n, err, p[:n])
	}
	if n, err := st.in.ReadWithEOF(&st.mu, p, st); n != 0 || err != io.EOF {
		t.Fatalf("ReadWithEOF after the end: %d %v", n, err)
	}

	// A blocked ReadWithEOF woken by the last bytes and the end together.
	st2 := newTestStream()
	done := make(chan error, 1)
	go func() {
		n, err := st2.in.ReadWithEOF(&st2.mu, make([]byte, 10), st2)
		if err == io.EOF && n != 3 {
			err = errors.New("EOF without the last bytes")
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	st2.mu.Lock()
	st2.in.Deliver([]byte("xyz"))
	st2.in.End()
	st2.mu.Unlock()
	if err := waitErr(t, done); err != nil && err != io.EOF {
		t.Fatal(err)
	}

	// Read itself keeps io.EOF apart.
	st3 := newTestStream()
	st3.deliver("ab")
	st3.mu.Lock()
	st3.in.End()
	st3.mu.Unlock()
	if n, err := st3.Read(p); n != 2 || err != nil {
		t.Fatalf("Read %d %v, want 2 bytes and no error", n, err)
	}
}
