package main

// Unit tests of h2kit get: its command line, the HTML asset scan, the
// --push-dir file names, the -i/-D lines, the --stat table, the ordered
// outputs and the Upgrade sniffer of -v -u.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/hpack"
)

func TestParseGetArgs(t *testing.T) {
	dir := t.TempDir()
	dataFile := filepath.Join(dir, "body")
	if err := os.WriteFile(dataFile, []byte("file body\x00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const u = "https://example.org/x"
	tests := []struct {
		args  []string
		check func(*getOptions) string // "" when fine
		err   string                   // expected error substring
	}{
		{args: []string{u}, check: func(o *getOptions) string {
			if o.method != "GET" || o.multiply != 1 || o.windowSet || o.connWindowSet || o.hasData || len(o.urls) != 1 {
				return fmt.Sprintf("defaults %+v", o)
			}
			return ""
		}},
		{args: []string{"-w", "0", "-W", "30", u}, check: func(o *getOptions) string {
			if !o.windowSet || o.windowBits != 0 || !o.connWindowSet || o.connWindowBits != 30 {
				return fmt.Sprintf("windows %d/%v %d/%v", o.windowBits, o.windowSet, o.connWindowBits, o.connWindowSet)
			}
			return ""
		}},
		{args: []string{"-w16", "--connection-window-bits=20", u}, check: func(o *getOptions) string {
			if o.windowBits != 16 || o.connWindowBits != 20 {
				return fmt.Sprintf("windows %d %d", o.windowBits, o.connWindowBits)
			}
			return ""
		}},
		{args: []string{"-w", "31", u}, err: "want 0 to 30"},
		{args: []string{"-W", "-1", u}, err: "want 0 to 30"},
		{args: []string{"-w", "x", u}, err: "want 0 to 30"},
		{args: []string{"-H", "X-A:  one ", "-H", "x-a: two", "-H", ":authority: other.example", u}, check: func(o *getOptions) string {
			want := []hpack.Field{{Name: "x-a", Value: "one"}, {Name: "x-a", Value: "two"}, {Name: ":authority", Value: "other.example"}}
			if !slices.Equal(o.headers, want) {
				return fmt.Sprintf("headers %v", o.headers)
			}
			return ""
		}},
		{args: []string{"-H", "novalue", u}, err: "want 'name: value'"},
		{args: []string{"-H", "  : x", u}, err: "empty name"},
		{args: []string{"-H", "connection: close", u}, err: "connection-specific"},
		{args: []string{"-H", ":path: /y", u}, err: "takes it from the URL"},
		{args: []string{"-H", ":method: PUT", "-X", "GET", u}, err: "contradicts"},
		{args: []string{"-H", ":method: PUT", u}, check: func(o *getOptions) string {
			if o.method != "PUT" {
				return "method " + o.method
			}
			return ""
		}},
		{args: []string{"-d", "@" + dataFile, u}, check: func(o *getOptions) string {
			if !o.hasData || string(o.data) != "file body\x00\n" || o.method != "POST" {
				return fmt.Sprintf("data %q method %s", o.data, o.method)
			}
			return ""
		}},
		{args: []string{"-d", "", "-X", "PUT", u}, check: func(o *getOptions) string {
			if !o.hasData || len(o.data) != 0 || o.method != "PUT" {
				return fmt.Sprintf("data %q %v method %s", o.data, o.hasData, o.method)
			}
			return ""
		}},
		{args: []string{"-d", "@-", u}, check: func(o *getOptions) string {
			if string(o.data) != "from stdin" {
				return fmt.Sprintf("data %q", o.data)
			}
			return ""
		}},
		{args: []string{"-d", "@" + filepath.Join(dir, "missing"), u}, err: "no such file"},
		{args: []string{"-d", "@", u}, err: "missing file name"},
		{args: []string{"-X", "BAD METHOD", u}, err: "not a valid method"},
		{args: []string{"-nvai", u, "-m", "3", "http://b.example:8080/"}, check: func(o *getOptions) string {
			if !o.nullOut || !o.verbose || !o.assets || !o.include || o.multiply != 3 || len(o.urls) != 2 {
				return fmt.Sprintf("grouped flags %+v", o)
			}
			return ""
		}},
		{args: []string{"-kuo", "out.txt", u}, check: func(o *getOptions) string {
			if !o.insecure || !o.upgrade || o.output != "out.txt" {
				return fmt.Sprintf("grouped flags with value %+v", o)
			}
			return ""
		}},
		{args: []string{"-nz", u}, err: "option -nz is not defined"},
		{args: []string{"-m", "0", u}, err: "-m 0"},
		{args: []string{"-n", "-o", "f", u}, err: "-n discards"},
		{args: []string{"--cert", "c.pem", u}, err: "--cert and --key go together"},
		{args: []string{"--no-push", "--push-dir", "d", u}, err: "--no-push"},
		{args: []string{"-t", "0", u}, err: "must be positive"},
		{args: []string{"-t", "1.5", u}, check: func(o *getOptions) string {
			if o.timeout != 1500*time.Millisecond {
				return o.timeout.String()
			}
			return ""
		}},
		{args: []string{"--fail", "--stat", "-D", "h.txt", "--keylog", "k", "--cacert", "ca", u + "#frag"}, check: func(o *getOptions) string {
			if !o.fail || !o.stat || o.dumpHeader != "h.txt" || o.keyLog != "k" || o.caCert != "ca" || o.urls[0].String() != u {
				return fmt.Sprintf("%+v %s", o, o.urls[0])
			}
			return ""
		}},
		{args: []string{}, err: "no URL given"},
		{args: []string{"ftp://x/"}, err: "scheme must be http or https"},
		{args: []string{"http:///x"}, err: "no host"},
		{args: []string{"--", "-n"}, err: "scheme"},
	}
	for _, tt := range tests {
		o, err := parseGetArgs(tt.args, strings.NewReader("from stdin"))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if msg := tt.check(o); msg != "" {
			t.Errorf("%q: %s", tt.args, msg)
		}
	}
	if _, err := parseGetArgs([]string{"-h"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	var fe *fileError
	if _, err := parseGetArgs([]string{"-d", "@" + filepath.Join(dir, "missing"), u}, nil); !errors.As(err, &fe) {
		t.Errorf("-d @missing: %T %v, want a fileError (exit status 1)", err, err)
	}
}

func TestExpandShortFlags(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"-nv", "URL"}, []string{"-n", "-v", "URL"}},
		{[]string{"-nas", "URL"}, []string{"-n", "-a", "-s", "URL"}}, // nghttp's
		{[]string{"-nvr", "f.har"}, []string{"-n", "-v", "-r", "f.har"}},
		{[]string{"-sr.har"}, []string{"-s", "-r", ".har"}},
		{[]string{"-vm3"}, []string{"-v", "-m", "3"}},
		{[]string{"-vH", "a: b"}, []string{"-v", "-H", "a: b"}},
		{[]string{"-H", "-nv"}, []string{"-H", "-nv"}},             // a value, not flags
		{[]string{"--", "-nv"}, []string{"--", "-nv"}},             // after --
		{[]string{"-stat", "--fail"}, []string{"-stat", "--fail"}}, // long names
		{[]string{"-nq"}, []string{"-nq"}},                         // unknown letter: left to flag
		{[]string{"--nv"}, []string{"--nv"}},
		{[]string{"-d=x"}, []string{"-d=x"}},
	}
	for _, tt := range tests {
		if got := expandShortFlags(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("expandShortFlags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWindowSize(t *testing.T) {
	for bits, want := range map[int]uint32{0: 0, 1: 1, 16: 65535, 30: 1<<30 - 1} {
		if got := windowSize(bits); got != want {
			t.Errorf("windowSize(%d) = %d, want %d", bits, got, want)
		}
	}
}

func TestHTMLAssets(t *testing.T) {
	page := `<!DOCTYPE html>
<HTML><head>
<!-- <img src="/commented.png"> -->
<LINK REL="preload Stylesheet" HREF="css/a.css?v=1&amp;x=2#top">
<link rel=icon href=/icon.png>
<link rel="stylesheet" href="https://cdn.example/other.css">
<link rel='stylesheet' href='//example.org:8443/same.css'>
<script src="/app.js" defer></script>
<script>var s = "<img src='/in-script.png'>";</script>
<style>body { background: url("<img src=/in-style.png>") }</style>
<title><img src="/in-title.png"></title>
</head><body>
<img alt="a > b" src = "/logo.svg">
<img src=/logo.svg>
<img src="">
<img src="data:image/png;base64,AAAA">
<img src="http://example.org:8443/wrong-scheme.png">
<img src="page.html#self">
<a href="/not-an-asset.css">x</a>
<p>1 < 2 and <3</p>
<img src="rel/pic.png">
</body></html>`
	base, _ := url.Parse("https://example.org:8443/dir/page.html")
	var got []string
	for _, u := range htmlAssets([]byte(page), base) {
		got = append(got, u.String())
	}
	want := []string{
		"https://example.org:8443/dir/css/a.css?v=1&x=2",
		"https://example.org:8443/same.css",
		"https://example.org:8443/app.js",
		"https://example.org:8443/logo.svg",
		"https://example.org:8443/dir/rel/pic.png",
	}
	if !slices.Equal(got, want) {
		t.Errorf("assets:\n got %q\nwant %q", got, want)
	}

	// <base href> changes what relative references resolve against.
	page = `<base href="/static/"><img src="x.png"><base href="/ignored/"><script src="y.js"></script>`
	got = nil
	for _, u := range htmlAssets([]byte(page), base) {
		got = append(got, u.String())
	}
	want = []string{"https://example.org:8443/static/x.png", "https://example.org:8443/static/y.js"}
	if !slices.Equal(got, want) {
		t.Errorf("with <base>: got %q, want %q", got, want)
	}

	// The default port is the same origin as no port; truncated markup
	// ends the scan without a panic.
	base, _ = url.Parse("http://example.org/")
	for _, doc := range []string{`<img src="http://example.org:80/a.png">`, `<img src="/a.png`, `<img src='/a.png' `, `<!-- x`, `<script>`, `<`, `<img src=`} {
		got := htmlAssets([]byte(doc), base)
		if doc == `<img src="http://example.org:80/a.png">` && (len(got) != 1 || got[0].Path != "/a.png") {
			t.Errorf("%q: %v", doc, got)
		}
	}
}

func TestPushFileName(t *testing.T) {
	tests := map[string]string{
		"/style.css":                            "style.css",
		"/a/b/app.js":                           "app.js",
		"/":                                     "index.html",
		"":                                      "index.html",
		"/dir/":                                 "index.html",
		"/../../etc/passwd":                     "passwd",
		"/..":                                   "index.html",
		"/.hidden":                              "hidden",
		"/...":                                  "index.html",
		"/x/..%2f..%2fy":                        "_2f.._2fy",
		"/we ird;name?.png":                     "we_ird_name_.png",
		"/\x00\n":                               "index.html",
		"/caf\u00e9.txt":                        "caf_.txt",
		"/a\\b":                                 "a_b",
		"/" + strings.Repeat("x", 300) + ".css": strings.Repeat("x", 196) + ".css",
	}
	for in, want := range tests {
		got := pushFileName(in)
		if got != want {
			t.Errorf("pushFileName(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(got, "/\\") || strings.HasPrefix(got, ".") || got == "" {
			t.Errorf("pushFileName(%q) = %q: not a safe name", in, got)
		}
	}
	// "/x/..%2f..%2fy" arrives decoded as "/x/../../y" only if the server
	// decodes it; here it is the literal path.
	taken := map[string]bool{}
	var names []string
	for _, n := range []string{"a.css", "a.css", "a.css", "b", "b"} {
		names = append(names, uniqueName(n, taken))
	}
	if want := []string{"a.css", "a-2.css", "a-3.css", "b", "b-2"}; !slices.Equal(names, want) {
		t.Errorf("uniqueName: %q, want %q", names, want)
	}
}

func TestDumpHeaders(t *testing.T) {
	h := http.Header{"Content-Type": {"text/html"}, "X-Multi": {"1", "2"}, "Server": {"h2kit"}, "X-Evil": {"a\r\nforged: 1"}}
	tr := http.Header{"X-Body-Sha256": {"abc"}, "X-Declared": nil}
	got := string(appendHeaderLines(appendHeaderLines(nil, 200, h), 0, tr))
	want := ":status: 200\ncontent-type: text/html\nserver: h2kit\nx-evil: a??forged: 1\nx-multi: 1\nx-multi: 2\nx-body-sha256: abc\n"
	if got != want {
		t.Errorf("appendHeaderLines:\n got %q\nwant %q", got, want)
	}
	if got := string(appendHeaderLines(nil, 404, nil)); got != ":status: 404\n" {
		t.Errorf("no fields: %q", got)
	}
	wire := []hpack.Field{{Name: ":status", Value: "200"}, {Name: "zeta", Value: "1"}, {Name: "trailer", Value: "x-sum"}, {Name: "x-evil", Value: "a\r\nforged: 1"}}
	if got, want := string(appendWireBlock(nil, wire)), ":status: 200\nzeta: 1\ntrailer: x-sum\nx-evil: a??forged: 1\n"; got != want {
		t.Errorf("appendWireBlock:\n got %q\nwant %q", got, want)
	}
	if !hasValues(tr) || hasValues(http.Header{"X": nil}) {
		t.Error("hasValues")
	}
}

func TestWriteStat(t *testing.T) {
	ms := time.Millisecond
	rows := []statRow{
		{start: 80 * time.Microsecond, headers: 4 * ms, end: 5 * ms, status: 200, size: 3241, path: "/", stream: 1, origin: "https://h:8443"},
		{pushed: true, start: 2 * ms, headers: 3 * ms, end: 3500 * time.Microsecond, status: 200, size: 500, path: "/style.css", stream: 2, origin: "https://h:8443"},
		{start: 1 * ms, failed: true, path: "/gone\n", origin: "http://g:80"},
		{start: 1 * ms, headers: 2 * ms, end: 2500 * ms, status: 404, size: 5 << 20, path: "/big", stream: 131, origin: "http://g:80"},
	}
	var b bytes.Buffer
	if err := writeStat(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "***** Statistics *****\n") {
		t.Errorf("no title:\n%s", out)
	}
	_, table, ok := strings.Cut(out, "sorted by end\n\n")
	if !ok {
		t.Fatalf("no table:\n%s", out)
	}
	want := "" +
		"     start    headers        end   process code  size    id origin path\n" +
		"  *+2.00ms    +3.00ms    +3.50ms    1.50ms  200   500     2 https://h:8443 /style.css\n" +
		"     +80us    +4.00ms    +5.00ms    4.92ms  200  3.2K     1 https://h:8443 /\n" +
		"   +1.00ms    +2.00ms     +2.50s     2.50s  404  5.0M   131 http://g:80 /big\n" +
		"   +1.00ms          -          -         -    -     0     - http://g:80 ! /gone?\n"
	if table != want {
		t.Errorf("table:\n%s\nwant:\n%s", table, want)
	}
	for n, want := range map[int64]string{0: "0", 1023: "1023", 1024: "1.0K", 1803: "1.8K", 10 << 10: "10K", 3 << 30: "3.0G"} {
		if got := statSize(n); got != want {
			t.Errorf("statSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOutSeqOrder(t *testing.T) {
	var out bytes.Buffer
	q := newOutSeq(&out)
	a := q.add(nil)
	b := q.add(nil)
	c := q.add(nil)
	big := bytes.Repeat([]byte("y"), spoolMemory+100) // spooled to a file
	// Responses finish in reverse order; b's assets are added after it.
	var wg sync.WaitGroup
	c.Write([]byte("c1 "))
	b.Write(big)
	b1 := q.add(b)
	b2 := q.add(b1)
	wg.Go(func() { b2.Write([]byte("b2 ")); b2.Close() })
	wg.Go(func() { b1.Write([]byte("b1 ")); b1.Close() })
	wg.Wait()
	c.Write([]byte("c2 "))
	c.Close()
	b.Write([]byte(" b-end "))
	b.Close()
	if out.Len() != 0 {
		t.Fatalf("written before the first slot: %q", out.String())
	}
	a.Write([]byte("a "))
	if out.String() != "a " {
		t.Fatalf("the first slot does not write through: %q", out.String())
	}
	a.Close()
	want := "a " + string(big) + " b-end b1 b2 c1 c2 "
	if out.String() != want {
		t.Errorf("output %q..., want %q...", trunc(out.String()), trunc(want))
	}
	if err := q.Err(); err != nil {
		t.Error(err)
	}
	// A slot added when all are done writes through at once.
	d := q.add(nil)
	d.Write([]byte("d"))
	d.Close()
	if !strings.HasSuffix(out.String(), "c2 d") {
		t.Errorf("late slot: %q", trunc(out.String()))
	}
}

// trunc shortens s for an error message.
func trunc(s string) string {
	if len(s) > 60 {
		return s[:30] + "..." + s[len(s)-30:]
	}
	return s
}

func TestUpgradeSniffer(t *testing.T) {
	var out bytes.Buffer
	w := &syncWriter{w: &out}
	trace := newTraceOutput(w, time.Now())
	gate := &gateWriter{w: w}
	s := &upgradeSniffer{trace: trace, gate: gate, writing: true}
	gate.Write([]byte("held frame\n"))
	s.write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	s.write([]byte("Upgrade: h2c\r\n\r\nbody"))
	s.read([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching"))
	if strings.Contains(out.String(), "held frame") {
		t.Errorf("frames let through before the 101:\n%s", out.String())
	}
	s.read([]byte(" Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00\x12\x04"))
	s.read([]byte("more frames"))
	gate.Write([]byte("later frame\n"))
	got := out.String()
	for _, want := range []string{
		"] HTTP Upgrade request\nGET / HTTP/1.1\nHost: x\nUpgrade: h2c\n\n",
		"] HTTP Upgrade response\nHTTP/1.1 100 Continue\n\n",
		"] HTTP Upgrade response\nHTTP/1.1 101 Switching Protocols\nUpgrade: h2c\n\n",
		"] HTTP Upgrade success\nheld frame\nlater frame\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	// A TLS connection is left alone.
	out.Reset()
	gate = &gateWriter{w: w}
	s = &upgradeSniffer{trace: trace, gate: gate, writing: true}
	s.write([]byte{0x16, 3, 1})
	s.read([]byte("HTTP/1.1 101 x\r\n\r\n"))
	gate.Write([]byte("frame\n"))
	if out.String() != "frame\n" {
		t.Errorf("TLS: %q", out.String())
	}

	// A refused Upgrade says so.
	out.Reset()
	s = &upgradeSniffer{trace: trace, gate: &gateWriter{w: w}, writing: true}
	s.write([]byte("GET / HTTP/1.1\r\n\r\n"))
	s.read([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	if !strings.Contains(out.String(), "HTTP Upgrade failed") {
		t.Errorf("refused: %q", out.String())
	}
}
