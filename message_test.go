package h2kit

import (
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// HTTP message rules: RFC 9113, Section 8.1 (framing of messages), 8.2
// (fields), 8.3 (control data), 8.5 (CONNECT) and RFC 8441 (extended
// CONNECT). A malformed message is a stream error of type PROTOCOL_ERROR
// (Section 8.1.1); Config.DisableMessageRules switches the checks off.

// with returns a copy of base with kv appended.
func with(base []string, kv ...string) []string {
	return append(append([]string(nil), base...), kv...)
}

// malformedRequests are header sections a server must reject.
var malformedRequests = map[string][]string{
	"no :method":                   {":scheme", "https", ":authority", "a.example", ":path", "/"},
	"no :scheme":                   {":method", "GET", ":authority", "a.example", ":path", "/"},
	"no :path":                     {":method", "GET", ":scheme", "https", ":authority", "a.example"},
	"empty :path":                  {":method", "GET", ":scheme", "https", ":authority", "a.example", ":path", ""},
	"empty :method":                {":method", "", ":scheme", "https", ":path", "/"},
	"duplicate :method":            with(getReq, ":method", "GET"),
	"duplicate :scheme":            {":method", "GET", ":scheme", "https", ":scheme", "https", ":path", "/"},
	"duplicate :path":              {":method", "GET", ":scheme", "https", ":path", "/", ":path", "/"},
	"duplicate :authority":         {":method", "GET", ":scheme", "https", ":authority", "a", ":authority", "a", ":path", "/"},
	"unknown pseudo-header":        with(getReq, ":test", "ok"),
	"response pseudo-header":       with(getReq, ":status", "200"),
	"pseudo after regular":         {"x-test", "ok", ":method", "GET", ":scheme", "https", ":path", "/"},
	"pseudo after regular 2":       {":method", "GET", ":scheme", "https", "x-test", "ok", ":path", "/"},
	"uppercase name":               with(getReq, "X-TEST", "ok"),
	"name with a space":            with(getReq, "x test", "ok"),
	"name with a colon":            with(getReq, "x:test", "ok"),
	"empty name":                   with(getReq, "", "ok"),
	"value with CR LF":             with(getReq, "x-test", "a\r\nb"),
	"value with NUL":               with(getReq, "x-test", "a\x00b"),
	"value with LF":                with(getReq, "x-test", "a\nb"),
	"leading whitespace":           with(getReq, "x-test", " a"),
	"trailing tab":                 with(getReq, "x-test", "a\t"),
	"connection":                   with(getReq, "connection", "keep-alive"),
	"proxy-connection":             with(getReq, "proxy-connection", "keep-alive"),
	"keep-alive":                   with(getReq, "keep-alive", "timeout=5"),
	"transfer-encoding":            with(getReq, "transfer-encoding", "chunked"),
	"upgrade":                      with(getReq, "upgrade", "h2c"),
	"te other than trailers":       with(getReq, "te", "trailers, deflate"),
	"te gzip":                      with(getReq, "te", "gzip"),
	"content-length not a number":  with(getReq, "content-length", "1x"),
	"content-length negative":      with(getReq, "content-length", "-1"),
	"content-length twice":         with(getReq, "content-length", "1", "content-length", "2"),
	"relative :path":               {":method", "GET", ":scheme", "https", ":path", "index.html"},
	"asterisk :path with GET":      {":method", "GET", ":scheme", "https", ":path", "*"},
	"host differs from :authority": with(getReq, "host", "b.example"),
	"CONNECT with :scheme":         {":method", "CONNECT", ":scheme", "https", ":authority", "a.example:443"},
	"CONNECT with :path":           {":method", "CONNECT", ":authority", "a.example:443", ":path", "/"},
	"CONNECT without :authority":   {":method", "CONNECT"},
	":protocol not enabled":        {":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a", ":path", "/chat"},
}

// wellFormedRequests are header sections a server must accept.
var wellFormedRequests = map[string][]string{
	"GET":                       getReq,
	"te trailers":               with(getReq, "te", "trailers"),
	"host equal to :authority":  with(getReq, "host", "EXAMPLE.com"),
	"host without :authority":   {":method", "GET", ":scheme", "https", ":path", "/", "host", "a.example"},
	"OPTIONS *":                 {":method", "OPTIONS", ":scheme", "https", ":authority", "a", ":path", "*"},
	"CONNECT":                   {":method", "CONNECT", ":authority", "a.example:443"},
	"content-length 0":          with(getReq, "content-length", "0"),
	"content-length repeated":   with(getReq, "content-length", "0", "content-length", "0"),
	"non-http scheme":           {":method", "GET", ":scheme", "foo", ":path", "bar"},
	"value with inner spaces":   with(getReq, "x-test", "a  b"),
	"empty value":               with(getReq, "x-test", ""),
	"token characters in names": with(getReq, "x!#$%&'*+-.^_`|~09", "v"),
}

// Section 8.1.1, 8.2, 8.3.1: malformed requests are stream errors and
// never reach the application; with DisableMessageRules they do.
func TestMessageMalformedRequests(t *testing.T) {
	for name, kv := range malformedRequests {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.headers(1, true, kv...)
			p.wantRST(1, frame.ErrCodeProtocol)
			if ev := wantEvent[*StreamReset](p); ev.StreamID != 1 || ev.Initiator != Local {
				t.Fatalf("reset event %+v", ev)
			}
			p.wantNoEvent()
			if st := p.c.State(1); st != StateClosed {
				t.Fatalf("state %v", st)
			}
			// The connection goes on.
			p.get(3, "/")
			wantEvent[*RequestReceived](p)

			q := newPeer(t, Config{Role: Server, DisableMessageRules: true})
			q.headers(1, true, kv...)
			ev := wantEvent[*RequestReceived](q)
			if len(ev.Fields) != len(kv)/2 || !ev.EndStream {
				t.Fatalf("DisableMessageRules: %+v", ev)
			}
			q.wantNoFrame()
		})
	}
	for name, kv := range wellFormedRequests {
		t.Run("valid "+name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.headers(1, true, kv...)
			ev := wantEvent[*RequestReceived](p)
			if ev.StreamID != 1 || len(ev.Fields) != len(kv)/2 {
				t.Fatalf("request %+v", ev)
			}
			p.wantNoFrame()
		})
	}
}

