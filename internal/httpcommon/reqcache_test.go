package httpcommon

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// browserRequest is shape D's request head.
func browserRequest() []hpack.Field {
	return fields(append([]string{":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/"},
		testpeer.BrowserFields()...)...)
}

// volatile returns fields with every string copied into one buffer that
// the caller overwrites afterwards, as the HPACK decoder reuses its
// memory: a decoded request that still pointed into it would change.
func volatile(in []hpack.Field) ([]hpack.Field, func()) {
	n := 0
	for _, f := range in {
		n += len(f.Name) + len(f.Value)
	}
	buf := make([]byte, 0, n)
	out := make([]hpack.Field, len(in))
	str := func(s string) string {
		if s == "" {
			return ""
		}
		at := len(buf)
		buf = append(buf, s...)
		return unsafe.String(&buf[at], len(s))
	}
	for i, f := range in {
		out[i] = hpack.Field{Name: str(f.Name), Value: str(f.Value), Sensitive: f.Sensitive}
	}
	return out, func() {
		for i := range buf[:cap(buf)] {
			buf[i] = '#'
		}
	}
}

// checkCache checks a RequestCache's bookkeeping: each slot's count is
// the number of entries (and the joined cookie) whose strings are in its
// block, the summary is forgotten once the entries change (it would keep
// their old blocks alive), and the cache knows at most maxCachedFields
// positions.
func checkCache(t *testing.T, c *RequestCache) {
	t.Helper()
	var refs [reqSlots]int
	for i, e := range c.ents {
		if e.slot == 0 {
			if e != (cachedField{}) {
				t.Fatalf("entry %d: empty slot keeps %+v", i, e)
			}
			continue
		}
		refs[e.slot-1]++
	}
	if c.cookieSlot != 0 {
		refs[c.cookieSlot-1]++
	} else if c.cookie != "" {
		t.Fatalf("cookie %q without a slot", c.cookie)
	}
	for s := range refs {
		if refs[s] != int(c.refs[s]) {
			t.Fatalf("slot %d: %d references counted, %d found", s+1, c.refs[s], refs[s])
		}
	}
	if c.sum.n != 0 && c.sum.gen != c.gen {
		t.Fatalf("a summary of generation %d kept at %d", c.sum.gen, c.gen)
	}
	if len(c.ents) > maxCachedFields {
		t.Fatalf("%d positions cached", len(c.ents))
	}
}

