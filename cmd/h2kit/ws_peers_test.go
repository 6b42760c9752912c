package main

// WebSocket interop of `h2kit serve`'s /ws with real peers: Node.js's
// http2 client (testdata/ws_node_client.js, its own framing) over TLS and
// h2c, and headless Chromium loading the demo page over TLS, whose net
// log must show the WebSocket on the page's HTTP/2 session. Both skip
// when the peer is missing, unless H2KIT_REQUIRE_PEERS=1.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// nodeWSResult is the JSON line of testdata/ws_node_client.js.
type nodeWSResult struct {
	Settings *struct {
		EnableConnectProtocol bool `json:"enableConnectProtocol"`
	} `json:"settings"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Messages []string          `json:"messages"`
	Close    int               `json:"close"`
	Error    *string           `json:"error"`
}

// Node.js's http2 client against serve, TLS and h2c: it sees
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441, Section 3), opens the
// WebSocket with an extended CONNECT (Section 4) answered 200 without
// Sec-WebSocket-Accept (Section 5), sends a masked text frame and gets the
// carrier line and its echo unmasked (RFC 6455, Section 5.1), then the
// close handshake with 1000.
func TestWSPeerNode(t *testing.T) {
	node := testpeer.Path(t, "node")
	script, err := filepath.Abs(filepath.Join("testdata", "ws_node_client.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, security string
		serve          []string
	}{
		{"tls", "TLS", nil},
		{"h2c", "cleartext", []string{"--h2c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, tc.serve...)
			msg := "hello from node over " + tc.name
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, node, script, srv.url+"/ws", msg).CombinedOutput()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			var r nodeWSResult
			if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
				t.Fatalf("node's output: %v\n%s", err, out)
			}
			if r.Error != nil {
				t.Fatalf("node: %s\n%s", *r.Error, out)
			}
			if r.Settings == nil || !r.Settings.EnableConnectProtocol {
				t.Errorf("settings %+v: want enableConnectProtocol", r.Settings)
			}
			if r.Status != 200 {
				t.Errorf("status %d, want 200", r.Status)
			}
			for _, h := range []string{"sec-websocket-accept", "upgrade", "connection"} {
				if _, ok := r.Headers[h]; ok {
					t.Errorf("the 200 carries %s (RFC 8441, Section 5; RFC 9113, Section 8.2.2)", h)
				}
			}
			if len(r.Messages) != 2 || !wsCarrierLine.MatchString(r.Messages[0]) || !strings.HasSuffix(r.Messages[0], tc.security) || r.Messages[1] != msg {
				t.Errorf("messages %q, want the carrier line (%s) and %q", r.Messages, tc.security, msg)
			}
			if r.Close != 1000 {
				t.Errorf("close code %d, want 1000", r.Close)
			}
			srv.waitOutput(t, "method=CONNECT path=/ws status=200")
		})
	}
}

// netLog is the part of a Chromium net log (--log-net-log) the test reads.
type netLog struct {
	Constants struct {
		LogEventTypes map[string]int `json:"logEventTypes"`
	} `json:"constants"`
	Events []struct {
		Type   int `json:"type"`
		Source struct {
			ID int `json:"id"`
		} `json:"source"`
		Params json.RawMessage `json:"params"`
	} `json:"events"`
}

// readNetLog reads a net log; one cut short (Chromium ended before it
// wrote the end) is completed.
func readNetLog(t *testing.T, file string) *netLog {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var l netLog
	if err := json.Unmarshal(b, &l); err != nil {
		trimmed := strings.TrimRight(strings.TrimSpace(string(b)), ",")
		if err2 := json.Unmarshal([]byte(trimmed+"]}"), &l); err2 != nil {
			t.Fatalf("net log %s: %v (completed: %v)", file, err, err2)
		}
	}
	return &l
}

// h2HeaderEvent is an HTTP2_SESSION_SEND_HEADERS or _RECV_HEADERS event.
type h2HeaderEvent struct {
	session int
	stream  int
	headers []string
}

// headerEvents returns the events of the named type that carry header
// fields (HTTP/2 session events), in order.
func (l *netLog) headerEvents(t *testing.T, name string) []h2HeaderEvent {
	t.Helper()
	id, ok := l.Constants.LogEventTypes[name]
	if !ok {
		t.Fatalf("net log: no event type %s", name)
	}
	var out []h2HeaderEvent
	for _, e := range l.Events {
		if e.Type != id {
			continue
		}
		var p struct {
			Headers  []string `json:"headers"`
			StreamID int      `json:"stream_id"`
		}
		if err := json.Unmarshal(e.Params, &p); err != nil {
			t.Fatalf("net log %s: %v", name, err)
		}
		out = append(out, h2HeaderEvent{session: e.Source.ID, stream: p.StreamID, headers: p.Headers})
	}
	return out
}

// count returns how many events of the named type have params that
// contain all of the JSON fragments in want.
func (l *netLog) count(name string, want ...string) int {
	id, ok := l.Constants.LogEventTypes[name]
	if !ok {
		return 0
	}
	n := 0
	for _, e := range l.Events {
		if e.Type != id {
			continue
		}
		all := true
		for _, w := range want {
			all = all && bytes.Contains(e.Params, []byte(w))
		}
		if all {
			n++
		}
	}
	return n
}

func hasAll(fields []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, f := range fields {
			found = found || f == w
		}
		if !found {
			return false
		}
	}
	return true
}

// wsResultTag finds the #ws-result element of the dumped demo page, and
// attrValue an attribute in it.
var (
	wsResultTag = regexp.MustCompile(`<p id="ws-result"[^>]*>`)
	attrValue   = func(tag, name string) string {
		m := regexp.MustCompile(`\b` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		return m[1]
	}
)

// Headless Chromium loads the demo page over TLS (self-signed, so
// --ignore-certificate-errors) with #ws-selftest: demo/ws.js opens
// new WebSocket("wss://…/ws"), sends a message and marks the page when the
// echo is back. The page says "ok" and that an HTTP/2 stream carried it;
// the net log says how: the server's SETTINGS_ENABLE_CONNECT_PROTOCOL = 1,
// an extended CONNECT (:method CONNECT, :protocol websocket, :path /ws,
// RFC 8441 Section 4) sent on the HTTP/2 session that carried the page
// itself, answered 200 on that stream, and masked text frames out,
// unmasked ones in (RFC 6455, Section 5.1).
func TestWSPeerChromium(t *testing.T) {
	chromiumBin(t)
	srv := startServe(t)
	logFile := filepath.Join(t.TempDir(), "netlog.json")
	dom := renderChromium(t, srv.url+"/#ws-selftest", "--ignore-certificate-errors", "--log-net-log="+logFile)

	tag := wsResultTag.FindString(dom)
	if tag == "" {
		t.Fatalf("no #ws-result in the page:\n%s", dom)
	}
	if state := attrValue(tag, "data-ws"); state != "ok" {
		t.Fatalf("the page's self-test says %q, want ok:\n%s", state, dom)
	}
	carrierText := attrValue(tag, "data-carrier")
	carrier := wsCarrierLine.FindStringSubmatch(carrierText)
	if carrier == nil || carrier[1] != "TLS" {
		t.Fatalf("carrier %q: want HTTP/2 (RFC 8441) on a stream, TLS", carrierText)
	}
	streamOfPage, _ := strconv.Atoi(regexp.MustCompile(`stream (\d+)`).FindStringSubmatch(carrierText)[1])

	l := readNetLog(t, logFile)
	if l.count("HTTP2_SESSION_RECV_SETTING", `SETTINGS_ENABLE_CONNECT_PROTOCOL`, `"value":1`) == 0 {
		t.Error("net log: no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 received")
	}
	sent := l.headerEvents(t, "HTTP2_SESSION_SEND_HEADERS")
	pageSession, wsSession, wsStream := -1, -1, -1
	for _, e := range sent {
		switch {
		case hasAll(e.headers, ":method: GET", ":path: /"):
			pageSession = e.session
		case hasAll(e.headers, ":method: CONNECT", ":protocol: websocket", ":path: /ws", ":scheme: https"):
			wsSession, wsStream = e.session, e.stream
		}
	}
	if pageSession < 0 {
		t.Fatalf("net log: the page's GET / was not sent on an HTTP/2 session (%d HEADERS sent)", len(sent))
	}
	if wsSession < 0 {
		t.Fatalf("net log: no extended CONNECT with :protocol websocket sent on an HTTP/2 session")
	}
	if wsSession != pageSession {
		t.Errorf("net log: the WebSocket went on HTTP/2 session %d, the page on %d: want the page's connection", wsSession, pageSession)
	}
	if wsStream != streamOfPage {
		t.Errorf("net log: CONNECT on stream %d, the server says stream %d", wsStream, streamOfPage)
	}
	answered := false
	for _, e := range l.headerEvents(t, "HTTP2_SESSION_RECV_HEADERS") {
		if e.session == wsSession && e.stream == wsStream && hasAll(e.headers, ":status: 200") {
			answered = true
		}
	}
	if !answered {
		t.Errorf("net log: no 200 received on stream %d of session %d", wsStream, wsSession)
	}
	if n := l.count("WEBSOCKET_SENT_FRAME_HEADER", `"opcode":1`, `"masked":true`); n < 1 {
		t.Errorf("net log: %d masked text frames sent, want 1", n)
	}
	if n := l.count("WEBSOCKET_RECV_FRAME_HEADER", `"opcode":1`, `"masked":false`); n < 2 {
		t.Errorf("net log: %d text frames received, want 2 (the carrier line and the echo)", n)
	}
	if t.Failed() {
		fmt.Fprintf(os.Stderr, "page:\n%s\n", dom)
	}
}

// The same page from serve's HTTP/1.1-only origin (the demo's comparison
// origin, ALPN http/1.1): the browser has no HTTP/2 connection there, so
// its WebSocket is an HTTP/1.1 Upgrade on a connection of its own, and
// the page says so.
func TestWSPeerChromiumHTTP1(t *testing.T) {
	chromiumBin(t)
	srv := startServe(t)
	m := regexp.MustCompile(`HTTP/1\.1 only, for the demo page's comparison: (https://\S+)/`).FindStringSubmatch(srv.out.String())
	if m == nil {
		t.Skipf("serve printed no HTTP/1.1 origin:\n%s", srv.out)
	}
	logFile := filepath.Join(t.TempDir(), "netlog.json")
	dom := renderChromium(t, m[1]+"/#ws-selftest", "--ignore-certificate-errors", "--log-net-log="+logFile)
	tag := wsResultTag.FindString(dom)
	if state := attrValue(tag, "data-ws"); state != "ok" {
		t.Fatalf("the page's self-test says %q, want ok:\n%s", state, dom)
	}
	if carrier := attrValue(tag, "data-carrier"); carrier != "HTTP/1.1 Upgrade, TLS" {
		t.Errorf("carrier %q, want HTTP/1.1 Upgrade, TLS", carrier)
	}
	l := readNetLog(t, logFile)
	for _, e := range l.headerEvents(t, "HTTP2_SESSION_SEND_HEADERS") {
		if hasAll(e.headers, ":protocol: websocket") {
			t.Errorf("net log: an extended CONNECT went out over HTTP/2 from the HTTP/1.1-only origin")
		}
	}
	if n := l.count("WEBSOCKET_RECV_FRAME_HEADER", `"opcode":1`); n < 2 {
		t.Errorf("net log: %d text frames received, want 2", n)
	}
}
