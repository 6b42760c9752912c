package main

// This file holds the command line of `h2kit get` (like nghttp): its
// flags and their checks. The run is in get_run.go (requests, pushes,
// assets), the ordered outputs, header dumps, push file names and the
// --stat table in get_out.go, the HTML asset scan in get_html.go, and the
// connection wrapper behind -v's connection lines in get_conn.go.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

func init() {
	register(&command{name: "get", summary: "fetch URLs over HTTP/2 (like nghttp)", run: runGet})
}

const getUsage = `usage: h2kit get [-v] [-n | -o FILE] [-a] [-u] [-H 'name: value']...
                 [-d DATA | -d @FILE] [-X METHOD] [-m N] [-w BITS] [-W BITS]
                 [-k] [--cacert FILE] [--cert FILE --key FILE] [--keylog FILE]
                 [--allow-renegotiation]
                 [--no-push | --push-dir DIR] [-i] [-D FILE] [-s] [--fail]
                 [-r FILE.har] [--timeline FILE.html] [--hexdump]
                 [--extpri PRI] [--extpri-update PRI] [-p WEIGHT]... [--dep-idle]
                 [-t DURATION] [--connect-timeout DURATION] URL...
       h2kit get --ws [-v] [-k] [--cacert FILE] [-H 'name: value']... URL

Fetches URLs over HTTP/2, like nghttp. http:// URLs use cleartext HTTP/2 with
prior knowledge, or an HTTP/1.1 Upgrade to h2c with -u; https:// URLs use TLS
with ALPN "h2". A server that does not speak HTTP/2 is an error. The URLs are
fetched concurrently, over one connection per origin (scheme, host, port).

options:
  -v, --verbose            print every frame sent and received, with
                           timestamps, in the format of nghttp -v, on
                           standard error, and the connects that failed and
                           the requests sent again
  -n, --null-out           discard the response bodies
  -o, --output FILE        write the bodies to FILE instead of standard output
                           (-o - is standard output)
  -a, --get-assets         also fetch what an HTML page links to on its origin
                           (<link rel=stylesheet href>, <script src>,
                           <img src>), concurrently on the same connection;
                           assets the server pushed are not requested again
  -u, --upgrade            http:// URLs: start with an HTTP/1.1 request
                           carrying "Upgrade: h2c" (RFC 7540, Section 3.2)
  -H, --header 'NAME: VALUE'
                           add a request header field; ":authority: HOST"
                           (or "host: HOST") sets the authority; repeatable
  -d, --data DATA          send DATA as the request body (POST unless -X);
                           -d @FILE sends FILE's content, -d @- standard input
  -X, --method METHOD      request method (default GET, POST with -d)
  -m, --multiply N         request each URL N times, concurrently (default 1)
  -w, --window-bits BITS   stream receive window: 2**BITS-1 bytes, 0 to 30
                           (default: 256 KiB, grown with the bandwidth-delay
                           product; -w or -W fixes both windows)
  -W, --connection-window-bits BITS
                           connection receive window: 2**BITS-1 bytes, 0 to
                           30 (at least 65535, the protocol's initial window)
  -k, --insecure           do not verify the server's certificate
      --cacert FILE        verify the server with the CA certificates of FILE
                           (PEM) instead of the system's
      --cert FILE          client certificate chain (PEM), with --key
      --key FILE           client private key (PEM), with --cert
      --allow-renegotiation
                           let the server renegotiate TLS to ask for the
                           --cert certificate (MS-HTTP2E: sends
                           TLS_RENEG_PERMITTED = 0x02); offers TLS 1.2
                           only, since TLS 1.3 has no renegotiation
      --keylog FILE        append the TLS secrets to FILE (NSS key log format,
                           for Wireshark); default: $SSLKEYLOGFILE if set
      --no-push            refuse server push (SETTINGS_ENABLE_PUSH = 0)
      --push-dir DIR       save pushed responses in DIR (created if needed),
                           each under the last segment of its path, made safe
                           as a file name; without it pushed bodies are
                           discarded
  -i, --include            print each response's header fields (":status: 200",
                           "name: value") before its body, and its trailers
                           after it, on standard output: every field, in the
                           order they arrived; informational (1xx) responses
                           first, each followed by an empty line
  -D, --dump-header FILE   write each response's header fields, then its
                           trailers, then an empty line, to FILE, as -i
                           prints them; -D - writes them to standard output
                           around the body, as -i
  -s, --stat               print a timing table of every request at the end:
                           times, status, size, stream id and origin
  -r, --har FILE           write FILE, a HAR 1.2 archive of the requests and
                           responses (header fields as on the wire, timings,
                           sizes; _streamId, _pushed), like nghttp -r
      --hexdump            print the bytes received, after TLS decryption,
                           as hexdump -C does (offset, 16 bytes in hex,
                           then as text), on standard error with -v's lines
      --extpri PRI         send each request with the RFC 9218 priority PRI
                           ("priority: u=N[, i]": urgency 0 to 7, i for
                           incremental), as nghttp's --extpri
      --extpri-update PRI  once a response's header section arrives,
                           re-prioritize the rest of it with a
                           PRIORITY_UPDATE frame carrying PRI (RFC 9218,
                           Section 7.1)
  -p, --weight WEIGHT      the RFC 7540 weight (1 to 256) of the N-th URL,
                           sent in its HEADERS frame (PRIORITY flag), as
                           nghttp's -p: repeatable, the N-th -p for the
                           N-th URL, the last one for the URLs after it;
                           default 16. Each of -m's copies has its URL's
                           weight; the assets of -a get theirs from
                           --dep-idle (none without it)
      --dep-idle           RFC 7540 dependencies on idle anchor streams, as
                           nghttp makes them: at the start of each
                           connection, PRIORITY frames create five idle
                           streams (the first client ids: 1 to 9, 3 to 11
                           with -u): leaders (weight 201), unblocked (101),
                           background (1), speculative (1, under
                           background), followers (1, under leaders). The
                           URLs depend on followers (with -p's weight),
                           -a's stylesheets and scripts on leaders (weight
                           32), its images on followers (weight 12); no
                           request is sent on an anchor. RFC 9113 deprecates
                           these signals (Section 5.3.2); servers may
                           ignore them (use --extpri for RFC 9218)
      --timeline FILE      write FILE, an HTML page (self-contained: open it
                           offline) that draws each connection as it
                           happened: a row per stream (requests and
                           pushes), every frame a mark at its time (DATA
                           sized by its length, WINDOW_UPDATE, PUSH_PROMISE,
                           priorities, RST_STREAM, GOAWAY), flow-control
                           stalls shaded; pointing at a frame shows it as
                           -v prints it
      --fail               a status other than 2xx is an error (exit status 1)
  -t, --timeout DURATION   give up on a request not done after DURATION (10s,
                           1m, or seconds; default: no limit)
      --connect-timeout DURATION
                           give up on a server that does not accept the TCP
                           connection, finish the TLS handshake or send its
                           SETTINGS within DURATION (default 10s); once
                           connected, a server silent for 30s is sent a
                           PING, which it must answer within DURATION too.
                           Either failure is reported as "stopped answering"
      --ws                 open a WebSocket over HTTP/2 (RFC 8441: an
                           extended CONNECT with :protocol websocket) to
                           the one URL (ws:// and wss:// are http:// and
                           https://); each line of standard input is sent
                           as a text message, each message received is
                           printed followed by a newline; at the end of
                           the input, once the pong of a ping is back and
                           nothing has arrived for 0.25 s, the WebSocket
                           is closed (1000). -v shows the
                           CONNECT's HEADERS and the DATA frames that
                           carry the WebSocket frames. A server that did
                           not enable extended CONNECT, or answers other
                           than 2xx, is an error
  -h, --help               print this help

Short options without a value may be grouped: -nva is -n -v -a.

Output: the bodies, in the order of the URLs (the assets of a page after it,
each of -m's copies in turn), on standard output unless -n or -o. Pushed
responses go to --push-dir. Errors go to standard error, one line per failed
request, saying what to do when get can tell (-k or --cacert for a
certificate, -u or no -u for cleartext servers). A request the server did
not process (a GOAWAY below its stream, REFUSED_STREAM) is sent again on a
new connection; if that fails too, the error line names the GOAWAY (code,
last_stream_id, debug data) and the failure of the new try.

Exit status: 0 when every request completed; 1 on a connection, protocol or
stream error, an unusable file, or (with --fail) a non-2xx status; 2 for a
usage error. With --ws: 0 when the WebSocket closed with 1000 (normal
closure), 1 when it could not open or ended otherwise (the error line says
how: the close code, a reset stream).
`