// RFC 8441, Section 4: :protocol is allowed once
// SETTINGS_ENABLE_CONNECT_PROTOCOL is sent, with CONNECT only, and the
// request then carries :scheme and :path.
func TestExtendedConnectRFC8441(t *testing.T) {
	ws := []string{":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a", ":path", "/chat"}
	for _, tc := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"websocket", ws, true},
		{"with GET", with([]string{":method", "GET"}, ws[2:]...), false},
		{"without :path", ws[:8], false},
		{"empty :protocol", []string{":method", "CONNECT", ":protocol", "", ":scheme", "https", ":authority", "a", ":path", "/"}, false},
	} {
		p := newPeer(t, Config{Role: Server, Settings: Settings{EnableConnectProtocol: true}})
		p.headers(1, false, tc.kv...)
		if tc.ok {
			if ev := wantEvent[*RequestReceived](p); fieldValue(ev.Fields, ":protocol") != "websocket" {
				t.Errorf("%s: %+v", tc.name, ev)
			}
			continue
		}
		p.wantRST(1, frame.ErrCodeProtocol)
	}
}

// Section 8.1.1: the DATA of a message adds up to its content-length.
func TestMessageContentLength(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cl     string
		data   []string // DATA frames; the last one ends the stream unless trailers follow
		trail  bool
		failAt int // index of the DATA (or len(data) for the trailers) that fails; -1: none
	}{
		{"exact", "8", []string{"test", "test"}, false, -1},
		{"exact with trailers", "4", []string{"test"}, true, -1},
		{"more (h2spec)", "1", []string{"test"}, false, 0},
		{"more over frames", "6", []string{"test", "test"}, false, 1},
		{"more before the end", "1", []string{"test", ""}, false, 0},
		{"less", "8", []string{"test"}, false, 0},
		{"less at the trailers", "8", []string{"test"}, true, 1},
		{"zero with DATA", "0", []string{"x"}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.headers(1, false, with(postReq, "content-length", tc.cl)...)
			wantEvent[*RequestReceived](p)
			for i, d := range tc.data {
				end := i == len(tc.data)-1 && !tc.trail
				p.write(&frame.Data{StreamID: 1, EndStream: end, Data: []byte(d)})
				if i == tc.failAt {
					p.wantRST(1, frame.ErrCodeProtocol)
					return
				}
				if d != "" {
					wantEvent[*DataReceived](p)
				}
			}
			if tc.trail {
				p.headers(1, true, trailers...)
				if tc.failAt == len(tc.data) {
					p.wantRST(1, frame.ErrCodeProtocol)
					wantEvent[*StreamReset](p)
					return
				}
				wantEvent[*TrailersReceived](p)
			}
			p.wantNoFrame()
			if st := p.c.State(1); st != StateHalfClosedRemote {
				t.Fatalf("state %v", st)
			}
			// The same, unchecked.
			q := newPeer(t, Config{Role: Server, DisableMessageRules: true})
			q.headers(1, false, with(postReq, "content-length", "1")...)
			q.write(&frame.Data{StreamID: 1, EndStream: true, Data: []byte("test")})
			q.wantNoFrame()
			wantEvent[*RequestReceived](q)
			wantEvent[*DataReceived](q)
		})
	}
	t.Run("END_STREAM on HEADERS", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, true, with(postReq, "content-length", "4")...)
		p.wantRST(1, frame.ErrCodeProtocol)
		p.drainEvents()
		p.wantNoEvent()
	})
	t.Run("padding does not count", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, false, with(postReq, "content-length", "4")...)
		p.write(&frame.Data{StreamID: 1, EndStream: true, Padded: true, PadLength: 100, Data: []byte("test")})
		p.wantNoFrame()
		wantEvent[*RequestReceived](p)
		wantEvent[*DataReceived](p)
	})
}

