package h2client

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/h2server"
)

// TestInOrderReadingOfManyResponses: a caller starts several large
// downloads on one connection and reads the bodies one after the other,
// only once every response has begun. With the default windows it must
// not wait forever: the connection window has to hold the stream windows
// of all the responses left unread (it was 1 MiB, four 256 KiB stream
// windows).
func TestInOrderReadingOfManyResponses(t *testing.T) {
	const n, size = 12, 1 << 20
	body := make([]byte, size)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	base := startH2Server(t, h, &h2server.Server{})
	tr := newTransport(t)
	tr.DisableAutoWindow = true      // the default stream windows, not grown ones
	getBody(t, client(tr), base+"/") // one connection, shared below

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resps := make([]*http.Response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/big", nil)
			resps[i], errs[i] = tr.RoundTrip(req)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("response %d: %v", i, errs[i])
		}
	}
	for i, resp := range resps {
		k, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || k != size {
			t.Fatalf("body %d: %d bytes, %v (want %d; a context deadline means the reads waited for a window)", i, k, err, size)
		}
	}
	if got := len(tr.getPool().connsFor(poolKey(base))); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
}
