package h2server

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// nodeExtendedConnect is a Node.js http2 client: it waits for the
// server's SETTINGS to enable extended CONNECT (RFC 8441, Section 3),
// opens {':method': 'CONNECT', ':protocol': 'websocket'} on /ws, sends
// ten messages one at a time, checks each echo, ends its side and waits
// for the server's END_STREAM. It prints "ok" or exits non-zero.
const nodeExtendedConnect = `
const http2 = require('http2');
const [url] = process.argv.slice(1);
const fail = (m) => { console.error(m); process.exit(1); };
setTimeout(() => fail('timeout'), 10000).unref();
const session = http2.connect(url, { rejectUnauthorized: false });
session.on('error', (e) => fail('session: ' + e));
session.once('remoteSettings', (s) => {
  if (!s.enableConnectProtocol) fail('enableConnectProtocol not set: ' + JSON.stringify(s));
  const u = new URL(url);
  const req = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': u.protocol.slice(0, -1),
    ':path': '/ws', ':authority': u.host, 'sec-websocket-version': '13' });
  req.on('error', (e) => fail('stream: ' + e));
  req.on('response', (h) => {
    if (h[':status'] !== 200) fail('status ' + h[':status']);
    let i = 0, got = '';
    const send = () => { req.write('message ' + i); };
    req.on('data', (d) => {
      got += d;
      const want = 'message ' + i;
      if (got.length < want.length) return;
      if (got !== want) fail('echo ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
      got = '';
      if (++i < 10) send(); else req.end();
    });
    req.on('end', () => { if (i !== 10) fail('ended after ' + i); console.log('ok'); session.close(); });
    send();
  });
});
`

// TestConnectNodeClient: interop with Node.js's http2 client, over TLS
// and h2c: extended CONNECT once remoteSettings.enableConnectProtocol,
// messages echoed through h2server, each side ending with END_STREAM
// (RFC 8441, Sections 3 to 5). Skipped without node unless
// H2KIT_REQUIRE_PEERS=1.
func TestConnectNodeClient(t *testing.T) {
	bin := testpeer.Path(t, "node")
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "websocket" || r.URL.Path != "/ws" {
			http.Error(w, "want an extended CONNECT to /ws", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		echoFlushed(t, w, r)
	})
	for _, tc := range []struct{ name, url string }{
		{"tls", "https://" + startTLS(t, echo, &Server{EnableConnectProtocol: true})},
		{"h2c", "http://" + startH2C(t, echo, &Server{EnableConnectProtocol: true})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-e", nodeExtendedConnect, tc.url)
			cmd.Env = append(os.Environ(), "NODE_TLS_REJECT_UNAUTHORIZED=0", "NODE_NO_WARNINGS=1")
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "ok" {
				t.Fatalf("node: %v\n%s", err, out)
			}
		})
	}
}