// Limits of get's options.
const (
	getMaxMultiply   = 10000
	getMaxWindowBits = 30
	// getConnectTimeout is --connect-timeout's default.
	getConnectTimeout = 10 * time.Second
	// getReadIdle is how long a connected server may stay silent, with
	// requests in flight or not, before get sends it a PING.
	getReadIdle = 30 * time.Second
)

// getOptions is the parsed command line of h2kit get.
type getOptions struct {
	verbose  bool
	nullOut  bool
	output   string // -o
	assets   bool   // -a
	upgrade  bool   // -u
	headers  []hpack.Field
	data     []byte // -d; nil without it
	hasData  bool
	method   string // -X, or the default
	multiply int    // -m
	// Window sizes from -w and -W, 0 when not given.
	windowBits, connWindowBits int
	windowSet, connWindowSet   bool
	insecure                   bool
	caCert                     string
	certFile, keyFile          string
	allowReneg                 bool // --allow-renegotiation
	keyLog                     string
	noPush                     bool
	pushDir                    string
	include                    bool   // -i
	dumpHeader                 string // -D
	stat                       bool
	har                        string          // -r FILE
	hexdump                    bool            // --hexdump
	extpri                     string          // --extpri: the priority field value sent
	extpriUpdate               *h2kit.Priority // --extpri-update, or nil
	weights                    []int           // -p, one per URL (get_prio7540.go)
	depIdle                    bool            // --dep-idle
	timeline                   string          // --timeline FILE
	fail                       bool
	timeout                    time.Duration
	connectTimeout             time.Duration // --connect-timeout
	ws                         bool          // --ws: a WebSocket (get_ws.go)
	urls                       []*url.URL
}

