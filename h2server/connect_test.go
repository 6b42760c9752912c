package h2server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Extended CONNECT (RFC 8441) as a handler sees it, tested with a client
// that writes and reads raw frames, so that it can also send what a
// well-behaved client would refuse to.

// wsRaw is a raw HTTP/2 client connection: frames out as the test writes
// them, frames in parsed (header blocks decoded).
type wsRaw struct {
	t      testing.TB
	nc     net.Conn
	enc    *hpack.Encoder
	dec    *hpack.Decoder
	parser frame.Parser
	in     []byte
	buf    []byte
	peer   map[frame.SettingID]uint32 // the server's SETTINGS
}

// dialWSRaw connects to addr (over TLS with ALPN h2 when tlsOn) and
// exchanges prefaces and SETTINGS.
func dialWSRaw(t testing.TB, addr string, tlsOn bool) *wsRaw {
	t.Helper()
	nc := dial(t, addr)
	if tlsOn {
		cfg := clientTLSConfig()
		cfg.ServerName = "localhost"
		tc := tls.Client(nc, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		tc.SetDeadline(time.Time{})
		nc = tc
	}
	c := &wsRaw{t: t, nc: nc, enc: hpack.NewEncoder(), dec: hpack.NewDecoder(4096), buf: make([]byte, 64<<10),
		peer: map[frame.SettingID]uint32{}}
	c.parser.MaxFrameSize = frame.DefaultMaxFrameSize
	t.Cleanup(func() { nc.Close() })
	var out []byte
	out = append(out, frame.ClientPreface...)
	out = (&frame.Settings{}).Append(out)
	c.write(out)
	for {
		f := c.read()
		if s, ok := f.(*frame.Settings); ok && !s.Ack {
			for _, e := range s.Settings {
				c.peer[e.ID] = e.Val
			}
			c.write((&frame.Settings{Ack: true}).Append(nil))
			return c
		}
	}
}

func (c *wsRaw) write(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// headers sends a header block on stream id.
func (c *wsRaw) headers(id uint32, end bool, kv ...string) {
	var fs []hpack.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, hpack.Field{Name: kv[i], Value: kv[i+1]})
	}
	c.write((&frame.Headers{StreamID: id, EndHeaders: true, EndStream: end, BlockFragment: c.enc.Encode(nil, fs)}).Append(nil))
}

func (c *wsRaw) data(id uint32, p string, end bool) {
	c.write((&frame.Data{StreamID: id, Data: []byte(p), EndStream: end}).Append(nil))
}

// read returns the next frame (a HEADERS frame's block decoded into
// c.fields); it fails the test after 10 s.
func (c *wsRaw) read() frame.Frame {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, n, err := c.parser.Parse(c.in)
		if err != nil {
			c.t.Fatalf("parse: %v", err)
		}
		if n > 0 {
			c.in = c.in[n:]
			return f // aliases c.in, which later reads only append to
		}
		k, err := c.nc.Read(c.buf)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		c.in = append(c.in, c.buf[:k]...)
	}
}

// next returns the next frame on stream id, skipping connection frames
// (acknowledging PINGs) and giving flow-control credit for DATA.
func (c *wsRaw) next(id uint32) (frame.Frame, []hpack.Field) {
	c.t.Helper()
	for {
		f := c.read()
		switch f := f.(type) {
		case *frame.Headers:
			if f.StreamID != id {
				continue
			}
			fs, err := c.dec.Decode(nil, f.BlockFragment)
			if err != nil {
				c.t.Fatal(err)
			}
			return f, fs
		case *frame.Data:
			if len(f.Data) > 0 {
				out := (&frame.WindowUpdate{StreamID: 0, Increment: uint32(len(f.Data))}).Append(nil)
				c.write(out)
			}
			if f.StreamID == id {
				return f, nil
			}
		case *frame.RSTStream:
			if f.StreamID == id {
				return f, nil
			}
		case *frame.Ping:
			if !f.Ack {
				c.write((&frame.Ping{Ack: true, Data: f.Data}).Append(nil))
			}
		case *frame.GoAway:
			c.t.Fatalf("GOAWAY %v %q", f.Code, f.DebugData)
		}
	}
}

