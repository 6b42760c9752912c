package h2server

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// headerOf is the http.Header a handler should see for the regular
// fields fs (one value each, as testpeer.BrowserFields has).
func headerOf(fs []hpack.Field) http.Header {
	h := http.Header{}
	for _, f := range fs {
		if !f.IsPseudo() {
			h.Add(f.Name, f.Value)
		}
	}
	return h
}

// TestRequestHeaderNotShared: the server shares the strings of a
// connection's requests that repeat the fields of the one before
// (httpcommon.RequestCache); a handler that changes its r.Header in
// place, every value, the slices and the map, must leave the next
// request with the same fields unchanged, and a request whose values
// changed (:path, referer, cookie) must see the new ones.
func TestRequestHeaderNotShared(t *testing.T) {
	var mu sync.Mutex
	var want http.Header
	var wantPath string
	var bad []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if !reflect.DeepEqual(r.Header, want) || r.URL.Path != wantPath {
			bad = append(bad, fmt.Sprintf("%s %v, want %s %v", r.URL.Path, r.Header, wantPath, want))
		}
		mu.Unlock()
		for k, vv := range r.Header {
			for i := range vv {
				vv[i] = "changed by the handler"
			}
			r.Header[k] = append(vv, "added")
		}
		r.Header.Del("Accept")
		r.Header.Set("X-Handler", "set")
		w.Write(helloBody)
	})
	addr := startH2C(t, h, nil)
	c := newLeanClient(t, addr, testpeer.BrowserFields()...)
	for i := range 40 {
		for j := range c.fields {
			f := &c.fields[j]
			switch {
			case f.Name == ":path" && i%3 == 0:
				f.Value = "/p/" + strconv.Itoa(i)
			case f.Name == "referer" && i%4 == 1:
				f.Value = "https://www.example.com/r/" + strconv.Itoa(i)
			case f.Name == "cookie" && i%7 == 2:
				f.Value = "session=" + strconv.Itoa(i) + "; theme=dark"
			}
		}
		mu.Lock()
		want = headerOf(c.fields)
		wantPath = c.fields[3].Value
		mu.Unlock()
		if n := c.get(); n != len(helloBody) {
			t.Fatalf("request %d: %d bytes", i, n)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d requests saw another header; first: %s", len(bad), bad[0])
	}
}

// TestRequestHeaderConcurrentHandlers: handlers of requests on one
// connection run at once, each changing its own header in place while
// the others read theirs (the race detector watches), all with the same
// fields, which the server decodes into shared strings.
func TestRequestHeaderConcurrentHandlers(t *testing.T) {
	fs := reqFields("GET", "x", "/", testpeer.BrowserFields()...)
	want := headerOf(fs)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !reflect.DeepEqual(r.Header, want) {
			http.Error(w, fmt.Sprint(r.Header), http.StatusInternalServerError)
			return
		}
		for _, vv := range r.Header {
			for i := range vv {
				vv[i] = "mine"
			}
		}
		io.WriteString(w, "ok")
	})
	addr := startH2C(t, h, nil)
	client := xnetH2C(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
				for _, f := range fs[4:] {
					req.Header.Add(f.Name, f.Value)
				}
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%d %s", resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// maxAllocsPerBrowserRequest is what a GET with shape D's browser fields
// costs the server in the steady state: the request's one allocation
// (with room for 18 header values; the strings are the connection's
// RequestCache's), the header map's four (its header, directory, table
// and slots) and the handler's Header().Set. Lower it when the server
// allocates less.
const maxAllocsPerBrowserRequest = 6

// TestAllocsPerBrowserRequest pins the server's allocations per request
// on a warmed connection for a browser's request head, sent again and
// again (HPACK-indexed).
func TestAllocsPerBrowserRequest(t *testing.T) {
	c := warmLeanClient(t, testpeer.BrowserFields()...)
	checkAllocsPerGet(t, c, maxAllocsPerBrowserRequest, "", nil)
	// The same with a :path that changes with every request, as a
	// browser's requests for a page's resources: the path is copied into
	// the request's allocation.
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = "/static/" + strconv.Itoa(i) + ".js"
	}
	k := 0
	checkAllocsPerGet(t, c, maxAllocsPerBrowserRequest, ", :path changing", func() {
		c.fields[3].Value = paths[k%len(paths)]
		k++
	})
}

// TestRequestCacheDroppedWhenIdle: a connection drops its RequestCache
// once a whole reqCacheIdle passed without a request, keeps it while
// requests keep coming, and decodes requests right after (with a new
// cache).
func TestRequestCacheDroppedWhenIdle(t *testing.T) {
	var want http.Header
	var mu sync.Mutex
	bad := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !reflect.DeepEqual(r.Header, want) {
			mu.Lock()
			bad++
			mu.Unlock()
		}
		w.Write(helloBody)
	})
	s := &Server{reqCacheIdle: 250 * time.Millisecond}
	addr := startH2C(t, h, s)
	c := newLeanClient(t, addr, testpeer.BrowserFields()...)
	want = headerOf(c.fields) // before the first request: no race
	// Requests one after the other for 1 s, through several periods
	// (each re-armed): the cache stays. Only a stall of the test's
	// client longer than a whole period could drop it.
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		c.get()
	}
	if n := s.reqCacheDrops.Load(); n != 0 {
		t.Fatalf("cache dropped %d times while requests kept coming", n)
	}
	// Quiet: dropped between 250 and 500 ms later.
	deadline := time.Now().Add(5 * time.Second)
	for s.reqCacheDrops.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("cache not dropped after 5 s without a request")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 3 {
		c.get()
	}
	mu.Lock()
	defer mu.Unlock()
	if bad > 0 {
		t.Errorf("%d requests saw a header other than the one sent", bad)
	}
}