// fileError is a parse error about a file the command line names (-d
// @FILE): the command ran into it, so the exit status is 1, not 2.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// getFlag describes one flag for the grouping of short options.
type getFlag struct {
	short, long string
	value       bool // takes a value
}

// getFlags lists get's flags.
var getFlags = []getFlag{
	{"v", "verbose", false}, {"n", "null-out", false}, {"o", "output", true},
	{"a", "get-assets", false}, {"u", "upgrade", false}, {"H", "header", true},
	{"d", "data", true}, {"X", "method", true}, {"m", "multiply", true},
	{"w", "window-bits", true}, {"W", "connection-window-bits", true},
	{"k", "insecure", false}, {"", "cacert", true}, {"", "cert", true},
	{"", "allow-renegotiation", false},
	{"", "key", true}, {"", "keylog", true}, {"", "no-push", false},
	{"", "push-dir", true}, {"i", "include", false}, {"D", "dump-header", true},
	{"s", "stat", false}, {"", "fail", false}, {"", "timeline", true},
	{"r", "har", true}, {"", "hexdump", false}, {"", "extpri", true}, {"", "extpri-update", true},
	{"p", "weight", true}, {"", "dep-idle", false}, {"t", "timeout", true},
	{"", "connect-timeout", true}, {"", "ws", false}, {"h", "help", false},
}

