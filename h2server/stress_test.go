package h2server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestStressCancel mixes complete exchanges with requests the client
// abandons at random points, on one connection, so streams are recycled
// while handlers, the owner and the dirty list all hold them.
func TestStressCancel(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}), nil)
	c := xnetH2C(t)
	payload := bytes.Repeat([]byte("s"), 200<<10)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%2 == 1 {
				time.AfterFunc(time.Duration(i%7)*time.Millisecond, cancel)
			}
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/", bytes.NewReader(payload))
			res, err := c.Do(req)
			if err != nil {
				if i%2 == 0 {
					t.Errorf("request %d: %v", i, err)
				}
				return
			}
			got, err := io.ReadAll(res.Body)
			res.Body.Close()
			if i%2 == 0 && (err != nil || !bytes.Equal(got, payload)) {
				t.Errorf("request %d: %d bytes, %v", i, len(got), err)
			}
		}()
	}
	wg.Wait()
	// The connection is still healthy.
	res, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