// Section 8.1: trailers end the stream and carry no pseudo-header.
func TestMessageTrailers(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		end  bool
		ok   bool
	}{
		{"valid", trailers, true, true},
		{"without END_STREAM (h2spec 8.1)", trailers, false, false},
		{"pseudo-header", []string{":method", "POST"}, true, false},
		{"pseudo-header, no END_STREAM", []string{":method", "POST"}, false, false},
		{"uppercase", []string{"X-Trailer", "1"}, true, false},
		{"connection-specific", []string{"connection", "close"}, true, false},
	} {
		for _, role := range []Role{Server, Client} {
			t.Run(role.String()+"/"+tc.name, func(t *testing.T) {
				for _, off := range []bool{false, true} {
					p := newPeer(t, Config{Role: role, DisableMessageRules: off})
					id := uint32(1)
					if role == Server {
						p.headers(id, false, postReq...)
					} else {
						id = p.request(getReq, true)
						p.headers(id, false, resp200...)
					}
					p.write(&frame.Data{StreamID: id, Data: []byte("test")})
					p.drain()
					p.headers(id, tc.end, tc.kv...)
					if tc.ok || off {
						if ev := wantEvent[*TrailersReceived](p); len(ev.Fields) != len(tc.kv)/2 {
							t.Fatalf("rules off %v: %+v", off, ev)
						}
						p.wantNoFrame()
						continue
					}
					p.wantRST(id, frame.ErrCodeProtocol)
					// The application learns the message failed.
					if ev := wantEvent[*StreamReset](p); ev.StreamID != id || ev.Code != frame.ErrCodeProtocol {
						t.Fatalf("reset %+v", ev)
					}
				}
			})
		}
	}
}

