package grpcinterop

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// rpcClient is what the suite needs of a gRPC client: grpc-go's and
// connect-go's are adapted to it. Codes are gRPC's (connect's are the
// same numbers).
type rpcClient interface {
	// unary calls Echo; trailer is the x-meta trailer value (also on error).
	unary(ctx context.Context, req []byte) (resp []byte, trailer string, err error)
	// download calls Download and returns the messages.
	download(ctx context.Context, count, size int) ([][]byte, string, error)
	// upload calls Upload with msgs and returns the reply.
	upload(ctx context.Context, msgs [][]byte) ([]byte, string, error)
	// chat opens a Chat stream.
	chat(ctx context.Context) (chatStream, error)
	// code is the gRPC status code of err (codes.OK for nil).
	code(err error) codes.Code
}

// chatStream is a bidi stream.
type chatStream interface {
	send(m []byte) error
	recv() ([]byte, error) // io.EOF at the end
	closeSend() error
	trailer() string
}

const (
	big1 = 4<<20 + 123 // just over 4 MiB, grpc's default limit
	big2 = 9<<20 + 7
)

// runSuite runs every case against c; srv is the server's recorder.
func runSuite(t *testing.T, c rpcClient, srv *testServer) {
	call := func(t *testing.T) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	t.Run("unary", func(t *testing.T) {
		resp, tr, err := c.unary(call(t), []byte("hello"))
		if err != nil || string(resp) != "hello" || tr != "echo" {
			t.Fatalf("Echo: %q, trailer %q, %v", resp, tr, err)
		}
	})
	t.Run("unary-large-repeated", func(t *testing.T) {
		for i := range 3 {
			for j, n := range []int{big1, big2} {
				m := fill(i*2+j, n)
				resp, _, err := c.unary(call(t), m)
				if err != nil || len(resp) != n || !checkFill(i*2+j, resp) {
					t.Fatalf("round %d, %d bytes: %d bytes back, %v", i, n, len(resp), err)
				}
			}
		}
	})
	t.Run("server-streaming", func(t *testing.T) {
		for range 2 {
			msgs, tr, err := c.download(call(t), 4, big1)
			if err != nil || len(msgs) != 4 || tr != "download" {
				t.Fatalf("Download: %d messages, trailer %q, %v", len(msgs), tr, err)
			}
			for i, m := range msgs {
				if len(m) != big1 || !checkFill(i, m) {
					t.Fatalf("message %d: %d bytes, corrupted or short", i, len(m))
				}
			}
		}
	})
	t.Run("server-streaming-bulk", func(t *testing.T) {
		// 64 MiB down one connection: grpc-go's client sends a BDP PING
		// every few DATA frames it receives; a server's PING flood
		// limit must not take that for an attack.
		for round := range 4 {
			msgs, _, err := c.download(call(t), 4, big1)
			if err != nil || len(msgs) != 4 {
				t.Fatalf("round %d: %d messages, %v", round, len(msgs), err)
			}
		}
	})
	t.Run("client-streaming", func(t *testing.T) {
		for range 2 {
			var msgs [][]byte
			want := 0
			for i, n := range []int{big1, 10, big2, big1} {
				msgs = append(msgs, fill(i, n))
				want += n
			}
			resp, tr, err := c.upload(call(t), msgs)
			if err != nil || len(resp) != 8 || binary.BigEndian.Uint64(resp) != uint64(want) || tr != "upload" {
				t.Fatalf("Upload: %x, trailer %q, %v (want total %d)", resp, tr, err, want)
			}
		}
	})
	t.Run("bidi-ping-pong", func(t *testing.T) {
		s, err := c.chat(call(t))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			n := 100 + i
			if i%4 == 3 {
				n = big1
			}
			m := fill(i, n)
			if err := s.send(m); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			resp, err := s.recv() // wait for the reply before the next
			if err != nil || len(resp) != n || !checkFill(i, resp) {
				t.Fatalf("reply %d: %d bytes, %v", i, len(resp), err)
			}
		}
		if err := s.closeSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.recv(); err != io.EOF {
			t.Fatalf("after CloseSend: %v, want io.EOF", err)
		}
		if tr := s.trailer(); tr != "chat" {
			t.Fatalf("trailer %q, want chat", tr)
		}
	})
	t.Run("unary-error", func(t *testing.T) {
		_, tr, err := c.unary(call(t), []byte(fmt.Sprintf("%s%d", cmdFail, codes.InvalidArgument)))
		if c.code(err) != codes.InvalidArgument || tr != "echo" {
			t.Fatalf("Echo fail: %v (code %v), trailer %q; want InvalidArgument, echo", err, c.code(err), tr)
		}
	})
	t.Run("bidi-error-while-client-idle", func(t *testing.T) {
		// The handler returns an error while the client sends nothing
		// more (and has not closed its side): the status must come at
		// once, not at the deadline.
		for range 3 {
			s, err := c.chat(call(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.send([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if m, err := s.recv(); err != nil || string(m) != "ping" {
				t.Fatalf("reply: %q, %v", m, err)
			}
			if err := s.send([]byte(fmt.Sprintf("%s%d", cmdFail, codes.Aborted))); err != nil {
				t.Fatal(err)
			}
			_, err = s.recv()
			if c.code(err) != codes.Aborted {
				t.Fatalf("after fail: %v (code %v), want Aborted", err, c.code(err))
			}
			if tr := s.trailer(); tr != "chat" {
				t.Fatalf("trailer %q, want chat", tr)
			}
		}
	})
	t.Run("early-status-mid-upload", func(t *testing.T) {
		for i := range 5 {
			msgs := [][]byte{fill(0, 1000), []byte(fmt.Sprintf("%s%d", cmdFail, codes.ResourceExhausted))}
			for range 8 {
				msgs = append(msgs, fill(1, big1)) // still uploading when the status comes
			}
			_, tr, err := c.upload(call(t), msgs)
			if c.code(err) != codes.ResourceExhausted || tr != "upload" {
				t.Fatalf("round %d: %v (code %v), trailer %q; want ResourceExhausted, upload", i, err, c.code(err), tr)
			}
		}
	})
	t.Run("deadline", func(t *testing.T) {
		for _, method := range []string{"unary", "chat"} {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			var err error
			if method == "unary" {
				_, _, err = c.unary(ctx, []byte(cmdSleep))
			} else {
				var s chatStream
				if s, err = c.chat(ctx); err == nil {
					if err = s.send([]byte(cmdSleep)); err == nil {
						_, err = s.recv()
					}
				}
			}
			cancel()
			if c.code(err) != codes.DeadlineExceeded {
				t.Fatalf("%s past its deadline: %v (code %v), want DeadlineExceeded", method, err, c.code(err))
			}
			srv.waitCtx(t, "deadline")
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(call(t))
		s, err := c.chat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.send([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if m, err := s.recv(); err != nil || string(m) != "ping" {
			t.Fatalf("reply: %q, %v", m, err)
		}
		if err := s.send([]byte(cmdSleep)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // let the handler get to its wait (not asserted)
		cancel()
		if _, err := s.recv(); c.code(err) != codes.Canceled {
			t.Fatalf("after cancel: %v (code %v), want Canceled", err, c.code(err))
		}
		srv.waitCtx(t, "cancellation") // the server saw it too
	})
	t.Run("connection-still-usable", func(t *testing.T) {
		resp, _, err := c.unary(call(t), fill(7, big1))
		if err != nil || !checkFill(7, resp) {
			t.Fatalf("Echo after the errors: %d bytes, %v", len(resp), err)
		}
	})
}

// waitCtx waits (bounded) until a handler reported its context ended.
func (s *testServer) waitCtx(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s.ctxDone:
	case <-time.After(10 * time.Second):
		t.Fatalf("the server's handler never saw the %s", what)
	}
}