// TestRequestCacheSameAsUncached decodes sequences of requests that
// change from one to the next the way clients' requests do (a value
// changed, a field added or removed, names reordered, cookie crumbs
// changed, split or merged, Sensitive fields, long values, more fields
// than the cache remembers) through one RequestCache, and checks each
// result against DecodeRequest's, after overwriting the input's memory,
// and the results of the earlier requests, which must not change. Most
// requests come with the identifier of their list of fields
// (DecodeRepeated), as from a decoder that recognizes a repeated block.
func TestRequestCacheSameAsUncached(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	base := browserRequest()
	mutate := func(in []hpack.Field) []hpack.Field {
		out := append([]hpack.Field(nil), in...)
		switch i := rng.IntN(len(out)); rng.IntN(16) {
		case 0, 1:
			out[i].Value = out[i].Value + strconv.Itoa(rng.IntN(3))
		case 2:
			out = append(out[:i], out[i+1:]...)
		case 3:
			f := hpack.Field{Name: "x-extra-" + strconv.Itoa(rng.IntN(4)), Value: "v" + strconv.Itoa(rng.IntN(3))}
			out = append(out[:i], append([]hpack.Field{f}, out[i:]...)...)
		case 4:
			j := rng.IntN(len(out))
			out[i], out[j] = out[j], out[i]
		case 5:
			out = append(out, hpack.Field{Name: "cookie", Value: "c" + strconv.Itoa(rng.IntN(3)) + "=1"})
		case 6:
			out[i].Sensitive = !out[i].Sensitive
		case 7:
			out[i].Value = strings.Repeat("L", rng.IntN(3)*5000)
		case 8:
			out = append(out, hpack.Field{Name: "cookie", Value: ""})
		case 9:
			for range 70 {
				out = append(out, hpack.Field{Name: "x-many", Value: strconv.Itoa(rng.IntN(2))})
			}
		case 10:
			out = append(out, hpack.Field{Name: "content-length", Value: strconv.Itoa(rng.IntN(2))},
				hpack.Field{Name: "host", Value: "h" + strconv.Itoa(rng.IntN(2))},
				hpack.Field{Name: "trailer", Value: "x-sum"})
		case 11:
			return append([]hpack.Field(nil), base...) // back to the start
		case 12:
			out = append(out, hpack.Field{Name: "accept", Value: "a" + strconv.Itoa(rng.IntN(2))},
				hpack.Field{Name: "x-dup", Value: "1"}, hpack.Field{Name: "x-dup", Value: "2"})
		case 13:
			for j := range out {
				if out[j].Name == ":authority" {
					out[j] = hpack.Field{Name: "host", Value: "h.example"}
					break
				}
			}
		case 14:
			out = append(out, hpack.Field{Name: "content-length", Value: []string{"1x", "2", "3"}[rng.IntN(3)]},
				hpack.Field{Name: "content-length", Value: "2"})
		case 15:
			out = append(out[:1], append([]hpack.Field{{Name: ":protocol", Value: "websocket"}}, out[1:]...)...)
		}
		if len(out) > 120 {
			out = out[:120]
		}
		return out
	}
	var c RequestCache
	type kept struct {
		r    Request
		want Request
	}
	var earlier []kept
	ids := make(map[string]uint64)
	in := base
	for step := range 3000 {
		if rng.IntN(3) > 0 { // repeats, as a browser's requests mostly are
			in = mutate(in)
		}
		want, wantErr := DecodeRequest(in)
		vin, scribble := volatile(in)
		scratch := Scratch{Vals: make([]string, 0, rng.IntN(8)), Strs: make([]byte, 0, rng.IntN(300))}
		// The identifier a decoder gives a header block it sees again
		// and again (DecodeRepeated): one per distinct list of fields,
		// given most of the time, as the decoder gives it only to the
		// blocks it keeps.
		var repeated uint64
		if rng.IntN(4) > 0 {
			key := fmt.Sprint(in)
			if ids[key] == 0 {
				ids[key] = uint64(len(ids) + 1)
			}
			repeated = ids[key]
		}
		got, err := c.DecodeRepeated(vin, scratch, repeated)
		scribble()
		if err != wantErr {
			t.Fatalf("step %d: err %v, want %v", step, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: fields %v\ngot  %+v\nwant %+v", step, in, got, want)
		}
		checkCache(t, &c)
		earlier = append(earlier, kept{got, want})
		if len(earlier) > 8 {
			earlier = earlier[1:]
		}
		for _, k := range earlier {
			if !reflect.DeepEqual(k.r, k.want) {
				t.Fatalf("step %d: an earlier request changed: %+v, want %+v", step, k.r, k.want)
			}
		}
	}
}

// TestRequestCacheHeaderOwned: a request's header, its map and its value
// slices, is its own: changing it, as a handler may, changes neither the
// cache nor the next request with the same fields.
func TestRequestCacheHeaderOwned(t *testing.T) {
	in := browserRequest()
	var c RequestCache
	first, err := c.Decode(in, Scratch{})
	if err != nil {
		t.Fatal(err)
	}
	for k, vv := range first.Header {
		vv[0] = "changed by the handler"
		first.Header[k] = append(vv, "added")
	}
	first.Header.Set("User-Agent", "replaced")
	first.Header.Add("X-New", "new")
	want, _ := DecodeRequest(in)
	second, err := c.Decode(in, Scratch{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(second, want) {
		t.Fatalf("second request\ngot  %+v\nwant %+v", second, want)
	}
}

// TestRequestCacheShares: a request with the fields of the one before
// gets the same strings (no copy, no allocation for them), a changed
// value alone is copied, and the changed value is the new one.
func TestRequestCacheShares(t *testing.T) {
	in := browserRequest()
	var c RequestCache
	a, _ := c.Decode(in, Scratch{})
	b, _ := c.Decode(in, Scratch{})
	for k := range a.Header {
		if unsafe.StringData(a.Header[k][0]) != unsafe.StringData(b.Header[k][0]) {
			t.Errorf("%s: copied again", k)
		}
	}
	if unsafe.StringData(a.Path) != unsafe.StringData(b.Path) {
		t.Errorf(":path copied again")
	}
	changed := append([]hpack.Field(nil), in...)
	for i := range changed {
		switch changed[i].Name {
		case ":path":
			changed[i].Value = "/next"
		case "referer":
			changed[i].Value = "https://www.example.com/"
		}
	}
	d, _ := c.Decode(changed, Scratch{})
	if d.Path != "/next" || d.Header.Get("Referer") != "https://www.example.com/" {
		t.Fatalf("changed values: %q %q", d.Path, d.Header.Get("Referer"))
	}
	if d.Header.Get("User-Agent") != a.Header.Get("User-Agent") ||
		unsafe.StringData(d.Header["User-Agent"][0]) != unsafe.StringData(a.Header["User-Agent"][0]) {
		t.Errorf("unchanged user-agent copied")
	}
	uncached := testing.AllocsPerRun(50, func() { DecodeRequest(in) })
	if n := testing.AllocsPerRun(50, func() { c.Decode(in, Scratch{}) }); n > uncached-1 {
		t.Errorf("%.0f allocations for a request like the last, %.0f uncached: want the block's fewer", n, uncached)
	}
}

// TestRequestCacheCookieCrumbs: cookie fields are joined into one value;
// the cache shares the joined value only when the request's cookie
// fields are, in order, exactly the crumbs it was joined from, not when
// they are crumbs of an earlier join still cached at their positions
// (here c1=1 at position 5, left from the first request, while the
// joined value is the second request's c2=1, of the same length).
func TestRequestCacheCookieCrumbs(t *testing.T) {
	head := []string{":method", "GET", ":scheme", "https", ":path", "/", "accept", "*/*"}
	reqs := [][]string{
		append(head[:8:8], "cookie", "c0=1", "cookie", "c1=1"),
		append(head[:8:8], "cookie", "c2=1"),
		append(head[:8:8], "x-pad", "p", "cookie", "c1=1"),
		append(head[:8:8], "cookie", "c2=1", "cookie", "c1=1"),
		append(head[:8:8], "cookie", "c2=1", "cookie", "c1=1"),
		append(head[:8:8], "cookie", "c2=1", "x-pad", "p"),
		append(head[:8:8], "cookie", "", "cookie", "c2=1"),
		append(head[:8:8], "cookie", "c2=1", "cookie", ""),
		append(head[:8:8], "cookie", "c2=1", "cookie", "", "cookie", "c3"),
	}
	var c RequestCache
	for i, kv := range reqs {
		in := fields(kv...)
		want, _ := DecodeRequest(in)
		got, err := c.Decode(in, Scratch{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("request %d: Cookie %q, want %q", i, got.Header["Cookie"], want.Header["Cookie"])
		}
		checkCache(t, &c)
	}
}

// withValue returns in with the value of the field name set to v.
func withValue(in []hpack.Field, name, v string) []hpack.Field {
	out := append([]hpack.Field(nil), in...)
	for i := range out {
		if out[i].Name == name {
			out[i].Value = v
		}
	}
	return out
}

// TestRequestCacheChanges: a field that changed once (a referer) is
// cached, so that the requests after it, all alike, are made from the
// cache as before the change; a field that changes with every request
// (:path) is copied into the scratch room, with no allocation of its
// own, once it has changed twice in a row.
func TestRequestCacheChanges(t *testing.T) {
	base := browserRequest()
	var c RequestCache
	scratch := Scratch{Vals: make([]string, 0, 20), Strs: make([]byte, 0, 160)}
	decode := func(in []hpack.Field) {
		t.Helper()
		want, _ := DecodeRequest(in)
		got, err := c.Decode(in, scratch)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v\nwant %+v", got, err, want)
		}
	}
	var warm RequestCache
	warm.Decode(base, scratch)
	same := testing.AllocsPerRun(20, func() { warm.Decode(base, scratch) })

	decode(base) // the connection's first request

	moved := withValue(base, "referer", "https://www.example.com/next.html")
	decode(moved)
	decode(moved)
	if hits := c.match(moved); hits != 1<<len(moved)-1 || c.sum.n != len(moved) || c.sum.gen != c.gen {
		t.Fatalf("after a referer changed once, the requests like it are not made from the cache (hits %b)", hits)
	}
	if n := testing.AllocsPerRun(20, func() { c.Decode(moved, scratch) }); n != same {
		t.Errorf("%.0f allocations a request after the change, %.0f before", n, same)
	}

	var paths [][]hpack.Field
	for k := range 30 {
		paths = append(paths, withValue(moved, ":path", "/p/"+strconv.Itoa(k)))
	}
	decode(paths[0])
	decode(paths[1])
	k := 1
	if n := testing.AllocsPerRun(20, func() { k++; c.Decode(paths[k], scratch) }); n != same {
		t.Errorf("%.0f allocations for a request whose :path changes every time, want %.0f", n, same)
	}
	decode(paths[k+1])
	decode(withValue(moved, ":path", "/"+strings.Repeat("long", 100))) // more than the scratch room
	decode(withValue(moved, ":path", ""))
	decode(paths[k+2])
}

// TestRequestCacheRepeatedPaths: a client's requests for one resource
// after another differ in :path alone, and each may come again with its
// block's identifier (DecodeRepeated); every one decodes to its own
// :path, whether its fields were compared or its identifier recognized.
// valuesIn reports whether a value of h is stored in room.
func valuesIn(h http.Header, room []string) bool {
	for _, vv := range h {
		for j := range room {
			if len(vv) > 0 && &vv[0] == &room[j] {
				return true
			}
		}
	}
	return false
}

func TestRequestCacheRepeatedPaths(t *testing.T) {
	base := browserRequest()
	withPath := func(p string) []hpack.Field {
		out := append([]hpack.Field(nil), base...)
		for i := range out {
			if out[i].Name == ":path" {
				out[i].Value = p
			}
		}
		return out
	}
	var c RequestCache
	var repeated []int // the steps Repeats announced
	for i, step := range []struct {
		path     string
		repeated uint64
	}{{"/", 1}, {"/", 1}, {"/", 1}, {"/a", 2}, {"/b", 3}, {"/b", 3}, {"/c", 0}, {"/b", 3}, {"/", 1}, {"/", 1}, {"/a", 2}, {"/a", 2}} {
		in := withPath(step.path)
		want, _ := DecodeRequest(in)
		room := Scratch{Vals: make([]string, 0, 4), Strs: make([]byte, 0, 64)}
		// A request Repeats announces needs room for its values alone.
		vals, noCond, repeats := c.Repeats(len(in), step.repeated)
		if repeats && !noCond {
			t.Fatalf("step %d: Repeats says the browser request may be conditional", i)
		}
		if repeats {
			room = Scratch{Vals: make([]string, 0, vals)}
			repeated = append(repeated, i)
		}
		got, err := c.DecodeRepeated(in, room, step.repeated)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d (%s, block %d, repeats %v): %v\ngot  %+v\nwant %+v", i, step.path, step.repeated, repeats, err, got, want)
		}
		if repeats && vals > 0 && !valuesIn(got.Header, room.Vals[:cap(room.Vals)]) {
			t.Fatalf("step %d: values not in the room Repeats asked for (%d)", i, vals)
		}
		checkCache(t, &c)
	}
	// The block of "/" (id 1), whose request the cache summarized, each
	// time it comes again: the requests in between, which differ from it
	// in :path alone, are made from that summary and leave it as it is.
	if want := []int{2, 8, 9}; !reflect.DeepEqual(repeated, want) {
		t.Fatalf("Repeats announced steps %v, want %v", repeated, want)
	}
}