// wantRST reads until stream id's RST_STREAM and checks its code.
func (c *wsRaw) wantRST(id uint32, code frame.ErrCode) {
	c.t.Helper()
	f, fs := c.next(id)
	r, ok := f.(*frame.RSTStream)
	if !ok || r.Code != code {
		c.t.Fatalf("stream %d: want RST_STREAM %v, got %T %+v %v", id, code, f, f, fs)
	}
}

// wsRequest is the extended CONNECT of RFC 8441, Section 5's example.
func wsRequest(scheme string) []string {
	return []string{":method", "CONNECT", ":protocol", "websocket", ":scheme", scheme, ":path", "/chat?room=1",
		":authority", "server.example.com", "sec-websocket-version", "13", "origin", "http://www.example.com"}
}

// TestConnectHandlerView: RFC 8441, Section 4 and 5, over TLS and h2c —
// with EnableConnectProtocol the server advertises the setting; the
// handler sees CONNECT, ":protocol" in r.Header, HTTP/2.0, the path and
// query from :path and the host from :authority; WriteHeader(200) and
// Flush send the response HEADERS without END_STREAM and without
// content-length before any DATA; the handler then echoes what it reads
// while the client keeps the stream open, and its return after the
// client's END_STREAM ends the server's side with END_STREAM.
func TestConnectHandlerView(t *testing.T) {
	for _, tlsOn := range []bool{true, false} {
		name := map[bool]string{true: "tls", false: "h2c"}[tlsOn]
		t.Run(name, func(t *testing.T) {
			type view struct{ method, protocol, proto, path, query, host, version string }
			seen := make(chan view, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- view{r.Method, r.Header.Get(":protocol"), r.Proto, r.URL.Path, r.URL.RawQuery, r.Host, r.Header.Get("Sec-Websocket-Version")}
				w.WriteHeader(http.StatusOK)
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Error(err)
					return
				}
				echoFlushed(t, w, r)
			})
			s := &Server{EnableConnectProtocol: true}
			var addr, scheme string
			if tlsOn {
				addr, scheme = startTLS(t, h, s), "https"
			} else {
				addr, scheme = startH2C(t, h, s), "http"
			}
			c := dialWSRaw(t, addr, tlsOn)
			if c.peer[frame.SettingEnableConnectProtocol] != 1 {
				t.Fatalf("server SETTINGS %v: no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1", c.peer)
			}
			c.headers(1, false, wsRequest(scheme)...)
			v := <-seen
			if v != (view{"CONNECT", "websocket", "HTTP/2.0", "/chat", "room=1", "server.example.com", "13"}) {
				t.Fatalf("handler saw %+v", v)
			}
			f, fs := c.next(1)
			hf, ok := f.(*frame.Headers)
			if !ok || hf.EndStream || field(fs, ":status") != "200" || field(fs, "content-length") != "" {
				t.Fatalf("first frame %T %+v %v", f, f, fs)
			}
			for i := range 3 {
				msg := strings.Repeat(string(rune('a'+i)), 10+i)
				c.data(1, msg, false)
				f, _ := c.next(1)
				if d, ok := f.(*frame.Data); !ok || string(d.Data) != msg || d.EndStream {
					t.Fatalf("echo %d: %T %+v", i, f, f)
				}
			}
			c.data(1, "", true)
			f, _ = c.next(1)
			if d, ok := f.(*frame.Data); !ok || !d.EndStream || len(d.Data) != 0 {
				t.Fatalf("after the client's END_STREAM: %T %+v", f, f)
			}
		})
	}
}

