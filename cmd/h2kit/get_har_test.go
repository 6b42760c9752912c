package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGetE2EHAR: -r writes a HAR 1.2 archive: the entries of the
// requests and of the pushes, each with the fields HAR 1.2 requires, the
// header fields as sent and received, the stream ids.
func TestGetE2EHAR(t *testing.T) {
	srv := startServe(t, "--h2c")
	file := filepath.Join(t.TempDir(), "run.har")
	code, _, errs := getCmd(t, "-n", "-r", file, srv.url+"/", srv.url+"/status/404?x=1&y=2")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var har map[string]any
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	log := obj(t, har, "log")
	if log["version"] != "1.2" || obj(t, log, "creator")["name"] != "h2kit get" {
		t.Errorf("log: version %v, creator %v", log["version"], log["creator"])
	}
	entries, _ := log["entries"].([]any)
	if len(entries) != 2+len(demoPush) {
		t.Fatalf("%d entries, want 2 requests and %d pushes", len(entries), len(demoPush))
	}
	var pushed, streams []int
	for i, x := range entries {
		e := x.(map[string]any)
		for _, k := range []string{"startedDateTime", "time", "request", "response", "cache", "timings"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry %d lacks %s", i, k)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, e["startedDateTime"].(string)); err != nil {
			t.Errorf("entry %d: startedDateTime: %v", i, err)
		}
		req, resp, tm := obj(t, e, "request"), obj(t, e, "response"), obj(t, e, "timings")
		for _, k := range []string{"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"} {
			if _, ok := req[k]; !ok {
				t.Errorf("entry %d: request lacks %s", i, k)
			}
		}
		for _, k := range []string{"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"} {
			if _, ok := resp[k]; !ok {
				t.Errorf("entry %d: response lacks %s", i, k)
			}
		}
		for _, k := range []string{"send", "wait", "receive"} {
			if v, ok := tm[k].(float64); !ok || v < 0 {
				t.Errorf("entry %d: timings.%s = %v", i, k, tm[k])
			}
		}
		if obj(t, resp, "content")["size"] != resp["bodySize"] {
			t.Errorf("entry %d: content.size %v, bodySize %v", i, obj(t, resp, "content")["size"], resp["bodySize"])
		}
		id := int(e["_streamId"].(float64))
		streams = append(streams, id)
		reqFields := fieldMap(req["headers"])
		if e["_pushed"] == true {
			pushed = append(pushed, id)
			if id%2 != 0 || !slices.Contains(demoPush, reqFields[":path"]) {
				t.Errorf("pushed entry: stream %d, promised :path %q", id, reqFields[":path"])
			}
			continue
		}
		respFields := fieldMap(resp["headers"])
		switch reqFields[":path"] {
		case "/":
			if id != 1 || resp["status"] != 200.0 || respFields[":status"] != "200" || respFields["etag"] == "" {
				t.Errorf("/: stream %d, status %v, fields %v", id, resp["status"], respFields)
			}
		case "/status/404?x=1&y=2":
			q, _ := json.Marshal(req["queryString"])
			if id != 3 || resp["status"] != 404.0 || resp["statusText"] != "Not Found" || string(q) != `[{"name":"x","value":"1"},{"name":"y","value":"2"}]` {
				t.Errorf("/status/404: stream %d, status %v %v, query %s", id, resp["status"], resp["statusText"], q)
			}
		default:
			t.Errorf("entry %d: request fields %v", i, reqFields)
		}
		if reqFields[":method"] != "GET" || reqFields[":scheme"] != "http" || reqFields["accept"] != "*/*" {
			t.Errorf("request fields as sent: %v", reqFields)
		}
	}
	slices.Sort(streams)
	if len(pushed) != len(demoPush) || len(slices.Compact(streams)) != len(entries) {
		t.Errorf("pushed streams %v, all streams %v", pushed, streams)
	}
}

// obj returns m[k] as an object.
func obj(t *testing.T, m map[string]any, k string) map[string]any {
	t.Helper()
	o, ok := m[k].(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", k, m[k])
	}
	return o
}

// fieldMap maps a HAR header list by name.
func fieldMap(v any) map[string]string {
	m := map[string]string{}
	list, _ := v.([]any)
	for _, x := range list {
		nv := x.(map[string]any)
		m[nv["name"].(string)] = nv["value"].(string)
	}
	return m
}