// Section 8.3.2, 8.1: responses carry :status only; informational (1xx)
// responses come before the final one, never end the stream, and 101 is
// not one (Section 8.6).
func TestMessageResponses(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		end  bool
	}{
		{"no :status", []string{"x-a", "b"}, true},
		{"empty :status", []string{":status", ""}, true},
		{"two-digit :status", []string{":status", "20"}, true},
		{"four-digit :status", []string{":status", "2000"}, true},
		{"text :status", []string{":status", "abc"}, true},
		{"duplicate :status", []string{":status", "200", ":status", "200"}, true},
		{"request pseudo-header", []string{":status", "200", ":path", "/"}, true},
		{"pseudo after regular", []string{"x-a", "b", ":status", "200"}, true},
		{"uppercase", []string{":status", "200", "Content-Type", "text/plain"}, true},
		{"transfer-encoding", []string{":status", "200", "transfer-encoding", "chunked"}, true},
		// Each connection-specific field (Section 8.2.2), after fields of
		// other lengths that checkResponse's shortcut passes.
		{"connection", []string{":status", "200", "server", "x", "connection", "close"}, true},
		{"proxy-connection", []string{":status", "200", "content-type", "t/p", "proxy-connection", "close"}, true},
		{"keep-alive", []string{":status", "200", "keep-alive", "timeout=5"}, true},
		{"upgrade", []string{":status", "200", "upgrade", "websocket"}, true},
		{"te other than trailers", []string{":status", "200", "te", "gzip"}, true},
		{"content-length twice, different", []string{":status", "200", "content-length", "1", "last-modified", "x", "content-length", "2"}, true},
		{":status below 100", []string{":status", "099"}, true},
		{":status with a letter", []string{":status", "2a0"}, true},
		{"1xx with END_STREAM", []string{":status", "103"}, true},
		{"101", []string{":status", "101"}, false},
		{"content-length without a body", []string{":status", "200", "content-length", "3"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Client})
			id := p.request(getReq, true)
			p.headers(id, tc.end, tc.kv...)
			p.wantRST(id, frame.ErrCodeProtocol)
			if ev := wantEvent[*StreamReset](p); ev.StreamID != id || ev.Initiator != Local {
				t.Fatalf("reset %+v", ev)
			}
			p.wantNoEvent()
		})
	}
}

func TestMessageInformationalResponses(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id := p.request(postReq, false)
	p.headers(id, false, ":status", "100")
	p.headers(id, false, ":status", "103", "link", "</a.css>; rel=preload")
	if st := p.c.State(id); st != StateOpen {
		t.Fatalf("state after 1xx: %v", st)
	}
	// DATA before the final response is not allowed ...
	q := newPeer(t, Config{Role: Client})
	qid := q.request(getReq, true)
	q.headers(qid, false, ":status", "100")
	q.write(&frame.Data{StreamID: qid, Data: []byte("x")})
	q.wantRST(qid, frame.ErrCodeProtocol)
	// ... the final response is.
	p.headers(id, false, ":status", "200")
	p.write(&frame.Data{StreamID: id, EndStream: true, Data: []byte("ok")})
	for _, want := range []string{"100", "103"} {
		if ev := wantEvent[*InformationalResponseReceived](p); fieldValue(ev.Fields, ":status") != want {
			t.Fatalf("informational %+v", ev)
		}
	}
	if ev := wantEvent[*ResponseReceived](p); fieldValue(ev.Fields, ":status") != "200" || ev.EndStream {
		t.Fatalf("response %+v", ev)
	}
	if ev := wantEvent[*DataReceived](p); !ev.EndStream {
		t.Fatalf("data %+v", ev)
	}
	// A second final response is trailers without END_STREAM.
	r := newPeer(t, Config{Role: Client})
	rid := r.request(getReq, true)
	r.headers(rid, false, resp200...)
	r.headers(rid, false, resp200...)
	r.wantRST(rid, frame.ErrCodeProtocol)
}

// Without the message rules, responses are reported as they come.
func TestMessageResponsesWithoutRules(t *testing.T) {
	p := newPeer(t, Config{Role: Client, DisableMessageRules: true})
	id := p.request(getReq, true)
	p.write(&frame.Data{StreamID: id, Data: []byte("early")})
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "early" {
		t.Fatalf("data %+v", ev)
	}
	p.headers(id, false, ":status", "101")
	wantEvent[*InformationalResponseReceived](p)
	p.headers(id, true, ":status", "103", "X-Up", "1")
	if ev := wantEvent[*ResponseReceived](p); !ev.EndStream || fieldValue(ev.Fields, "X-Up") != "1" {
		t.Fatalf("response %+v", ev)
	}
	p.wantNoFrame()
	if st := p.c.State(id); st != StateClosed {
		t.Fatalf("state %v", st)
	}
	q := newPeer(t, Config{Role: Client, DisableMessageRules: true})
	qid := q.request(getReq, true)
	q.headers(qid, false, ":path", "/")
	wantEvent[*ResponseReceived](q)
	q.wantNoFrame()
}