// TestConnectBadInput: RFC 8441, Section 3 and 4 — the requests a server
// must reset with PROTOCOL_ERROR (RFC 9113, Section 8.1.1) never reach
// the handler: :protocol without the setting advertised, :protocol on
// GET, an extended CONNECT without :path; the connection goes on.
func TestConnectBadInput(t *testing.T) {
	var calls sync.Map
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Store(r.Method+" "+r.URL.Path, true)
		io.WriteString(w, "ok")
	})
	without := func(kv []string, name string) []string {
		var out []string
		for i := 0; i < len(kv); i += 2 {
			if kv[i] != name {
				out = append(out, kv[i], kv[i+1])
			}
		}
		return out
	}
	get := []string{":method", "GET", ":scheme", "http", ":path", "/after", ":authority", "a"}
	for _, tc := range []struct {
		name    string
		enabled bool
		kv      []string
	}{
		{":protocol without the setting", false, wsRequest("http")},
		{":protocol on GET", true, append([]string{":method", "GET"}, wsRequest("http")[2:]...)},
		{"extended CONNECT without :path", true, without(wsRequest("http"), ":path")},
		{"extended CONNECT without :authority", true, without(wsRequest("http"), ":authority")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startH2C(t, h, &Server{EnableConnectProtocol: tc.enabled})
			c := dialWSRaw(t, addr, false)
			if _, ok := c.peer[frame.SettingEnableConnectProtocol]; ok != tc.enabled {
				t.Fatalf("server SETTINGS %v", c.peer)
			}
			c.headers(1, false, tc.kv...)
			c.wantRST(1, frame.ErrCodeProtocol)
			c.headers(3, true, get...)
			f, fs := c.next(3)
			if _, ok := f.(*frame.Headers); !ok || field(fs, ":status") != "200" {
				t.Fatalf("request after the reset: %T %v", f, fs)
			}
			if _, ok := calls.Load("CONNECT /chat"); ok {
				t.Fatal("the handler saw the malformed request")
			}
		})
	}
}

// TestConnectEnds: how an extended CONNECT stream ends (RFC 8441,
// Section 5). The client's RST_STREAM CANCEL (the abortive close) fails
// the handler's Read and cancels its context; a handler that returns
// while the client's side is open ends the server's side with
// END_STREAM and, the client sending on, RST_STREAM NO_ERROR once the
// drain gives up (RFC 9113, Section 8.1).
func TestConnectEnds(t *testing.T) {
	readErr := make(chan error, 1)
	ctxErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/return" {
			// Not flushed: the whole response is known when the handler
			// returns, and still a 2xx to CONNECT gets no content-length
			// (RFC 9110, Section 9.3.6), not even the handler's own.
			w.Header().Set("Content-Length", "1")
			io.WriteString(w, "bye")
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		_, err := io.ReadAll(r.Body)
		readErr <- err
		select {
		case <-r.Context().Done():
			ctxErr <- r.Context().Err()
		case <-time.After(5 * time.Second):
			ctxErr <- errors.New("context not cancelled")
		}
	})
	s := &Server{EnableConnectProtocol: true, drainTimeout: 200 * time.Millisecond}
	addr := startH2C(t, h, s)
	c := dialWSRaw(t, addr, false)

	c.headers(1, false, wsRequest("http")...)
	if f, _ := c.next(1); f.(*frame.Headers).EndStream {
		t.Fatal("END_STREAM on the 200")
	}
	c.data(1, "half a mess", false)
	c.write((&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel}).Append(nil))
	if err := <-readErr; err == nil || !strings.Contains(err.Error(), "CANCEL") {
		t.Fatalf("handler Read after CANCEL: %v", err)
	}
	if err := <-ctxErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context: %v", err)
	}

	kv := wsRequest("http")
	kv[7] = "/return"
	c.headers(3, false, kv...)
	f, fs := c.next(3)
	if h, ok := f.(*frame.Headers); !ok || h.EndStream || field(fs, ":status") != "200" || field(fs, "content-length") != "" {
		t.Fatalf("response %T %v", f, fs)
	}
	var body []byte
	for {
		f, _ := c.next(3)
		if d, ok := f.(*frame.Data); ok {
			body = append(body, d.Data...)
			if d.EndStream {
				break
			}
		}
	}
	if string(body) != "bye" {
		t.Fatalf("body %q", body)
	}
	// The client's side is still open: what it sends is discarded until
	// the drain times out, then RST_STREAM NO_ERROR.
	c.data(3, "still talking", false)
	c.wantRST(3, frame.ErrCodeNo)
}

// echoFlushed copies r's body to w as it arrives, flushing each piece at
// once (a CONNECT tunnel's echo), until the client ends its side; a read
// error other than io.EOF fails t.
func echoFlushed(t *testing.T, w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
			w.(http.Flusher).Flush()
		}
		if err != nil {
			if err != io.EOF {
				t.Errorf("handler read: %v", err)
			}
			return
		}
	}
}