// TestGetE2EStatCombined: nghttp's combined short flags (-nas: -n -a
// -s) and the stream-id and origin columns of --stat.
func TestGetE2EStatCombined(t *testing.T) {
	srv := startServe(t, "--h2c")
	code, out, errs := getCmd(t, "-nas", srv.url+"/")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "  size    id origin path\n") {
		t.Fatalf("--stat header:\n%s", out)
	}
	if strings.Contains(out, "<!DOCTYPE") {
		t.Errorf("-n: the body was printed")
	}
	origin := regexp.QuoteMeta(srv.url)
	for _, want := range []string{
		`(?m)^ .* 200 .* +1 ` + origin + ` /$`,
		`(?m)^ +\*\+.* 200 .* +[2468] ` + origin + ` /style\.css$`,
		`(?m)^ .* 200 .* +\d*[13579] ` + origin + ` /timeline\.js$`, // -a: an asset not pushed
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("--stat lacks %s:\n%s", want, out)
		}
	}
	// -nv: -n -v.
	code, out, errs = getCmd(t, "-nv", srv.url+"/bytes/10")
	if code != 0 || out != "" || !strings.Contains(errs, "recv DATA frame <length=10") {
		t.Errorf("-nv: exit %d, stdout %q\n%s", code, out, errs)
	}
}

// TestGetE2EHexdump: --hexdump shows the bytes received, after TLS
// decryption: the server's SETTINGS frame header and the body.
func TestGetE2EHexdump(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		var args []string
		if !tlsOn {
			args = []string{"--h2c"}
		}
		srv := startServe(t, args...)
		code, out, errs := getCmd(t, "-k", "-v", "--hexdump", srv.url+"/bytes/16")
		if code != 0 || out != string(patternBytes[:16]) {
			t.Fatalf("tls=%v: exit %d, %q\n%s", tlsOn, code, out, errs)
		}
		// The first frame of a server is SETTINGS: type 4, flags 0, stream 0.
		if !regexp.MustCompile(`(?m)^00000000  00 00 [0-9a-f]{2} 04 00 00 00 00  00 `).MatchString(errs) {
			t.Errorf("tls=%v: no dump of the server's SETTINGS:\n%s", tlsOn, errs)
		}
		// The DATA frame's payload, among the bytes dumped.
		if !bytes.Contains(dumped(errs), patternBytes[:16]) || !strings.Contains(errs, "recv DATA frame <length=16") {
			t.Errorf("tls=%v: no dump of the body:\n%s", tlsOn, errs)
		}
		if tlsOn && !strings.Contains(errs, "The negotiated protocol: h2\n") {
			t.Errorf("-v lost the protocol line with --hexdump:\n%s", errs)
		}
	}
}

// dumped returns the bytes of the hexdump -C lines in s.
func dumped(s string) []byte {
	var b []byte
	for _, m := range regexp.MustCompile(`(?m)^[0-9a-f]{8}  (.{48}) `).FindAllStringSubmatch(s, -1) {
		h, _ := hex.DecodeString(strings.ReplaceAll(strings.ReplaceAll(m[1], " ", ""), "\n", ""))
		b = append(b, h...)
	}
	return b
}

// TestGetE2EExtpri: --extpri sends the RFC 9218 priority field;
// --extpri-update sends PRIORITY_UPDATE for a response in flight.
func TestGetE2EExtpri(t *testing.T) {
	srv := startServe(t, "--h2c")
	code, out, errs := getCmd(t, "--extpri", "i,u=1", srv.url+"/headers")
	if code != 0 || !regexp.MustCompile(`"name":\s*"priority",\s*"value":\s*"u=1, i"`).MatchString(out) {
		t.Errorf("--extpri: exit %d\n%s\n%s", code, out, errs)
	}
	// A 16 KiB window keeps the 1 MB body in flight when the header
	// section arrives.
	code, _, errs = getCmd(t, "-n", "-v", "-w", "14", "--extpri-update", "u=6", srv.url+"/bytes/1000000")
	if code != 0 || !strings.Contains(errs, "send PRIORITY_UPDATE frame <length=7, flags=0x00, stream_id=0>\n          (prioritized_stream_id=1, priority_field_value=[u=6])") {
		t.Errorf("--extpri-update: exit %d\n%.3000s", code, errs)
	}
	for _, bad := range []string{"u=8", "u=1,x", "", "u=1,u=2", "i=2"} {
		if code, _, errs := getCmd(t, "--extpri", bad, srv.url+"/"); code != 2 || !strings.Contains(errs, "--extpri") {
			t.Errorf("--extpri %q: exit %d, %s", bad, code, errs)
		}
	}
}

// TestGetFlagsDocumented: every flag of get is in its -h, and the flags
// of issue 14 are in the README.
func TestGetFlagsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range getFlags {
		line := "  -" + f.short + ", --" + f.long + " "
		if f.short == "" {
			line = "      --" + f.long + " "
		}
		if !strings.Contains(getUsage, line) && !strings.Contains(getUsage, strings.TrimSuffix(line, " ")+"\n") {
			t.Errorf("get -h lacks %q", line)
		}
	}
	for _, name := range []string{"-s", "-r", "--har", "--timeline", "--hexdump", "--extpri", "--extpri-update"} {
		if !regexp.MustCompile("[`\\[|] ?" + regexp.QuoteMeta(name) + "[` \\]=]").Match(readme) {
			t.Errorf("README lacks get's %s", name)
		}
	}
}
