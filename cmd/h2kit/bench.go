package main

// This file holds the command line of `h2kit bench`: its flags, their
// checks, and the plan they turn into (targets and request header fields
// prepared once, the TLS configuration, the request log). The run itself
// is in bench_run.go, the per-connection engine loop in bench_worker.go,
// the figures in bench_stats.go, the -i file and --log-file in
// bench_files.go.

import (
	"crypto/tls"
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

const benchUsage = `usage: h2kit bench [-n N | -D DURATION [--warm-up-time DURATION]]
                   [-c CONNS] [-r RATE [--rate-period DURATION]] [-m STREAMS]
                   [-H 'name: value']... [-d DATA | -d @FILE] [-X METHOD] [-u]
                   [-k] [--cacert FILE] [--keylog FILE] [-w BITS] [-W BITS]
                   [-t DURATION] [-T DURATION] [-i FILE] [--log-file FILE]
                   [-v] [--json] URL...

Sends requests to URL over CONNS HTTP/2 connections, each with up to STREAMS
concurrent streams, and reports throughput and latency (like h2load). With -n,
N requests in all, shared evenly between the connections; with -D, as many as
fit in DURATION. Several URLs (given on the command line, read from -i's file,
or both) are requested in turn (round-robin); they must share scheme, host and
port.

http:// URLs use HTTP/2 with prior knowledge (or an HTTP/1.1 Upgrade with -u);
https:// URLs use TLS with ALPN "h2".

options:
  -n, --requests N          number of requests (default 1)
  -D, --duration DURATION   run for this long instead of -n: 10s, 1m, or plain
                            seconds (as every DURATION below)
      --warm-up-time DURATION
                            with -D: send requests for DURATION first without
                            measuring them; the figures (counts, traffic,
                            request times, req/s) cover the -D that follows
  -c, --clients N           number of connections (default 1, at most 20000)
  -r, --rate N              open N connections per --rate-period, until -c
                            connections are open (default 0: all at once);
                            not with -D
      --rate-period DURATION
                            the period of -r (default 1s)
  -m, --max-concurrent-streams N
                            concurrent streams per connection (default 1, at
                            most 2^30); the server's
                            SETTINGS_MAX_CONCURRENT_STREAMS also applies
  -H, --header 'NAME: VALUE'
                            add a request header field, or replace a default one
                            (:method, :scheme, :authority, :path, user-agent);
                            repeatable
  -d, --data DATA           send DATA as the body of each request (POST unless
                            -X); -d @FILE sends FILE's content, -d @- standard
                            input (h2load's -d FILE is -d @FILE here)
  -X, --method METHOD       request method (default GET, POST with -d)
  -u, --upgrade             http:// only: open each connection with an HTTP/1.1
                            Upgrade: h2c request (its first request)
  -k, --insecure            https:// only: skip certificate verification
      --cacert FILE         https:// only: verify the server with the CA
                            certificates of FILE (PEM) instead of the system's
      --keylog FILE         https:// only: append the TLS secrets to FILE (NSS
                            key log format, for Wireshark); default:
                            $SSLKEYLOGFILE if set
  -w, --window-bits N       stream receive window: 2**N-1 bytes, 0 to 30
                            (default 30; 0 advertises 1 byte, the smallest
                            window SETTINGS can set here)
  -W, --connection-window-bits N
                            connection receive window: 2**N-1 bytes, 0 to 30
                            (default 30; at least 65535, the protocol's
                            initial window)
  -t, --timeout DURATION    give up on a request not done after DURATION, as
                            get -t (default: no limit): its stream is reset
                            (RST_STREAM CANCEL), and it counts as errored and
                            as timeout; the connection goes on. (h2load's -t
                            is a thread count: bench needs none, it runs a
                            goroutine per connection)
  -T, --connection-inactivity-timeout DURATION
                            give up on a connection silent for DURATION: it is
                            closed, its requests in flight count as errored
                            and as timeout, and its client stops (default:
                            never); also the limit of the TCP and TLS
                            handshakes (default 10s)
  -i, --input-file FILE     read URLs from FILE, one per line (blank lines
                            skipped; "-" is standard input), after those of
                            the command line; a line starting with "/" is a
                            path on the origin of the first URL. At most
                            100000 URLs
      --log-file FILE       write a line per request to FILE, as h2load does:
                            tab-separated start time (microseconds since the
                            epoch), status code (-1 for a request reset, timed
                            out or lost with its connection) and microseconds
                            until the end of the response; each connection
                            writes its lines in batches, so lines of different
                            connections may be out of order
  -v, --verbose             print every frame sent and received on standard
                            error, in the format of nghttp -v (with -c above 1,
                            each line starts with "[id=N] ", N the client)
      --json                print the result as one JSON object
  -h, --help                print this help

Output: total time, requests per second (responses completed, whatever
their status, as h2load counts), bytes per second; requests
total/started/done/succeeded/failed/errored/timeout (succeeded: 2xx or 3xx
response completed; failed: completed with another status, or the stream was
reset; errored: lost to a connection error or timed out; the three add up to
done; timeout: the errored ones lost to -t or -T); status code classes;
traffic; and min, max, mean, sd, p50, p90, p99 of the time for a request (from
sending it to the end of its response), of the connect time (TCP and TLS
handshakes) and of the time to first byte (from the start of the connection to
its first byte received). Count, min, max, mean and sd are exact; past 2^20
requests the percentiles come from a uniform random sample of 2^20 of them.
With --warm-up-time, connect and first-byte times include the connections
opened during the warm-up. A progress line is shown when standard output is a
terminal.

Exit status: 0 when no request errored, 1 when some did (timeouts included) or
a file named by an option cannot be used, 2 for a usage error.
`

// The bounds of bench's counts. -n has none but the int range: memory
// does not grow with it (see sampler). -c is bounded by what one machine
// can connect (every connection is a socket and a goroutine, and loopback
// runs out of ephemeral ports near 28000); -m by the stream ids of one
// connection (RFC 9113, Section 5.1.1: client ids are odd, below 2^31),
// and only the streams actually in flight at once cost memory. The URLs
// (each holds its prepared request) are bounded too, for -i.
const (
	maxBenchConns   = 20000
	maxBenchStreams = 1 << 30
	maxBenchURLs    = 100000
)

// benchOptions is the parsed command line of h2kit bench.
type benchOptions struct {
	requests       int           // -n; 0 when -D is given
	duration       time.Duration // -D; 0 when -n applies
	warmUp         time.Duration // --warm-up-time; 0: none
	conns          int           // -c
	rate           int           // -r; 0: every connection at once
	ratePeriod     time.Duration // --rate-period
	streams        int           // -m
	headers        []hpack.Field // -H, names lowercased, in order
	data           []byte        // -d; nil without it
	method         string        // -X, or GET (POST with -d)
	upgrade        bool          // -u
	tls            tlsOptions    // -k, --cacert, --keylog
	json           bool          // --json
	verbose        bool          // -v
	windowBits     int           // -w
	connWindowBits int           // -W
	reqTimeout     time.Duration // -t; 0: none
	connTimeout    time.Duration // -T; 0: none
	inputFile      string        // -i
	logFile        string        // --log-file
	urls           []*url.URL
	notes          []string // warnings for standard error before the run
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

// parseBenchArgs parses the arguments of h2kit bench, with standard input
// for -d @- and -i -.
func parseBenchArgs(args []string) (*benchOptions, error) {
	return parseBenchArgsIn(args, os.Stdin)
}

// parseBenchArgsIn parses the arguments of h2kit bench; flags and URLs may
// be mixed. stdin serves -d @- and -i -. It returns flag.ErrHelp for -h,
// and a *fileError when a file named by -d @FILE or -i cannot be read.
func parseBenchArgsIn(args []string, stdin io.Reader) (*benchOptions, error) {
	o := &benchOptions{ratePeriod: time.Second}
	var data string
	var windowSet, connWindowSet bool // unused: 30 is the default either way
	fs := newFlags("bench")
	intVar, boolVar, strVar := fs.integer, fs.boolean, fs.str
	intVar(&o.requests, "n", "requests", 1)
	intVar(&o.conns, "c", "clients", 1)
	intVar(&o.rate, "r", "rate", 0)
	intVar(&o.streams, "m", "max-concurrent-streams", 1)
	o.windowBits, o.connWindowBits = 30, 30
	fs.value(windowFlag{&o.windowBits, &windowSet}, "w", "window-bits")
	fs.value(windowFlag{&o.connWindowBits, &connWindowSet}, "W", "connection-window-bits")
	fs.value(durationFlag{&o.duration}, "D", "duration")
	fs.value(durationFlag{&o.warmUp}, "", "warm-up-time")
	fs.value(durationFlag{&o.ratePeriod}, "", "rate-period")
	fs.value(durationFlag{&o.reqTimeout}, "t", "timeout")
	fs.value(durationFlag{&o.connTimeout}, "T", "connection-inactivity-timeout")
	fs.value(headerList{&o.headers}, "H", "header")
	strVar(&data, "d", "data")
	strVar(&o.method, "X", "method")
	boolVar(&o.upgrade, "u", "upgrade")
	boolVar(&o.tls.insecure, "k", "insecure")
	strVar(&o.tls.caCert, "", "cacert")
	strVar(&o.tls.keyLog, "", "keylog")
	strVar(&o.inputFile, "i", "input-file")
	strVar(&o.logFile, "", "log-file")
	boolVar(&o.verbose, "v", "verbose")
	boolVar(&o.json, "", "json")

	rawURLs, set, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	given := func(short, long string) bool { return set[short] || set[long] }

	if len(rawURLs) == 0 && o.inputFile == "" {
		return nil, errors.New("no URL given")
	}
	if given("n", "requests") && o.duration > 0 {
		return nil, errors.New("-n and -D cannot be used together")
	}
	if o.duration > 0 {
		o.requests = 0
	} else if o.requests < 1 {
		return nil, fmt.Errorf("-n %d: the number of requests must be at least 1", o.requests)
	}
	if o.warmUp > 0 && o.duration == 0 {
		return nil, errors.New("--warm-up-time needs -D: it comes before the measured duration")
	}
	if o.conns < 1 || o.conns > maxBenchConns {
		return nil, fmt.Errorf("-c %d: the number of connections must be 1 to %d", o.conns, maxBenchConns)
	}
	if o.requests > 0 && o.conns > o.requests {
		return nil, fmt.Errorf("-c %d is larger than -n %d: each connection needs a request", o.conns, o.requests)
	}
	if o.rate < 0 || o.rate > maxBenchConns {
		return nil, fmt.Errorf("-r %d: the rate must be 0 to %d connections per period", o.rate, maxBenchConns)
	}
	if o.rate > 0 && o.duration > 0 {
		return nil, errors.New("-r and -D cannot be used together (as in h2load)")
	}
	if given("", "rate-period") && o.rate == 0 {
		return nil, errors.New("--rate-period is the period of -r: give -r too")
	}
	if o.streams < 1 || o.streams > maxBenchStreams {
		return nil, fmt.Errorf("-m %d: the number of streams must be 1 to %d", o.streams, maxBenchStreams)
	}
	if given("X", "method") && !validToken(o.method) {
		return nil, fmt.Errorf("-X %q: not a valid method", o.method)
	}
	for _, f := range o.headers {
		if f.Name == ":method" && o.method != "" && f.Value != o.method {
			return nil, fmt.Errorf("-H ':method: %s' contradicts -X %s", f.Value, o.method)
		}
	}
	if given("d", "data") && data == "@-" && o.inputFile == "-" {
		return nil, errors.New("-d @- and -i - cannot both read standard input")
	}
	if o.windowBits == 0 {
		o.notes = append(o.notes, "-w 0: a zero stream window cannot be advertised; using 1")
	}

	for _, raw := range rawURLs {
		if err := o.addURL(raw, raw); err != nil {
			return nil, err
		}
	}
	if o.inputFile != "" {
		if err := o.readInputFile(stdin); err != nil {
			return nil, err
		}
		if len(o.urls) == 0 {
			return nil, fmt.Errorf("-i %s: no URL in the file", o.inputFile)
		}
	}
	if o.upgrade && o.urls[0].Scheme != "http" {
		return nil, errors.New("-u (h2c Upgrade) needs an http:// URL")
	}

	if given("d", "data") {
		if o.data, err = readData(data, stdin); err != nil {
			return nil, err
		}
		if o.data == nil {
			o.data = []byte{} // an empty body is still a body (POST)
		}
		if !strings.HasPrefix(data, "@") {
			if fi, err := os.Stat(data); err == nil && fi.Mode().IsRegular() {
				o.notes = append(o.notes, fmt.Sprintf("-d %s sends the text %q as the body; to send the file's content, use -d @%s", data, data, data))
			}
		}
	}
	if o.method == "" {
		o.method = "GET"
		if o.data != nil {
			o.method = "POST"
		}
	}
	return o, nil
}

// addURL parses raw, a URL from the command line or the -i file (where
// is how errors name it), and adds it to o.urls: all must share scheme,
// host and port. A path ("/x") is taken relative to the first URL.
func (o *benchOptions) addURL(raw, where string) error {
	if len(o.urls) >= maxBenchURLs {
		return fmt.Errorf("%s: more than %d URLs", where, maxBenchURLs)
	}
	var u *url.URL
	var err error
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		if len(o.urls) == 0 {
			return fmt.Errorf("%s: a path needs a full URL before it", where)
		}
		if u, err = o.urls[0].Parse(raw); err != nil {
			return fmt.Errorf("%s: invalid path %q: %v", where, raw, err)
		}
	} else if u, err = parseTargetURL(raw); err != nil {
		if where != raw {
			return fmt.Errorf("%s: %v", where, err)
		}
		return err
	}
	u.Fragment, u.RawFragment = "", "" // never sent
	if len(o.urls) > 0 {
		first := o.urls[0]
		if u.Scheme != first.Scheme || dialAddress(u) != dialAddress(first) {
			return fmt.Errorf("%s: all URLs must share the scheme, host and port of %s", where, first)
		}
	}
	o.urls = append(o.urls, u)
	return nil
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
// the engine and TLS configurations, each URL's request, the request log
// and the frame trace.
type benchPlan struct {
	addr        string
	tls         bool
	upgrade     bool
	connTimeout time.Duration // -T
	reqTimeout  time.Duration // -t
	config      h2kit.Config
	tlsConfig   *tls.Config    // https only
	requests    []benchRequest // one per URL, used in turn
	body        []byte         // nil: requests have no body
	streams     int            // -m
	conns       int            // -c
	log         *benchLog      // --log-file; nil without it
	trace       *traceOutput   // -v; nil without it
	files       []io.Closer    // the key log and the request log, closed by close
}

// benchRequest is one URL's request.
type benchRequest struct {
	fields  []hpack.Field // header section, reused for every request
	isHead  bool
	upgrade []byte // the HTTP/1.1 Upgrade request (with -u), body included
}

// benchUserAgent is the default user-agent field value.
const benchUserAgent = "h2kit-bench"

// newBenchPlan prepares the plan for o: the requests, the TLS
// configuration (reading --cacert, opening the key log) and the request
// log. Its errors are about files; on success the caller closes the plan
// after the run.
func newBenchPlan(o *benchOptions) (_ *benchPlan, err error) {
	p := &benchPlan{
		addr:        dialAddress(o.urls[0]),
		tls:         o.urls[0].Scheme == "https",
		upgrade:     o.upgrade,
		connTimeout: o.connTimeout,
		reqTimeout:  o.reqTimeout,
		body:        o.data,
		streams:     o.streams,
		conns:       o.conns,
	}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.tls {
		t := o.tls
		t.keyLog = keyLogPath(t.keyLog)
		cfg, keyLog, err := t.clientConfig()
		if err != nil {
			return nil, err
		}
		if keyLog != nil {
			p.files = append(p.files, keyLog)
		}
		cfg.ServerName = o.urls[0].Hostname()
		cfg.NextProtos = []string{"h2"}
		p.tlsConfig = cfg
	}
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return nil, fmt.Errorf("--log-file: %w", err)
		}
		p.files = append(p.files, f)
		p.log = &benchLog{w: f}
	}
	p.config = h2kit.Config{
		Role: h2kit.Client,
		Settings: h2kit.Settings{
			DisablePush: true,
			// 0 would mean "the default" to the engine: 1 is the
			// smallest window it advertises (see -w in benchUsage).
			InitialWindowSize: max(windowSize(o.windowBits), 1),
		},
		ConnectionWindow: max(windowSize(o.connWindowBits), 65535),
	}
	var settings string
	if o.upgrade {
		settings = h2kit.EncodeHTTP2Settings(p.config.Settings)
	}
	for _, u := range o.urls {
		r := benchRequest{fields: requestFields(u, o.method, o.headers, p.body)}
		r.isHead = fieldValue(r.fields, ":method") == "HEAD"
		if o.upgrade {
			r.upgrade = upgradeRequest(r.fields, settings, p.body)
		}
		p.requests = append(p.requests, r)
	}
	return p, nil
}

