package h2client

import (
	"io"
	"net/http"
	"reflect"
	"testing"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// A server that answers with the same header block again and again
// (h2kit.ResponseReceived.Repeated) gets each response made from what
// the connection's decoder kept: every response has the whole header,
// its own (a caller changing one response's values, in place or by
// appending, leaves the next ones alone), its content-length, and a
// different block in between is decoded as it is.
func TestRepeatedResponseHeaders(t *testing.T) {
	same := []hpack.Field{{Name: ":status", Value: "200"}, {Name: "content-length", Value: "2"},
		{Name: "x-a", Value: "1"}, {Name: "set-cookie", Value: "c=1"}, {Name: "set-cookie", Value: "c=2"}, {Name: "server", Value: "raw"}}
	other := []hpack.Field{{Name: ":status", Value: "201"}, {Name: "x-b", Value: "2"}}
	s := startRawServer(t, h2kit.Config{}, func(c *rawConn, id uint32, fields []hpack.Field) {
		hdr := same
		for _, f := range fields {
			if f.Name == ":path" && f.Value == "/other" {
				hdr = other
			}
		}
		c.eng.SendHeaders(id, hdr, false)
		c.eng.SendData(id, []byte("ok"), true)
	})
	tr := newTransport(t)
	tr.AllowHTTP = true
	want := http.Header{"Content-Length": {"2"}, "X-A": {"1"}, "Set-Cookie": {"c=1", "c=2"}, "Server": {"raw"}}
	for i := range 12 {
		path := "/"
		if i == 7 {
			path = "/other"
		}
		resp, err := tr.RoundTrip(mustRequest(t, s.url()+path))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "ok" {
			t.Fatalf("request %d: body %q, %v", i, body, err)
		}
		if path == "/other" {
			if resp.StatusCode != 201 || !reflect.DeepEqual(resp.Header, http.Header{"X-B": {"2"}}) {
				t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
			}
			continue
		}
		if resp.StatusCode != 200 || resp.ContentLength != 2 || !reflect.DeepEqual(resp.Header, want) {
			t.Fatalf("request %d: %d %d %v, want 200 2 %v", i, resp.StatusCode, resp.ContentLength, resp.Header, want)
		}
		for k, v := range resp.Header {
			v[0] = "changed"
			resp.Header[k] = append(v, "more")
		}
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
