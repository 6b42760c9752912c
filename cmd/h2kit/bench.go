package main

// This file holds the command line of `h2kit bench`: its flags, their
// checks, and the plan they turn into (targets and request header fields
// prepared once). The run itself is in bench_run.go, the per-connection
// engine loop in bench_worker.go, the figures in bench_stats.go.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

func init() {
	register(&command{name: "bench", summary: "load-test an HTTP/2 server (like h2load)", run: runBench})
}

const benchUsage = `usage: h2kit bench [-n N | -D DURATION] [-c CONNS] [-m STREAMS] [-H 'name: value']...
                   [-d FILE] [-u] [-k] [--json] URL...

Sends requests to URL over CONNS HTTP/2 connections, each with up to STREAMS
concurrent streams, and reports throughput and latency (like h2load). With -n,
N requests in all, shared evenly between the connections; with -D, as many as
fit in DURATION. Several URLs are requested in turn (round-robin); they must
share scheme, host and port.

http:// URLs use HTTP/2 with prior knowledge (or an HTTP/1.1 Upgrade with -u);
https:// URLs use TLS with ALPN "h2".

options:
  -n, --requests N          number of requests (default 1)
  -D, --duration DURATION   run for this long instead of -n: 10s, 1m, or plain seconds
  -c, --clients N           number of connections (default 1, at most 20000)
  -m, --max-concurrent-streams N
                            concurrent streams per connection (default 1, at
                            most 2^30); the server's
                            SETTINGS_MAX_CONCURRENT_STREAMS also applies
  -H, --header 'NAME: VALUE'
                            add a request header field, or replace a default one
                            (:method, :scheme, :authority, :path, user-agent);
                            repeatable
  -d, --data FILE           send FILE's content as the body of each request (POST)
  -u, --upgrade             http:// only: open each connection with an HTTP/1.1
                            Upgrade: h2c request (its first request)
  -k, --insecure            https:// only: skip certificate verification
  -w, --window-bits N       stream receive window: 2**N-1 bytes (default 30)
  -W, --connection-window-bits N
                            connection receive window: 2**N-1 bytes (default 30)
  -T, --timeout DURATION    give up on a connection silent for this long (default: never)
      --json                print the result as one JSON object
  -h, --help                print this help

Output: total time, requests per second (responses completed, whatever
their status, as h2load counts), bytes per second; requests
total/started/done/succeeded/failed/errored (succeeded: 2xx or 3xx response
completed; failed: completed with another status, or the stream was reset;
errored: lost to a connection error; the three add up to done); status code
classes; traffic; and min, max, mean, sd, p50, p90, p99 of the time for a
request (from sending it to the end of its response), of the connect time
(TCP and TLS handshakes) and of the time to first byte (from the start of
the connection to its first byte received). Count, min, max, mean and sd
are exact; past 2^20 requests the percentiles come from a uniform random
sample of 2^20 of them. A progress line is shown when standard output is a
terminal.

Exit status: 0 when no request errored, 1 when some did, 2 for a usage error.
`

// The bounds of bench's counts. -n has none but the int range: memory
// does not grow with it (see sampler). -c is bounded by what one machine
// can connect (every connection is a socket and a goroutine, and loopback
// runs out of ephemeral ports near 28000); -m by the stream ids of one
// connection (RFC 9113, Section 5.1.1: client ids are odd, below 2^31),
// and only the streams actually in flight at once cost memory.
const (
	maxBenchConns   = 20000
	maxBenchStreams = 1 << 30
)

// benchOptions is the parsed command line of h2kit bench.
type benchOptions struct {
	requests       int           // -n; 0 when -D is given
	duration       time.Duration // -D; 0 when -n applies
	conns          int           // -c
	streams        int           // -m
	headers        []hpack.Field // -H, names lowercased, in order
	dataFile       string        // -d
	upgrade        bool          // -u
	insecure       bool          // -k
	json           bool          // --json
	windowBits     int           // -w
	connWindowBits int           // -W
	timeout        time.Duration // -T; 0: none
	urls           []*url.URL
}

// headerList collects repeated -H flags.
type headerList struct{ fields *[]hpack.Field }

func (h headerList) String() string {
	if h.fields == nil {
		return ""
	}
	var parts []string
	for _, f := range *h.fields {
		parts = append(parts, f.Name+": "+f.Value)
	}
	return strings.Join(parts, ", ")
}

func (h headerList) Set(s string) error {
	f, err := parseHeaderFlag(s)
	if err != nil {
		return err
	}
	*h.fields = append(*h.fields, f)
	return nil
}

// durationFlag accepts a Go duration ("10s", "1m30s") or plain seconds
// ("10", "2.5"), as h2load's -D does.
type durationFlag struct{ d *time.Duration }

func (v durationFlag) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v durationFlag) Set(s string) error {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		*v.d = time.Duration(secs * float64(time.Second))
	} else if d, err := time.ParseDuration(s); err == nil {
		*v.d = d
	} else {
		return fmt.Errorf("invalid duration %q (want 10s, 1m, or seconds)", s)
	}
	if *v.d <= 0 {
		return fmt.Errorf("duration %q must be positive", s)
	}
	return nil
}

