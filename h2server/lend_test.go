//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference client of the tests

package h2server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// TestLargeWriteBufferReused: a Write of at least minLend bytes lends the
// handler's slice to the owner instead of copying it into the queue
// (lend), and returns only once the engine has taken all of it: a
// handler that then overwrites its slice and writes it again sends both
// versions, on every kind of connection.
func TestLargeWriteBufferReused(t *testing.T) {
	const size = 300 << 10
	pattern := func(p []byte, seed byte) {
		for i := range p {
			p[i] = seed + byte(i%251)
		}
	}
	want := make([]byte, 3*size)
	pattern(want[:size], 1)
	pattern(want[size:2*size], 2)
	pattern(want[2*size:], 3)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, size)
		for seed := byte(1); seed <= 3; seed++ {
			pattern(buf, seed)
			if n, err := w.Write(buf); n != size || err != nil {
				t.Errorf("Write: %d, %v", n, err)
				return
			}
		}
	})
	for _, k := range connKinds {
		t.Run(k.name, func(t *testing.T) {
			addr := k.start(t, h, nil)
			tr := k.client(t)
			t.Cleanup(tr.CloseIdleConnections)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for range 3 {
				req, _ := http.NewRequestWithContext(ctx, "GET", k.scheme+"://"+addr+"/", nil)
				res, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%d bytes, want %d, or not the bytes written", len(got), len(want))
				}
			}
		})
	}
}

// TestLargeWriteDeadline: a large Write that flow control holds up (the
// client does not read) returns os.ErrDeadlineExceeded at the handler's
// write deadline (http.ResponseController), even while the owner has part
// of it, and the stream is reset.
func TestLargeWriteDeadline(t *testing.T) {
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		// More than the client's windows (x/net: 4 MiB per stream).
		_, err := w.Write(make([]byte, 8<<20))
		done <- err
	})
	addr := startServe(t, h, nil)
	tr := xnetH2CTransport(t)
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/", nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() // never read until the handler is done
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write: %v, want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write still blocked 10 s after its deadline")
	}
	if _, err := io.Copy(io.Discard, res.Body); err == nil {
		t.Error("the body ended without error: the stream was not reset")
	}
}

// TestLargeWritePeerGone: a Write whose bytes the socket writes straight
// from the handler's slice (a plain socket, no write deadline) returns
// with an error once the client goes away without reading them, and the
// server's connection ends: the write still holding the slice is stopped
// first (connloop's Releaser), so the handler gets its slice back only
// when no write can read it any more.
func TestLargeWritePeerGone(t *testing.T) {
	done := make(chan error, 1)
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		_, err := w.Write(make([]byte, 64<<20)) // more than the sockets hold
		done <- err
	})
	addr := startServe(t, h, nil)
	k := connKinds[1] // raw-serve
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := k.dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	eng := h2kit.NewConn(h2kit.Config{Role: h2kit.Client, ConnectionWindow: 1 << 30,
		Settings: h2kit.Settings{InitialWindowSize: 1 << 30}}, time.Now())
	if _, err := eng.SendRequest(reqFields("GET", addr, "/"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(eng.AppendOutgoing(nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("no request")
	}
	time.Sleep(200 * time.Millisecond) // the sockets fill up; nothing is read
	nc.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Write of 64 MiB to a client that left: no error")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Write still blocked 15 s after the client left")
	}
}