// RFC 9110, Section 6.4.1 via Section 8.1.1: responses to HEAD, and 204
// and 304, have no content whatever content-length says.
func TestMessageResponsesWithoutContent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		status string
	}{
		{"HEAD", "HEAD", "200"},
		{"204", "GET", "204"},
		{"304", "GET", "304"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := []string{":method", tc.method, ":scheme", "https", ":authority", "a", ":path", "/"}
			p := newPeer(t, Config{Role: Client})
			id := p.request(req, true)
			p.headers(id, true, ":status", tc.status, "content-length", "100")
			if ev := wantEvent[*ResponseReceived](p); !ev.EndStream {
				t.Fatalf("response %+v", ev)
			}
			p.wantNoFrame()
			q := newPeer(t, Config{Role: Client})
			qid := q.request(req, true)
			q.headers(qid, false, ":status", tc.status)
			q.write(&frame.Data{StreamID: qid, EndStream: true, Data: []byte("body")})
			q.wantRST(qid, frame.ErrCodeProtocol)
		})
	}
}

// Section 8.4: a promised request is safe, cacheable and well formed.
func TestMessagePromisedRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"GET", pushReq, true},
		{"HEAD", []string{":method", "HEAD", ":scheme", "https", ":authority", "a", ":path", "/"}, true},
		{"POST", []string{":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/"}, false},
		{"no :path", []string{":method", "GET", ":scheme", "https", ":authority", "a"}, false},
		{"with content", with(pushReq, "content-length", "3"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Client})
			id := p.request(getReq, true)
			p.write(&frame.PushPromise{StreamID: id, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(tc.kv...)})
			if tc.ok {
				wantEvent[*PushPromiseReceived](p)
				p.wantNoFrame()
				return
			}
			p.wantRST(2, frame.ErrCodeProtocol)
			if st := p.c.State(id); st != StateHalfClosedLocal {
				t.Fatalf("associated stream %v", st)
			}
		})
	}
	s := newPeer(t, Config{Role: Server})
	s.get(1, "/")
	if _, err := s.c.PushPromise(1, fields(postReq...)); err == nil {
		t.Fatal("server promised a POST")
	}
}

// TestMalformedFieldByIndex: a malformed field the peer sends again by
// index, from the dynamic table, is malformed again (the decoder
// remembers the check's verdict per entry, failures too), and so is a
// field whose characters passed but whose name is forbidden; a block
// with only well-formed fields, all by index, is a request.
func TestMalformedFieldByIndex(t *testing.T) {
	for _, bad := range [][2]string{{"X-Upper", "v"}, {"x-space", " v"}, {"x-nul", "a\x00b"}, {"connection", "close"}} {
		p := newPeer(t, Config{Role: Server})
		kv := []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "x-fine", "ok"}
		n := p.enc.DynamicTableLen()
		for i, id := range []uint32{1, 3} {
			p.headers(id, true, append(kv, bad[0], bad[1])...)
			p.wantRST(id, frame.ErrCodeProtocol)
			if i == 0 && p.enc.DynamicTableLen() < n+2 {
				t.Fatalf("%q: the encoder did not index the fields", bad)
			}
		}
		p.drainEvents() // the resets
		p.headers(5, true, kv...)
		if r := wantEvent[*RequestReceived](p); r.StreamID != 5 {
			t.Fatalf("%q: request on %d", bad, r.StreamID)
		}
	}
}

// checkResponse skips checkRegular for names of lengths with no rule
// (mayHaveRule): every name checkRegular has a rule for must pass it.
func TestMayHaveRule(t *testing.T) {
	for _, name := range []string{"connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade", "te", "content-length", "priority", "host"} {
		if !mayHaveRule(name) {
			t.Errorf("mayHaveRule(%q) = false", name)
		}
	}
	for _, name := range []string{"server", "content-type", "x", strings.Repeat("x", 100)} {
		if mayHaveRule(name) {
			t.Errorf("mayHaveRule(%q) = true", name)
		}
	}
}