// parseHeaderFlag parses "name: value" (the name may be a pseudo-header
// field such as ":authority").
func parseHeaderFlag(s string) (hpack.Field, error) {
	start := 0
	if strings.HasPrefix(s, ":") {
		start = 1
	}
	i := strings.IndexByte(s[start:], ':')
	if i < 0 {
		return hpack.Field{}, fmt.Errorf("header %q: want 'name: value'", s)
	}
	name := strings.ToLower(strings.TrimSpace(s[:start+i]))
	value := strings.TrimSpace(s[start+i+1:])
	if name == "" || name == ":" {
		return hpack.Field{}, fmt.Errorf("header %q: empty name", s)
	}
	if strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n\x00") {
		return hpack.Field{}, fmt.Errorf("header %q: invalid character", s)
	}
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return hpack.Field{}, fmt.Errorf("header %q: connection-specific fields are not allowed in HTTP/2", s)
	case "te":
		if value != "trailers" {
			return hpack.Field{}, fmt.Errorf(`header %q: te may only be "trailers" in HTTP/2`, s)
		}
	case "content-length":
		return hpack.Field{}, fmt.Errorf("header %q: content-length is set from -d", s)
	case ":method", ":scheme", ":authority", ":path", "host":
	default:
		if name[0] == ':' {
			return hpack.Field{}, fmt.Errorf("header %q: unknown pseudo-header field", s)
		}
	}
	return hpack.Field{Name: name, Value: value}, nil
}

// parseBenchArgs parses the arguments of h2kit bench. Flags and URLs may
// be mixed. It returns flag.ErrHelp for -h.
func parseBenchArgs(args []string) (*benchOptions, error) {
	o := &benchOptions{}
	fs := newFlags("bench")
	intVar, boolVar := fs.integer, fs.boolean
	intVar(&o.requests, "n", "requests", 1)
	intVar(&o.conns, "c", "clients", 1)
	intVar(&o.streams, "m", "max-concurrent-streams", 1)
	intVar(&o.windowBits, "w", "window-bits", 30)
	intVar(&o.connWindowBits, "W", "connection-window-bits", 30)
	fs.value(durationFlag{&o.duration}, "D", "duration")
	fs.value(durationFlag{&o.timeout}, "T", "timeout")
	fs.value(headerList{&o.headers}, "H", "header")
	fs.str(&o.dataFile, "d", "data")
	boolVar(&o.upgrade, "u", "upgrade")
	boolVar(&o.insecure, "k", "insecure")
	boolVar(&o.json, "", "json")

	rawURLs, set, err := fs.parse(args)
	if err != nil {
		return nil, err
	}

	if len(rawURLs) == 0 {
		return nil, errors.New("no URL given")
	}
	if (set["n"] || set["requests"]) && o.duration > 0 {
		return nil, errors.New("-n and -D cannot be used together")
	}
	if o.duration > 0 {
		o.requests = 0
	} else if o.requests < 1 {
		return nil, fmt.Errorf("-n %d: the number of requests must be at least 1", o.requests)
	}
	if o.conns < 1 || o.conns > maxBenchConns {
		return nil, fmt.Errorf("-c %d: the number of connections must be 1 to %d", o.conns, maxBenchConns)
	}
	if o.requests > 0 && o.conns > o.requests {
		return nil, fmt.Errorf("-c %d is larger than -n %d: each connection needs a request", o.conns, o.requests)
	}
	if o.streams < 1 || o.streams > maxBenchStreams {
		return nil, fmt.Errorf("-m %d: the number of streams must be 1 to %d", o.streams, maxBenchStreams)
	}
	for _, b := range []struct {
		name string
		v    int
	}{{"-w", o.windowBits}, {"-W", o.connWindowBits}} {
		if b.v < 16 || b.v > 31 {
			return nil, fmt.Errorf("%s %d: want 16 to 31", b.name, b.v)
		}
	}
	for _, raw := range rawURLs {
		u, err := parseTargetURL(raw)
		if err != nil {
			return nil, err
		}
		if len(o.urls) > 0 {
			first := o.urls[0]
			if u.Scheme != first.Scheme || dialAddress(u) != dialAddress(first) {
				return nil, fmt.Errorf("%s: all URLs must share the scheme, host and port of %s", raw, first)
			}
		}
		o.urls = append(o.urls, u)
	}
	if o.upgrade && o.urls[0].Scheme != "http" {
		return nil, errors.New("-u (h2c Upgrade) needs an http:// URL")
	}
	return o, nil
}

// parseTargetURL parses an http:// or https:// URL with a host.
func parseTargetURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: the scheme must be http or https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q: user information is not supported", raw)
	}
	return u, nil
}

