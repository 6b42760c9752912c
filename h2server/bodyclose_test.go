package h2server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// bodyCloseClients are the peers the request-body tests run against: Go's
// x/net client and net/http's own, over TLS and h2c (prior knowledge).
// Each starts a server with h and returns a client and the server's URL.
func bodyCloseClients(h http.Handler) map[string]func(t *testing.T) (*http.Client, string) {
	return map[string]func(t *testing.T) (*http.Client, string){
		"xnet-tls": func(t *testing.T) (*http.Client, string) { a := startTLS(t, h, nil); return xnetTLS(t), "https://" + a },
		"xnet-h2c": func(t *testing.T) (*http.Client, string) { a := startH2C(t, h, nil); return xnetH2C(t), "http://" + a },
		"std-tls":  func(t *testing.T) (*http.Client, string) { a := startTLS(t, h, nil); return stdTLS(t), "https://" + a },
		"std-h2c":  func(t *testing.T) (*http.Client, string) { a := startH2C(t, h, nil); return stdH2C(t), "http://" + a },
	}
}

// closeAndWaitHandler reads the request body in a goroutine of its own,
// as gRPC's ServeHTTP does; after reading first bytes of the body (at
// least one byte, or none when first is 0), it answers: Body.Close, wait
// for the reading goroutine (5 s at most, else it reports so in the
// status), then the status in trailers. The error the reading goroutine
// got goes to readErr.
func closeAndWaitHandler(first int, readErr chan<- error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 4096)
			n := 0
			for {
				k, err := r.Body.Read(buf)
				n += k
				if n >= first && first > 0 && k > 0 && n-k < first {
					close(got)
				}
				if err != nil {
					readErr <- err
					return
				}
			}
		}()
		if first > 0 {
			select {
			case <-got:
			case <-done:
			}
		}
		w.Header().Set("Trailer", "Grpc-Status")
		w.Header().Set("Content-Type", "application/grpc")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		r.Body.Close()
		select {
		case <-done:
			w.Header().Set("Grpc-Status", "13")
		case <-time.After(5 * time.Second):
			// Close did not wake the reader: gRPC would hang here until
			// the deadline; the test fails on the status.
			w.Header().Set("Grpc-Status", "reader-not-woken")
		}
	})
}

// TestBodyCloseWakesBlockedRead: Body.Close from the handler wakes a Read
// blocked in another goroutine while the client sends nothing (an idle
// gRPC bidi stream whose handler fails), so the handler can wait for that
// goroutine and its trailers reach the client.
func TestBodyCloseWakesBlockedRead(t *testing.T) {
	for _, first := range []int{0, 1} {
		readErr := make(chan error, 1)
		for name, start := range bodyCloseClients(closeAndWaitHandler(first, readErr)) {
			t.Run(fmt.Sprintf("%s/first=%d", name, first), func(t *testing.T) {
				client, base := start(t)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				pr, pw := io.Pipe()
				defer pw.Close()
				if first > 0 {
					go pw.Write([]byte("x")) // one byte, then idle
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/", pr)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					t.Fatalf("reading the response: %v", err)
				}
				if got := resp.Trailer.Get("Grpc-Status"); got != "13" {
					t.Fatalf("trailer Grpc-Status = %q, want 13", got)
				}
				select {
				case err := <-readErr:
					if !errors.Is(err, errBodyClosed) {
						t.Errorf("blocked Read returned %v, want %v", err, errBodyClosed)
					}
				case <-ctx.Done():
					t.Fatal("the reading goroutine never returned")
				}
			})
		}
	}
}

// endlessBody is a request body that never ends: a client still uploading.
type endlessBody struct{ ctx context.Context }

func (b endlessBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	for i := range p {
		p[i] = 'u'
	}
	return len(p), nil
}

// TestEarlyStatusMidUpload: the handler answers while the client is still
// uploading (gRPC's "early status mid-upload"): Close wakes the reader
// whether it is blocked or not, the trailers go out, and the client sees
// the whole response, many times in a row on one connection.
func TestEarlyStatusMidUpload(t *testing.T) {
	readErr := make(chan error, 1)
	for name, start := range bodyCloseClients(closeAndWaitHandler(64<<10, readErr)) {
		t.Run(name, func(t *testing.T) {
			client, base := start(t)
			for i := range 20 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/", endlessBody{ctx})
				resp, err := client.Do(req)
				if err != nil {
					cancel()
					t.Fatalf("request %d: %v", i, err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					cancel()
					t.Fatalf("request %d: reading the response: %v", i, err)
				}
				if got := resp.Trailer.Get("Grpc-Status"); got != "13" {
					t.Fatalf("request %d: trailer Grpc-Status = %q, want 13", i, got)
				}
				select {
				case err := <-readErr:
					if !errors.Is(err, errBodyClosed) {
						t.Errorf("request %d: Read returned %v, want %v", i, err, errBodyClosed)
					}
				case <-ctx.Done():
					t.Fatalf("request %d: the reading goroutine never returned", i)
				}
				cancel()
			}
		})
	}
}

// TestHandlerReturnWakesBlockedRead: a Read blocked in a goroutine the
// handler left behind fails once the handler returns (as with net/http),
// instead of waiting forever on a stream recycled for another request.
func TestHandlerReturnWakesBlockedRead(t *testing.T) {
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := make(chan struct{})
		go func() {
			close(started)
			_, err := io.ReadAll(r.Body)
			readErr <- err
		}()
		<-started
		io.WriteString(w, "bye")
	})
	for name, start := range bodyCloseClients(h) {
		t.Run(name, func(t *testing.T) {
			client, base := start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pr, pw := io.Pipe()
			defer pw.Close()
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/", pr)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != "bye" {
				t.Fatalf("response %q, %v", body, err)
			}
			select {
			case err := <-readErr:
				if err == nil || !strings.Contains(err.Error(), "handler") {
					t.Errorf("Read after the handler returned: %v, want errHandlerDone", err)
				}
			case <-ctx.Done():
				t.Fatal("the Read blocked when the handler returned never returned")
			}
		})
	}
}

// TestHandlerSeesResetAsGo: a handler reading the body of a request the
// client resets gets an error worded as Go's HTTP/2 words a reset from
// the peer, and errors.As finds the *h2kit.StreamError.
func TestHandlerSeesResetAsGo(t *testing.T) {
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		_, err := io.ReadAll(r.Body)
		readErr <- err
	})
	for name, start := range bodyCloseClients(h) {
		t.Run(name, func(t *testing.T) {
			client, base := start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			reqCtx, cancelReq := context.WithCancel(ctx)
			pr, pw := io.Pipe()
			defer pw.Close()
			req, _ := http.NewRequestWithContext(reqCtx, "POST", base+"/", pr)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			cancelReq() // RST_STREAM CANCEL
			resp.Body.Close()
			select {
			case err := <-readErr:
				var se *h2kit.StreamError
				if !errors.As(err, &se) || se.Code != frame.ErrCodeCancel || se.Initiator != h2kit.Remote {
					t.Fatalf("Read after the client's reset: %v, want a remote CANCEL *h2kit.StreamError", err)
				}
				want := fmt.Sprintf("stream error: stream ID %d; CANCEL; received from peer", se.StreamID)
				if err.Error() != want {
					t.Errorf("error text %q, want %q", err, want)
				}
			case <-ctx.Done():
				t.Fatal("the handler's Read never returned")
			}
		})
	}
}