// parseStatus agrees with httpsyntax.ParseStatus.
func TestParseStatus(t *testing.T) {
	for _, v := range []string{"", "2", "20", "200", "2000", "099", "100", "999", "abc", "2a0", "20a", "/00", ":00", "1\x0000"} {
		if got, want := parseStatus(v), httpsyntax.ParseStatus(v); got != want {
			t.Errorf("parseStatus(%q) = %d, ParseStatus says %d", v, got, want)
		}
	}
	for a := 0; a < 256; a += 7 {
		for b := 0; b < 256; b += 5 {
			v := string([]byte{byte(a), byte(b), '0'})
			if got, want := parseStatus(v), httpsyntax.ParseStatus(v); got != want {
				t.Errorf("parseStatus(%q) = %d, ParseStatus says %d", v, got, want)
			}
		}
	}
}

// A response block the decoder gives again and again (hpack's Repeated)
// takes what checkResponse learnt from the first: the content-length it
// declared still holds the body to its length (Section 8.1.1), and a
// malformed block sent again and again is refused every time.
func TestMessageRepeatedResponses(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	for i := range 6 {
		id := p.request(getReq, true)
		p.headers(id, false, ":status", "200", "content-length", "3", "server", "x")
		if ev := wantEvent[*ResponseReceived](p); ev.StreamID != id {
			t.Fatalf("response %d: %+v", i, ev)
		}
		p.write(&frame.Data{StreamID: id, EndStream: true, Data: []byte("ab")})
		p.wantRST(id, frame.ErrCodeProtocol)
		wantEvent[*StreamReset](p)
	}
	if p.c.hb.kept.repeated == 0 {
		t.Fatal("no response was taken as repeated")
	}
	for i := range 6 {
		id := p.request(getReq, true)
		p.headers(id, true, ":status", "200", "connection", "close")
		p.wantRST(id, frame.ErrCodeProtocol)
		if ev := wantEvent[*StreamReset](p); ev.StreamID != id {
			t.Fatalf("malformed response %d: %+v", i, ev)
		}
	}
}

// A request block the decoder gives again and again (hpack's Repeated)
// takes what checkRequest learnt from the first, and the event says so
// (RequestReceived.Repeated; the test peer's encoder indexes the last of
// the fields in the third block, so the fourth is the first repeat): the
// content-length it declared still holds the body to its length and rules
// out END_STREAM on the block (Section 8.1.1), and a malformed block sent
// again and again is refused every time.
func TestMessageRepeatedRequests(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	post := []string{":method", "POST", ":scheme", "https", ":path", "/up", ":authority", "a.example", "content-length", "3"}
	id := uint32(1)
	var repeated uint64
	for i := range 6 {
		p.headers(id, false, post...)
		ev := wantEvent[*RequestReceived](p)
		if ev.StreamID != id || fieldValue(ev.Fields, "content-length") != "3" {
			t.Fatalf("request %d: %+v", i, ev)
		}
		if i >= 3 && (ev.Repeated == 0 || repeated != 0 && ev.Repeated != repeated) {
			t.Fatalf("request %d: Repeated %d, want the same nonzero value as before (%d)", i, ev.Repeated, repeated)
		}
		if i >= 3 {
			repeated = ev.Repeated
		}
		p.write(&frame.Data{StreamID: id, EndStream: true, Data: []byte("ab")})
		p.wantRST(id, frame.ErrCodeProtocol)
		wantEvent[*StreamReset](p)
		id += 2
	}
	if p.c.hb.kept.repeated != repeated {
		t.Fatalf("kept verdict for %d, want %d", p.c.hb.kept.repeated, repeated)
	}
	// The same block with END_STREAM: a declared body that cannot come.
	p.headers(id, true, post...)
	p.wantRST(id, frame.ErrCodeProtocol)
	wantEvent[*StreamReset](p)
	id += 2
	// Another request is not taken for the repeated one.
	p.headers(id, true, ":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a.example")
	if ev := wantEvent[*RequestReceived](p); ev.Repeated == repeated {
		t.Fatalf("a different request has the repeated one's Repeated: %+v", ev)
	}
	id += 2
	for i := range 6 {
		p.headers(id, true, ":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a.example", "connection", "close")
		p.wantRST(id, frame.ErrCodeProtocol)
		if ev := wantEvent[*StreamReset](p); ev.StreamID != id {
			t.Fatalf("malformed request %d: %+v", i, ev)
		}
		if st := p.c.State(id); st != StateClosed {
			t.Fatalf("malformed request %d: stream %v", i, st)
		}
		id += 2
	}
}
