package h2server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
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

// TestAllocsPerRequest bounds the allocations of one GET, client engine
// included (the server's part is about a dozen: the Request, its Header,
// context, handler goroutine, ResponseWriter, response Header map, ...).
func TestAllocsPerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	body := []byte("hello")
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	fields := reqFields("GET", addr, "/")
	roundTrip := func() {
		id, err := c.eng.SendRequest(fields, true)
		if err != nil {
			t.Fatal(err)
		}
		c.flush()
		for done := false; !done; {
			n, err := c.nc.Read(c.in)
			if err != nil {
				t.Fatal(err)
			}
			c.eng.Receive(c.in[:n], time.Now())
			for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
				if d, ok := ev.(*h2kit.DataReceived); ok && d.StreamID == id {
					c.eng.ConsumeData(id, len(d.Data))
					done = done || d.EndStream
				}
			}
			c.flush()
		}
	}
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	for range 50 {
		roundTrip() // warm the pools
	}
	n := testing.AllocsPerRun(200, roundTrip)
	t.Logf("%.1f allocations per request (client engine and server)", n)
	if n > 20 {
		t.Errorf("%.1f allocations per request, want at most 20", n)
	}
}