// close closes the files of the plan and reports the first error,
// writing the request log included.
func (p *benchPlan) close() error {
	var first error
	if p.log != nil {
		first = p.log.err
	}
	for _, f := range p.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.files = nil
	return first
}

// requestFields builds the header section of a request for u with
// method: the pseudo-header fields, user-agent and content-length, with
// the -H fields replacing those of the same name ("host" replaces
// :authority) or added.
func requestFields(u *url.URL, method string, extra []hpack.Field, body []byte) []hpack.Field {
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
	o, err := parseBenchArgsIn(args, os.Stdin)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, benchUsage)
		return exitOK
	}
	var fe *fileError
	if errors.As(err, &fe) {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", err)
		return exitFailure
	}
	if err != nil {
		return usageError(stderr, "bench", err)
	}
	plan, err := newBenchPlan(o)
	if err != nil {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", err)
		return exitFailure
	}
	for _, n := range o.notes {
		fmt.Fprintf(stderr, "h2kit bench: %s\n", n)
	}
	start := time.Now()
	if o.verbose {
		plan.trace = newTraceOutput(stderr, start)
	}
	var progress io.Writer
	if f, ok := stdout.(*os.File); ok && isTerminal(f) && !o.verbose {
		progress = f
	}
	res := runPlan(plan, o, progress, start)
	closeErr := plan.close()
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
	if closeErr != nil {
		fmt.Fprintf(stderr, "h2kit bench: %v\n", closeErr)
		return exitFailure
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