// dialAddress is host:port to connect to, with the scheme's default port.
func dialAddress(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// benchPlan is what every connection shares, prepared once: the address,
// the engine configuration and each URL's request.
type benchPlan struct {
	addr       string
	tls        bool
	serverName string
	insecure   bool
	upgrade    bool
	timeout    time.Duration
	config     h2kit.Config
	requests   []benchRequest // one per URL, used in turn
	body       []byte         // nil: requests have no body
	streams    int            // -m
	conns      int            // -c
}

// benchRequest is one URL's request.
type benchRequest struct {
	fields  []hpack.Field // header section, reused for every request
	isHead  bool
	upgrade []byte // the HTTP/1.1 Upgrade request (with -u), body included
}

// benchUserAgent is the default user-agent field value.
const benchUserAgent = "h2kit-bench"

// newBenchPlan prepares the plan for o, reading -d's file.
func newBenchPlan(o *benchOptions) (*benchPlan, error) {
	p := &benchPlan{
		addr:       dialAddress(o.urls[0]),
		tls:        o.urls[0].Scheme == "https",
		serverName: o.urls[0].Hostname(),
		insecure:   o.insecure,
		upgrade:    o.upgrade,
		timeout:    o.timeout,
		streams:    o.streams,
		conns:      o.conns,
	}
	if o.dataFile != "" {
		b, err := os.ReadFile(o.dataFile)
		if err != nil {
			return nil, fmt.Errorf("-d: %v", err)
		}
		p.body = b
		if p.body == nil {
			p.body = []byte{}
		}
	}
	p.config = h2kit.Config{
		Role: h2kit.Client,
		Settings: h2kit.Settings{
			DisablePush:       true,
			InitialWindowSize: 1<<o.windowBits - 1,
		},
		ConnectionWindow: 1<<o.connWindowBits - 1,
	}
	var settings string
	if o.upgrade {
		settings = h2kit.EncodeHTTP2Settings(p.config.Settings)
	}
	for _, u := range o.urls {
		r := benchRequest{fields: requestFields(u, o.headers, p.body)}
		r.isHead = fieldValue(r.fields, ":method") == "HEAD"
		if o.upgrade {
			r.upgrade = upgradeRequest(r.fields, settings, p.body)
		}
		p.requests = append(p.requests, r)
	}
	return p, nil
}

// requestFields builds the header section of a request for u: the
// pseudo-header fields, user-agent and content-length, with the -H fields
// replacing those of the same name ("host" replaces :authority) or added.
func requestFields(u *url.URL, extra []hpack.Field, body []byte) []hpack.Field {
	method := "GET"
	if body != nil {
		method = "POST"
	}
	path := u.RequestURI()
	if u.Opaque == "" && u.Path == "" {
		path = "/" + strings.TrimPrefix(path, "/")
	}
	fields := []hpack.Field{
		{Name: ":method", Value: method},
		{Name: ":scheme", Value: u.Scheme},
		{Name: ":authority", Value: u.Host},
		{Name: ":path", Value: path},
		{Name: "user-agent", Value: benchUserAgent},
	}
	if body != nil {
		fields = append(fields, hpack.Field{Name: "content-length", Value: strconv.Itoa(len(body))})
	}
	replaced := map[string]bool{}
	for _, f := range extra {
		name := f.Name
		if name == "host" {
			name = ":authority"
		}
		i := fieldIndex(fields, name)
		// Pseudo-header fields are always replaced; user-agent once.
		if i >= 0 && (name[0] == ':' || (i < 5 && !replaced[name])) {
			fields[i].Value = f.Value
			replaced[name] = true
			continue
		}
		fields = append(fields, hpack.Field{Name: name, Value: f.Value})
	}
	return fields
}

func fieldIndex(fields []hpack.Field, name string) int {
	for i := range fields {
		if fields[i].Name == name {
			return i
		}
	}
	return -1
}

func fieldValue(fields []hpack.Field, name string) string {
	if i := fieldIndex(fields, name); i >= 0 {
		return fields[i].Value
	}
	return ""
}

// upgradeRequest renders the request as HTTP/1.1 with Upgrade: h2c (RFC
// 7540, Section 3.2), body included.
func upgradeRequest(fields []hpack.Field, http2Settings string, body []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", fieldValue(fields, ":method"), fieldValue(fields, ":path"))
	fmt.Fprintf(&b, "Host: %s\r\n", fieldValue(fields, ":authority"))
	for _, f := range fields {
		if !f.IsPseudo() {
			fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
		}
	}
	b.WriteString("Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n")
	fmt.Fprintf(&b, "HTTP2-Settings: %s\r\n\r\n", http2Settings)
	return append([]byte(b.String()), body...)
}

// runBench is the bench command.
func runBench(args []string, stdout, stderr io.Writer) int {
	o, err := parseBenchArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, benchUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", err)
		fmt.Fprintln(stderr, `run "h2kit bench -h" for usage`)
		return exitUsage
	}
	plan, err := newBenchPlan(o)
	if err != nil {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", err)
		return exitUsage
	}
	var progress io.Writer
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		progress = f
	}
	res := runPlan(plan, o, progress)
	if o.json {
		err = res.writeJSON(stdout)
	} else {
		err = res.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", err)
		return exitFailure
	}
	for _, e := range res.errors {
		fmt.Fprintf(stderr, "h2kit bench: %s\n", e)
	}
	if res.errored > 0 {
		return exitFailure
	}
	return exitOK
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