// expandShortFlags turns getopt-style groups of short options into
// separate arguments the flag package understands: "-nva" becomes "-n",
// "-v", "-a", and "-w16" (a short option with its value attached) "-w",
// "16". Arguments after "--", values of options, and anything that is not
// a group of known short options are left as they are.
func expandShortFlags(args []string) []string {
	byName := map[string]getFlag{}
	for _, f := range getFlags {
		if f.short != "" {
			byName[f.short] = f
		}
		byName[f.long] = f
	}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		if f, ok := byName[name]; ok {
			out = append(out, a)
			if f.value && !hasValue && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		if a[1] == '-' || hasValue {
			out = append(out, a) // unknown: flag reports it
			continue
		}
		expanded, needsNext, ok := expandGroup(a[1:], byName)
		if !ok {
			out = append(out, a)
			continue
		}
		out = append(out, expanded...)
		if needsNext && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// expandGroup splits a group of short options (without its dash). It
// reports whether the last option still needs the next argument as its
// value, and false when a letter is not a short option.
func expandGroup(g string, byName map[string]getFlag) (out []string, needsNext, ok bool) {
	for j := 0; j < len(g); j++ {
		f, known := byName[g[j:j+1]]
		if !known || f.short == "" {
			return nil, false, false
		}
		out = append(out, "-"+f.short)
		if f.value {
			if rest := g[j+1:]; rest != "" {
				return append(out, rest), false, true
			}
			return out, true, true
		}
	}
	return out, false, true
}

// windowFlag parses -w and -W: a number of bits, 0 to 30.
type windowFlag struct {
	bits *int
	set  *bool
}

func (v windowFlag) String() string {
	if v.bits == nil {
		return ""
	}
	return strconv.Itoa(*v.bits)
}

func (v windowFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > getMaxWindowBits {
		return fmt.Errorf("window bits %q: want 0 to %d", s, getMaxWindowBits)
	}
	*v.bits, *v.set = n, true
	return nil
}

// windowSize is 2**bits-1, as nghttp's -w and -W compute it.
func windowSize(bits int) uint32 { return uint32(1)<<bits - 1 }

// readData returns the body of -d: DATA itself, or the content of FILE
// for @FILE (standard input for @-).
func readData(arg string, stdin io.Reader) ([]byte, error) {
	name, ok := strings.CutPrefix(arg, "@")
	if !ok {
		return []byte(arg), nil
	}
	if name == "" {
		return nil, errors.New("-d @: missing file name after @")
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, &fileError{fmt.Errorf("-d %s: %w", arg, err)}
	}
	return b, nil
}

// parseGetArgs parses the arguments of h2kit get; flags and URLs may be
// mixed. stdin serves -d @-. It returns flag.ErrHelp for -h.
func parseGetArgs(args []string, stdin io.Reader) (*getOptions, error) {
	o := &getOptions{multiply: 1, connectTimeout: getConnectTimeout}
	fs := newFlags("get")
	var data string
	strVar, boolVar, varBoth := fs.str, fs.boolean, fs.value
	boolVar(&o.verbose, "v", "verbose")
	boolVar(&o.nullOut, "n", "null-out")
	strVar(&o.output, "o", "output")
	boolVar(&o.assets, "a", "get-assets")
	boolVar(&o.upgrade, "u", "upgrade")
	varBoth(headerList{&o.headers}, "H", "header")
	strVar(&data, "d", "data")
	strVar(&o.method, "X", "method")
	fs.integer(&o.multiply, "m", "multiply", 1)
	varBoth(windowFlag{&o.windowBits, &o.windowSet}, "w", "window-bits")
	varBoth(windowFlag{&o.connWindowBits, &o.connWindowSet}, "W", "connection-window-bits")
	boolVar(&o.insecure, "k", "insecure")
	strVar(&o.caCert, "", "cacert")
	strVar(&o.certFile, "", "cert")
	strVar(&o.keyFile, "", "key")
	boolVar(&o.allowReneg, "", "allow-renegotiation")
	strVar(&o.keyLog, "", "keylog")
	boolVar(&o.noPush, "", "no-push")
	strVar(&o.pushDir, "", "push-dir")
	boolVar(&o.include, "i", "include")
	strVar(&o.dumpHeader, "D", "dump-header")
	boolVar(&o.stat, "s", "stat")
	strVar(&o.har, "r", "har")
	boolVar(&o.hexdump, "", "hexdump")
	var extpri, extpriUpdate string
	strVar(&extpri, "", "extpri")
	strVar(&extpriUpdate, "", "extpri-update")
	varBoth(weightList{&o.weights}, "p", "weight")
	boolVar(&o.depIdle, "", "dep-idle")
	strVar(&o.timeline, "", "timeline")
	boolVar(&o.fail, "", "fail")
	varBoth(durationFlag{&o.timeout}, "t", "timeout")
	varBoth(durationFlag{&o.connectTimeout}, "", "connect-timeout")
	boolVar(&o.ws, "", "ws")

	args = expandShortFlags(args)
	rawURLs, set, err := fs.parse(args)
	if err != nil {
		return nil, err
	}

	if len(rawURLs) == 0 {
		return nil, errors.New("no URL given")
	}
	for _, raw := range rawURLs {
		if o.ws {
			raw = wsURL(raw)
		}
		u, err := parseTargetURL(raw)
		if err != nil {
			return nil, err
		}
		u.Fragment, u.RawFragment = "", "" // never sent
		o.urls = append(o.urls, u)
	}
	if o.multiply < 1 || o.multiply > getMaxMultiply {
		return nil, fmt.Errorf("-m %d: want 1 to %d", o.multiply, getMaxMultiply)
	}
	if o.nullOut && o.output != "" {
		return nil, errors.New("-n discards the bodies: -o does not apply")
	}
	// "-" is standard output, as in curl: -o - is where the bodies go
	// anyway, and -D - prints the header fields before each body there,
	// which is what -i does.
	if o.output == "-" {
		o.output = ""
	}
	if o.dumpHeader == "-" {
		o.dumpHeader, o.include = "", true
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if o.allowReneg && o.certFile == "" {
		return nil, errors.New("--allow-renegotiation needs --cert and --key: the certificate the server renegotiates for")
	}
	if o.noPush && o.pushDir != "" {
		return nil, errors.New("--no-push refuses pushes: --push-dir does not apply")
	}
	if set["X"] || set["method"] {
		if !validToken(o.method) {
			return nil, fmt.Errorf("-X %q: not a valid method", o.method)
		}
	}
	if err := checkGetHeaders(o); err != nil {
		return nil, err
	}
	if set["extpri"] {
		p, err := parsePriorityFlag(extpri)
		if err != nil {
			return nil, fmt.Errorf("--extpri %q: %v", extpri, err)
		}
		o.extpri = p.String()
	}
	if set["extpri-update"] {
		p, err := parsePriorityFlag(extpriUpdate)
		if err != nil {
			return nil, fmt.Errorf("--extpri-update %q: %v", extpriUpdate, err)
		}
		o.extpriUpdate = &p
	}
	if err := checkWeights(o); err != nil {
		return nil, err
	}
	if o.ws {
		if err := checkWSOptions(o, set); err != nil {
			return nil, err
		}
	}
	if set["d"] || set["data"] {
		b, err := readData(data, stdin)
		if err != nil {
			return nil, err
		}
		o.data, o.hasData = b, true
	}
	if o.method == "" {
		o.method = http.MethodGet
		if o.hasData {
			o.method = http.MethodPost
		}
	}
	return o, nil
}

// checkGetHeaders checks the -H fields get can send: the pseudo-header
// fields other than :authority (and :method, which -X sets) come from the
// URL.
func checkGetHeaders(o *getOptions) error {
	for _, f := range o.headers {
		switch f.Name {
		case ":method":
			if o.method != "" && o.method != f.Value {
				return fmt.Errorf("-H ':method: %s' contradicts -X %s", f.Value, o.method)
			}
			if !validToken(f.Value) {
				return fmt.Errorf("-H ':method: %s': not a valid method", f.Value)
			}
			o.method = f.Value
		case ":scheme", ":path":
			return fmt.Errorf("-H '%s': get takes it from the URL", f.Name)
		}
	}
	return nil
}

// validToken reports whether s is a non-empty token (RFC 9110, Section
// 5.6.2), as a method must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// runGet is the run function of the get command.
func runGet(args []string, stdout, stderr io.Writer) int {
	o, err := parseGetArgs(args, os.Stdin)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, getUsage)
		return exitOK
	}
	var fe *fileError
	if errors.As(err, &fe) {
		fmt.Fprintf(stderr, "h2kit get: %v\n", err)
		return exitFailure
	}
	if err != nil {
		return usageError(stderr, "get", err)
	}
	g, err := newGetter(o, stdout, stderr, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "h2kit get: %v\n", err)
		return exitFailure
	}
	ok := false
	if o.ws {
		ok = g.runWS(os.Stdin)
	} else {
		ok = g.run()
	}
	if !ok {
		return exitFailure
	}
	return exitOK
}
