package main

// This file holds serve's server push: withPush, which pushes the assets
// of the --push rules (and the demo page's), and the push diary, a
// per-connection record of what was promised so that no resource is
// promised twice on one connection (as Apache's H2PushDiarySize does):
// a client that asks for the page again already holds its assets, and a
// second PUSH_PROMISE for them only makes it reset the pushed stream
// (RST_STREAM CANCEL).

import (
	"net/http"
	"sync"
)

// pushDiaryMax bounds the entries of one connection's diary. A connection
// whose diary is full gets no more pushes: pushing without recording
// could promise a resource twice. The rules name a fixed set of assets,
// so only a client that sends many different :authority values fills it.
const pushDiaryMax = 128

// pushState is what a diary knows of a promised resource.
type pushState uint8

const (
	pushPromised pushState = iota + 1 // promised; its request not yet served
	pushServed                        // promised, and its request served
)

// pushDiary records the resources promised on one connection, by
// authority and target. The zero value is ready to use; it is safe for
// concurrent use by the handlers of the connection's streams.
type pushDiary struct {
	mu      sync.Mutex
	entries map[string]pushState
}

// pushKey is the diary key of a push of target under authority.
func pushKey(authority, target string) string { return authority + " " + target }

// claim reserves key for a push. It returns false when key was promised
// on this connection already, or the diary is full.
func (d *pushDiary) claim(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.entries[key]; ok || len(d.entries) >= pushDiaryMax {
		return false
	}
	if d.entries == nil {
		d.entries = make(map[string]pushState)
	}
	d.entries[key] = pushPromised
	return true
}

// release forgets the claim of a push that was not promised (Push
// failed), so that a later request may push it.
func (d *pushDiary) release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entries[key] == pushPromised {
		delete(d.entries, key)
	}
}

// takePromised reports whether key was promised and its request not yet
// served, and marks it served: the request being served is the pushed
// one.
func (d *pushDiary) takePromised(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entries[key] != pushPromised {
		return false
	}
	d.entries[key] = pushServed
	return true
}

// len returns the number of entries.
func (d *pushDiary) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// pushMarker is a ResponseWriter that records that its response is a
// pushed one (logWriter does, for the access log).
type pushMarker interface{ markPushed() }

// withPush wraps h to push the assets of rules before answering a GET or
// HEAD request for their path, when the connection allows push (HTTP/2
// with SETTINGS_ENABLE_PUSH on; pushed requests cannot push).
//
// diaryOf returns the diary of the connection a request came on, from
// its RemoteAddr, or nil when the connection is not known (then every
// request of the path pushes its assets). With a diary, an asset is
// promised at most once per connection, and the pushed requests are
// recognised when they are served (they tell a pushMarker writer).
func withPush(h http.Handler, rules pushRules, diaryOf func(remote string) *pushDiary) http.Handler {
	if len(rules) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			h.ServeHTTP(w, r)
			return
		}
		// The diary is looked up (a lock on the table of connections)
		// only for a request that pushes or may be a pushed one: a
		// pushed request carries the header of PushOptions, none here,
		// where a client's request has some.
		assets := rules[r.URL.Path]
		var diary *pushDiary
		if diaryOf != nil && (len(assets) > 0 || len(r.Header) == 0) {
			diary = diaryOf(r.RemoteAddr)
		}
		if diary != nil && len(r.Header) == 0 && diary.takePromised(pushKey(r.Host, r.URL.RequestURI())) {
			if m, ok := w.(pushMarker); ok {
				m.markPushed()
			}
		}
		if len(assets) > 0 {
			if p, ok := w.(http.Pusher); ok {
				pushAssets(p, r.Host, assets, diary)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// pushAssets pushes assets with p, each once per connection when diary
// is not nil.
func pushAssets(p http.Pusher, authority string, assets []string, diary *pushDiary) {
	for _, a := range assets {
		key := pushKey(authority, a)
		if diary != nil && !diary.claim(key) {
			continue // promised on this connection already
		}
		if err := p.Push(a, nil); err != nil {
			if diary != nil {
				diary.release(key)
			}
			return // push disabled, or the connection is going away
		}
	}
}
