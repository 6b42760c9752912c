package h2server

import (
	"net/http"
	"sync"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// TestSmallResponseOneDataFrame: a handler that writes a small body and
// returns gets it sent as one DATA frame carrying END_STREAM, never the
// bytes first and an empty DATA frame with END_STREAM after them. The
// owner, on another core, used to take the bytes before the handler's
// return had marked the end; a pushed response made it likely, since its
// handler waits for the promising response's head and the owner, which
// has just released it, is running (nghttp -v showed it). Four
// connections, 100 requests each, every one with a push.
func TestSmallResponseOneDataFrame(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.(http.Pusher).Push("/pushed", nil)
		}
		w.Write(helloBody)
	})
	addr := startH2C(t, h, nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c := newLeanClient(t, addr)
			for i := range 100 {
				frames, bytes := c.getCountingData()
				if len(frames) != 2 {
					t.Errorf("request %d: DATA on %d streams, want 2 (the response and the push)", i, len(frames))
					return
				}
				for id, n := range frames {
					if n != 1 || bytes[id] != len(helloBody) {
						t.Errorf("request %d, stream %d: %d DATA frames, %d bytes; want 1 frame of %d", i, id, n, bytes[id], len(helloBody))
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// getCountingData is get, counting the DATA frames of the response and
// of the responses pushed with it, until all have ended.
func (c *leanClient) getCountingData() (frames, bytes map[uint32]int) {
	frames, bytes = map[uint32]int{}, map[uint32]int{}
	id, err := c.eng.SendRequest(c.fields, true)
	if err != nil {
		c.tb.Error(err)
		return
	}
	open := map[uint32]bool{id: true}
	for {
		if err := c.exchange(time.Now().Add(10 * time.Second)); err != nil {
			c.tb.Error(err)
			return
		}
		for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.PushPromiseReceived:
				open[e.PromisedStreamID] = true
			case *h2kit.ResponseReceived:
				if e.EndStream {
					delete(open, e.StreamID)
				}
			case *h2kit.DataReceived:
				c.eng.ConsumeData(e.StreamID, len(e.Data))
				frames[e.StreamID]++
				bytes[e.StreamID] += len(e.Data)
				if e.EndStream {
					delete(open, e.StreamID)
				}
			case *h2kit.StreamReset, *h2kit.ConnectionTerminated:
				c.tb.Errorf("stream %d: %T", id, ev)
				return
			}
		}
		if len(open) == 0 {
			return
		}
	}
}
