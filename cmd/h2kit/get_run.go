package main

// This file runs `h2kit get`: an h2client.Transport set up from the
// options (one connection per origin, push, windows, TLS, -v tracer),
// one goroutine per request, the assets of HTML pages (-a), the pushed
// responses, and the end: pushes awaited, connections closed with
// GOAWAY, outputs flushed, --stat printed.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2client"
)

// Bounds of the run.
const (
	getMaxPage   = 16 << 20               // -a: the most of a page scanned for assets
	getPushGrace = 500 * time.Millisecond // how long to wait for promises still without a response
	getCloseWait = time.Second            // how long to wait for the connections to close at the end
)

// getter is one run of h2kit get.
type getter struct {
	o      *getOptions
	stdout io.Writer
	stderr io.Writer
	start  time.Time
	tr     *h2client.Transport
	trace  *traceOutput // nil without -v
	wire   *wireHeaders // the header blocks as they arrived; nil without -i or -D
	tl     *getTimeline // --timeline's record, or nil
	dialer *getDialer

	outSeq  *outSeq // standard output: bodies (unless -n or -o) and -i
	fileSeq *outSeq // -o
	dumpSeq *outSeq // -D
	files   []*os.File
	pushDir *os.Root // --push-dir

	wg sync.WaitGroup // the requests, assets included

	mu           sync.Mutex
	errMu        sync.Mutex // orders the error lines
	failed       bool
	connErrs     []connErr
	goAways      map[net.Conn]goAway // the GOAWAY each connection received
	errLines     []string            // the error lines printed
	rows         []*statRow
	chains       map[string]chan struct{} // per origin: closed when the last request launched got its connection (-i, -D: sent its HEADERS)
	requested    map[string]bool          // URLs requested, by urlKey
	promised     map[string]bool          // URLs pushed, by urlKey
	pushes       map[*http.Request]*statRow
	pushPromised int             // promises without a response yet
	pushActive   int             // pushed responses being read
	pushChanged  chan struct{}   // signalled when pushPromised or pushActive changes
	pushNames    map[string]bool // file names taken in --push-dir
	pushPaths    map[string]bool // paths saved in --push-dir
}

// getFetch is one request and where its response goes.
type getFetch struct {
	url    *url.URL
	method string
	data   []byte // nil: no body
	asset  bool   // found by -a
	row    *statRow
	prio   *h2client.StreamPriority // RFC 7540 priority (-p, --dep-idle), or nil

	out  *outSlot  // standard output (-i, and the body unless -n or -o), or nil
	body io.Writer // where the body goes
	file *outSlot  // -o, or nil
	dump *outSlot  // -D, or nil
}

// newGetter prepares a run: output files, TLS configuration, transport.
func newGetter(o *getOptions, stdout, stderr io.Writer, start time.Time) (_ *getter, err error) {
	g := &getter{
		o: o, stdout: stdout, stderr: stderr, start: start,
		chains:      map[string]chan struct{}{},
		requested:   map[string]bool{},
		promised:    map[string]bool{},
		pushes:      map[*http.Request]*statRow{},
		pushNames:   map[string]bool{},
		pushPaths:   map[string]bool{},
		pushChanged: make(chan struct{}, 1),
		goAways:     map[net.Conn]goAway{},
	}
	defer func() {
		if err != nil {
			g.closeFiles()
		}
	}()
	g.outSeq = newOutSeq(stdout)
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return nil, err
		}
		g.files = append(g.files, f)
		g.fileSeq = newOutSeq(f)
	}
	if o.dumpHeader != "" {
		f, err := os.Create(o.dumpHeader)
		if err != nil {
			return nil, err
		}
		g.files = append(g.files, f)
		g.dumpSeq = newOutSeq(f)
	}
	if o.pushDir != "" {
		if err := os.MkdirAll(o.pushDir, 0o755); err != nil {
			return nil, err
		}
		if g.pushDir, err = os.OpenRoot(o.pushDir); err != nil {
			return nil, err
		}
	}
	if o.verbose {
		g.stderr = &syncWriter{w: stderr} // the trace of an Upgrade has a writer of its own
		g.trace = newTraceOutput(g.stderr, start)
	}
	tlsConfig, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	g.dialer = &getDialer{trace: g.trace, traceW: g.stderr, upgrade: o.upgrade, timeout: o.connectTimeout}
	if o.hexdump {
		w := g.stderr
		if g.trace == nil {
			w = &syncWriter{w: stderr} // the connections dump at once
		}
		g.dialer.hex = &hexDumper{w: w}
	}
	g.tr = &h2client.Transport{
		TLSClientConfig:            tlsConfig,
		AllowRenegotiation:         o.allowReneg, // MS-HTTP2E, with --cert
		DialContext:                g.dialer.DialContext,
		AllowHTTP:                  !o.upgrade,
		UpgradeH2C:                 o.upgrade,
		DisableHTTP1:               true,
		StrictMaxConcurrentStreams: true, // one connection per origin
		MaxConnsPerHost:            1,
		ConnEvent:                  g.connEvent,
		PriorityAnchors:            o.anchors(), // --dep-idle
		// A server that stops answering is an error that says so, not a
		// hang (--connect-timeout).
		TLSHandshakeTimeout: o.connectTimeout,
		SettingsTimeout:     o.connectTimeout,
		ReadIdleTimeout:     getReadIdle,
		PingTimeout:         o.connectTimeout,
	}
	if o.hexdump {
		g.tr.DialTLSContext = g.dialer.dialTLS // the bytes after decryption
	}
	if o.windowSet {
		w := windowSize(o.windowBits)
		if w == 0 {
			// h2client takes 0 as "default": the smallest window it can
			// advertise is 1.
			fmt.Fprintln(stderr, "h2kit get: -w 0: a zero stream window cannot be advertised; using 1")
			w = 1
		}
		g.tr.InitialWindowSize = w
		g.tr.DisableAutoWindow = true
	}
	if o.connWindowSet {
		g.tr.ConnectionWindow = max(windowSize(o.connWindowBits), 65535)
		g.tr.DisableAutoWindow = true
	}
	if !o.noPush {
		g.tr.AcceptPush = g.acceptPush
		g.tr.PushHandler = g.onPush
	}
	if o.har != "" {
		// Made now, so that a file that cannot be written stops the run
		// before it starts; written at the end.
		f, err := os.Create(o.har)
		if err != nil {
			return nil, fmt.Errorf("--har: %w", err)
		}
		f.Close()
	}
	// The header blocks and the stream ids, always: the claims also
	// make the requests to an origin open their streams in the order of
	// the command line (stream 1, 3, 5, ... as nghttp numbers them), not
	// in the order their goroutines happen to reach the connection.
	g.wire = newWireHeaders()
	if o.timeline != "" {
		// Made now, so that a file that cannot be written stops the run
		// before it starts; written at the end.
		f, err := os.Create(o.timeline)
		if err != nil {
			return nil, fmt.Errorf("--timeline: %w", err)
		}
		f.Close()
		var urls []string
		for _, u := range o.urls {
			urls = append(urls, u.String())
		}
		g.tl = &getTimeline{path: o.timeline, start: start, doc: newTimelineDoc(timelineTitle(urls), start)}
	}
	if g.trace != nil || g.wire != nil || g.tl != nil {
		g.tr.NewTracer = g.newTracer
	}
	return g, nil
}

// tlsConfig returns the TLS configuration of https URLs: verification
// (-k, --cacert), client certificate, key log (--keylog or
// $SSLKEYLOGFILE, opened only when a URL is https), from the flags the
// client commands share (tlsflags.go).
func (g *getter) tlsConfig() (*tls.Config, error) {
	o := g.o
	t := tlsOptions{insecure: o.insecure, caCert: o.caCert, certFile: o.certFile, keyFile: o.keyFile}
	if g.anyTLS() {
		t.keyLog = keyLogPath(o.keyLog)
	}
	cfg, keyLog, err := t.clientConfig()
	if err != nil {
		return nil, err
	}
	if keyLog != nil {
		g.files = append(g.files, keyLog) // closed at the end of the run
	}
	if o.allowReneg {
		cfg.MaxVersion = tls.VersionTLS12 // TLS 1.3 has no renegotiation
	}
	return cfg, nil
}

// anyTLS reports whether a URL is https.
func (g *getter) anyTLS() bool {
	for _, u := range g.o.urls {
		if u.Scheme == "https" {
			return true
		}
	}
	return false
}

// newTracer is the Transport's NewTracer with -v, -i or -D: nghttp's
// frame trace (-v), after the negotiated protocol for TLS, and the record
// of the header blocks (-i, -D).
func (g *getter) newTracer(nc net.Conn) h2kit.Tracer {
	var t h2kit.Tracer
	if g.trace != nil {
		t = g.frameTracer(nc)
	}
	if g.tl != nil {
		scheme, under := "http://", nc
		if tc := tlsConnOf(nc); tc != nil {
			scheme, under = "https://", tc.NetConn()
		}
		label := scheme + nc.RemoteAddr().String()
		if gc, ok := under.(*getConn); ok {
			label = scheme + gc.addr
		}
		t = teeTracers(t, g.tl.tracer(label))
	}
	if g.wire == nil {
		return t
	}
	upgradeAddr := ""
	if gc, ok := nc.(*getConn); ok && g.o.upgrade {
		upgradeAddr = gc.addr // cleartext with -u: an Upgrade
	}
	return g.wire.tracer(nc, t, upgradeAddr)
}

// frameTracer returns the -v tracer of a connection.
func (g *getter) frameTracer(nc net.Conn) *frameTracer {
	if tc := tlsConnOf(nc); tc != nil {
		st := tc.ConnectionState()
		g.trace.Println("The negotiated protocol: " + st.NegotiatedProtocol)
	}
	if gc, ok := nc.(*getConn); ok && gc.sniff != nil && g.o.upgrade {
		// Held until the Upgrade exchange is printed (see upgradeSniffer).
		t := newTraceOutput(gc.sniff.gate, g.start).newTracer(h2kit.Client, "")
		t.Upgraded() // the Upgrade request is stream 1
		return t
	}
	return g.trace.newTracer(h2kit.Client, "")
}

// connErr is a connection error seen by connEvent.
type connErr struct{ addr, msg string }

// goAway is a GOAWAY frame a connection received.
type goAway struct {
	last  uint32 // last_stream_id: the streams above it were not processed
	code  frame.ErrCode
	debug string
}

// String describes the GOAWAY for the user: "the server sent GOAWAY with
// CODE (last_stream_id=N, "debug data")".
func (a goAway) String() string {
	s := fmt.Sprintf("the server sent GOAWAY with %s (last_stream_id=%d", a.code, a.last)
	if a.debug != "" {
		s += fmt.Sprintf(", %q", a.debug)
	}
	return s + ")"
}

// connEvent notes the GOAWAY frames and the connection errors
// (Transport.ConnEvent; it runs on the connection's goroutine and must
// not block).
func (g *getter) connEvent(nc net.Conn, ev h2kit.Event) {
	var msg string
	switch e := ev.(type) {
	case *h2kit.GoAwayReceived:
		a := goAway{last: e.LastStreamID, code: e.Code, debug: string(e.DebugData)}
		g.mu.Lock()
		g.goAways[nc] = a
		g.mu.Unlock()
		if e.Code != frame.ErrCodeNo {
			msg = a.String()
		}
	case *h2kit.ConnectionTerminated:
		if e.Err != nil {
			msg = userText(e.Err)
		}
	}
	if msg != "" {
		g.mu.Lock()
		g.connErrs = append(g.connErrs, connErr{nc.RemoteAddr().String(), msg})
		g.mu.Unlock()
	}
}

// goAwayOf returns the GOAWAY the last of conns received, or nil.
func (g *getter) goAwayOf(conns []net.Conn) *goAway {
	if len(conns) == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if a, ok := g.goAways[conns[len(conns)-1]]; ok {
		return &a
	}
	return nil
}

// notProcessed says why a request was not processed on the last of
// conns, the connections it went on: the GOAWAY it received, if any.
func (g *getter) notProcessed(conns []net.Conn) string {
	if a := g.goAwayOf(conns); a != nil {
		return a.String() + " without processing the request"
	}
	return "the server did not process the request"
}

// failf prints an error line and makes the exit status 1.
func (g *getter) failf(format string, args ...any) {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	g.failed = true
	line := fmt.Sprintf(format, args...)
	g.errLines = append(g.errLines, line)
	fmt.Fprintf(g.stderr, "h2kit get: %s\n", line)
}

// reported reports whether an error line printed holds msg.
func (g *getter) reported(msg string) bool {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	for _, l := range g.errLines {
		if strings.Contains(l, msg) {
			return true
		}
	}
	return false
}

// since is the time since the start of the run, at least 1ns (0 means
// "not yet" in the stat rows).
func (g *getter) since() time.Duration { return max(time.Since(g.start), 1) }

// urlKey names a URL for the duplicate checks: scheme, host:port, path
// and query.
func urlKey(u *url.URL) string {
	return u.Scheme + "://" + dialAddress(u) + u.RequestURI()
}

// run fetches every URL and returns whether all went well.
func (g *getter) run() bool {
	o := g.o
	var fetches []*getFetch
	for i, u := range o.urls {
		g.requested[urlKey(u)] = true
		for range o.multiply {
			f := g.newFetch(u, o.method, o.data, false, nil)
			f.prio = o.urlPriority(i)
			fetches = append(fetches, f)
		}
	}
	for _, f := range fetches {
		g.launch(f)
	}
	g.wg.Wait()
	g.waitPushes()
	// GOAWAY, then close. A stream gives its connection back a moment
	// after its body's end is read: try again until none is left.
	for deadline := time.Now().Add(getCloseWait); ; {
		g.tr.CloseIdleConnections()
		if g.dialer.waitClosed(10*time.Millisecond) || time.Now().After(deadline) {
			break
		}
	}

	for _, q := range []*outSeq{g.outSeq, g.fileSeq, g.dumpSeq} {
		if q != nil {
			if err := q.Err(); err != nil {
				g.failf("writing the output: %v", err)
			}
		}
	}
	for _, f := range g.files {
		if err := f.Close(); err != nil {
			g.failf("%v", err)
		}
	}
	g.files = nil
	if g.pushDir != nil {
		g.pushDir.Close()
	}
	g.mu.Lock()
	connErrs := g.connErrs
	rows := make([]statRow, len(g.rows))
	for i, r := range g.rows {
		rows[i] = *r
	}
	g.mu.Unlock()
	for _, e := range connErrs {
		if !g.reported(e.msg) { // not already the error of a request
			g.failf("connection to %s: %s", e.addr, e.msg)
		}
	}
	if g.tl != nil {
		if err := g.tl.write(); err != nil {
			g.failf("%v", err)
		}
	}
	g.pushStreams(rows)
	if o.har != "" {
		if err := writeHAR(o.har, rows, g.start); err != nil {
			g.failf("%v", err)
		}
	}
	if o.stat {
		if err := writeStat(g.stdout, rows); err != nil {
			g.failf("writing the output: %v", err)
		}
	}
	g.errMu.Lock()
	defer g.errMu.Unlock()
	return !g.failed
}

// closeFiles closes the files opened for the run (on a setup error).
func (g *getter) closeFiles() {
	for _, f := range g.files {
		f.Close()
	}
	g.files = nil
}

// newFetch makes the fetch of u and its output slots: at the end, or
// right after the slots of after.
func (g *getter) newFetch(u *url.URL, method string, data []byte, asset bool, after *getFetch) *getFetch {
	f := &getFetch{url: u, method: method, data: data, asset: asset, body: io.Discard}
	f.row = &statRow{path: u.RequestURI(), origin: originOf(u)}
	if g.o.har != "" {
		f.row.har = &harExchange{method: method, url: u.String(), reqBody: data}
	}
	g.mu.Lock()
	g.rows = append(g.rows, f.row)
	g.mu.Unlock()
	var afterOut, afterFile, afterDump *outSlot
	if after != nil {
		afterOut, afterFile, afterDump = after.out, after.file, after.dump
	}
	bodyToStdout := !g.o.nullOut && g.fileSeq == nil
	if g.o.include || bodyToStdout {
		f.out = g.outSeq.add(afterOut)
	}
	switch {
	case bodyToStdout:
		f.body = f.out
	case g.fileSeq != nil:
		f.file = g.fileSeq.add(afterFile)
		f.body = f.file
	}
	if g.dumpSeq != nil {
		f.dump = g.dumpSeq.add(afterDump)
	}
	return f
}

// closeSlots ends f's outputs.
func (f *getFetch) closeSlots() {
	for _, s := range []*outSlot{f.out, f.file, f.dump} {
		if s != nil {
			s.Close()
		}
	}
}

// launch starts f. The requests to an origin go out in the order they
// are launched: each waits until the one before it has sent its HEADERS
// frame (see get_wire.go), so their stream ids follow that order.
func (g *getter) launch(f *getFetch) {
	origin := f.url.Scheme + "://" + dialAddress(f.url)
	mine := make(chan struct{})
	g.mu.Lock()
	prev := g.chains[origin]
	g.chains[origin] = mine
	g.mu.Unlock()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer f.closeSlots()
		if prev != nil {
			<-prev
		}
		g.fetch(f, sync.OnceFunc(func() { close(mine) }))
	}()
}

// fetch runs the request of f and writes its response; turn lets the
// next request to the origin go.
func (g *getter) fetch(f *getFetch, turn func()) {
	defer turn()
	ctx := context.Background()
	if g.o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.o.timeout)
		defer cancel()
	}
	// The next request to the origin may go once this one's HEADERS
	// frame is sent, so that the streams are opened in the order of the
	// claims (see get_wire.go).
	var claim *wireClaim
	method, path := f.method, requestPath(f.url)
	// h2client sends a request again, on another connection, when the
	// server did not process it (GOAWAY, REFUSED_STREAM): attempts counts
	// the tries, conns holds the connections it went on.
	attempts := 0
	var conns []net.Conn
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			attempts++
			if attempts > 1 && g.trace != nil {
				g.trace.Event("", fmt.Sprintf("%s %s: %s; sending it again", method, f.url, g.notProcessed(conns)))
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			conns = append(conns, info.Conn)
			if g.wire == nil {
				turn()
				return
			}
			if claim != nil {
				g.wire.settle(claim) // a retry: the last claim is the one
			}
			claim = g.wire.claim(info.Conn, method, path, turn)
		},
	})
	req, err := g.newRequest(ctx, f)
	if err != nil {
		g.failf("%s %s: %v", f.method, f.url, err)
		return
	}
	g.setRow(f.row, func(r *statRow) { r.start = g.since() })
	resp, err := g.tr.RoundTrip(req)
	if claim != nil && !g.wire.settle(claim) {
		claim = nil
	}
	turn()
	if claim != nil {
		sent := g.wire.requestFields(claim)
		g.setRow(f.row, func(r *statRow) {
			r.stream = claim.id
			if r.har != nil {
				r.har.reqFields = sent
			}
		})
	}
	if err != nil {
		g.setRow(f.row, func(r *statRow) { r.failed = true })
		first, connected := g.dialer.firstBytes(h2Addr(f.url))
		msg := requestError(f.url, g.o.upgrade, describeErr(ctx, err), connected, first)
		g.setRow(f.row, func(r *statRow) {
			if r.har != nil {
				r.har.err = msg
			}
		})
		switch {
		case attempts > 1:
			g.failf("%s %s: %s; sent again, it failed: %s", req.Method, f.url, g.notProcessed(conns), msg)
		case g.goAwayOf(conns) != nil:
			g.failf("%s %s: %s (%s)", req.Method, f.url, msg, g.goAwayOf(conns))
		default:
			g.failf("%s %s: %s", req.Method, f.url, msg)
		}
		return
	}
	defer resp.Body.Close()
	g.setRow(f.row, func(r *statRow) { r.headers, r.status = g.since(), resp.StatusCode })
	if resp.ProtoMajor != 2 {
		g.setRow(f.row, func(r *statRow) { r.failed = true })
		g.failf("%s %s: the server answered over %s (%s), not HTTP/2", req.Method, f.url, resp.Proto, resp.Status)
		return
	}
	var wired *wireClaim // the header blocks as they arrived
	if g.wire != nil {
		if claim == nil {
			claim = g.wire.upgraded(h2Addr(f.url)) // nil unless an Upgrade
		}
		if claim != nil {
			if _, final, _ := g.wire.response(claim); final != nil {
				wired = claim
			}
			defer g.wire.done(claim)
		}
	}
	if wired != nil {
		g.setRow(f.row, func(r *statRow) { r.stream = wired.id })
	}
	if f.row.har != nil {
		g.noteResponse(f.row, wired, resp)
	}
	if p := g.o.extpriUpdate; p != nil {
		// RFC 9218, Section 7.1: the rest of the response at priority p.
		// A response whose body has already all arrived is not in flight
		// any more: nothing to send.
		h2client.UpdatePriority(resp, *p)
	}
	if g.o.include {
		f.out.Write(g.headerSection(wired, resp))
	}
	var page *bytes.Buffer
	w := f.body
	if g.o.assets && !f.asset && resp.StatusCode/100 == 2 && isHTML(resp, f.url) {
		page = new(bytes.Buffer)
		w = io.MultiWriter(w, &limitedBuffer{b: page, max: getMaxPage})
	}
	n, err := io.Copy(w, resp.Body)
	g.setRow(f.row, func(r *statRow) {
		r.size = n
		if err == nil {
			r.end = g.since()
		} else {
			r.failed = true
		}
	})
	if err != nil {
		g.failf("%s %s: reading the body: %s", req.Method, f.url, userText(describeErr(ctx, err)))
	}
	if trailers := g.trailerLines(wired, resp); g.o.include && len(trailers) > 0 {
		if f.body == f.out && n > 0 && f.out.lastByte() != '\n' {
			f.out.Write([]byte{'\n'})
		}
		f.out.Write(trailers)
	}
	if f.dump != nil {
		b := g.headerSection(wired, resp)
		b = append(b[:len(b)-1], g.trailerLines(wired, resp)...) // the trailers before the empty line
		f.dump.Write(append(b, '\n'))
	}
	if err == nil && g.o.fail && resp.StatusCode/100 != 2 {
		g.setRow(f.row, func(r *statRow) { r.failed = true })
		g.failf("%s %s: status %s", req.Method, f.url, resp.Status)
	}
	if page != nil && err == nil {
		g.launchAssets(f, page.Bytes())
	}
}

// headerSection returns the lines -i and -D print before a response's
// body: the header blocks of its informational responses, each followed
// by an empty line, then its own header fields and an empty line. With
// the blocks recorded (wired), they are as they arrived; else (which
// should not happen) they are resp's, sorted.
func (g *getter) headerSection(wired *wireClaim, resp *http.Response) []byte {
	if wired == nil {
		return append(appendHeaderLines(nil, resp.StatusCode, resp.Header), '\n')
	}
	info, final, _ := g.wire.response(wired)
	var b []byte
	for _, block := range info {
		b = append(appendWireBlock(b, block), '\n')
	}
	return append(appendWireBlock(b, final), '\n')
}

// trailerLines returns the lines of a response's trailers, read to its
// end: as they arrived, or resp's sorted.
func (g *getter) trailerLines(wired *wireClaim, resp *http.Response) []byte {
	if wired == nil {
		if !hasValues(resp.Trailer) {
			return nil
		}
		return appendHeaderLines(nil, 0, resp.Trailer)
	}
	_, _, trailers := g.wire.response(wired)
	var b []byte
	for _, block := range trailers {
		b = appendWireBlock(b, block)
	}
	return b
}

// requestPath is the :path h2client sends for u.
func requestPath(u *url.URL) string {
	if u.Opaque == "" && u.RawPath == "" && u.Path == "" && u.RawQuery == "" {
		return "/"
	}
	return u.RequestURI()
}

// h2Addr is the address h2client dials for u (host:port as in the URL).
func h2Addr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return dialAddress(u)
}

// newRequest builds the request of f with the -H fields.
func (g *getter) newRequest(ctx context.Context, f *getFetch) (*http.Request, error) {
	var body io.Reader
	if f.data != nil {
		body = bytes.NewReader(f.data) // ContentLength and GetBody follow
	}
	if f.prio != nil {
		ctx = h2client.WithStreamPriority(ctx, *f.prio) // RFC 7540 (get_prio7540.go)
	}
	req, err := http.NewRequestWithContext(ctx, f.method, f.url.String(), body)
	if err != nil {
		return nil, err
	}
	for _, h := range g.o.headers {
		switch h.Name {
		case ":authority", "host":
			req.Host = h.Value
		case ":method":
			// already the method
		default:
			req.Header.Add(h.Name, h.Value)
		}
	}
	if _, ok := req.Header["Accept"]; !ok {
		req.Header.Set("Accept", "*/*")
	}
	if _, ok := req.Header["Priority"]; !ok && g.o.extpri != "" {
		req.Header.Set("Priority", g.o.extpri) // RFC 9218, Section 5
	}
	return req, nil
}

// launchAssets fetches the assets of page, found in its body, right
// after it in the output: those not requested or pushed already.
func (g *getter) launchAssets(page *getFetch, body []byte) {
	prev := page
	for _, a := range htmlAssetList(body, page.url) {
		u := a.url
		k := urlKey(u)
		g.mu.Lock()
		skip := g.requested[k] || g.promised[k]
		g.requested[k] = true
		g.mu.Unlock()
		if skip {
			continue
		}
		f := g.newFetch(u, http.MethodGet, nil, true, prev)
		f.prio = g.o.assetPriority(a.kind)
		prev = f
		g.launch(f)
	}
}

// setRow changes a stat row under the lock (pushed rows are read while
// late pushes may still write them).
func (g *getter) setRow(r *statRow, change func(*statRow)) {
	g.mu.Lock()
	change(r)
	g.mu.Unlock()
}

// acceptPush takes every promise and records it (Transport.AcceptPush,
// on the connection's goroutine).
func (g *getter) acceptPush(req *http.Request) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.promised[urlKey(req.URL)] = true
	row := g.pushRow(req)
	g.pushes[req] = row
	g.pushPromised++
	g.notePush()
	return true
}

// onPush reads a pushed response, into --push-dir when given
// (Transport.PushHandler).
func (g *getter) onPush(req *http.Request, resp *http.Response) {
	defer resp.Body.Close()
	g.mu.Lock()
	row := g.pushes[req]
	delete(g.pushes, req)
	if row == nil { // not seen by acceptPush (cannot happen): count it anyway
		row = g.pushRow(req)
	} else {
		g.pushPromised--
	}
	g.pushActive++
	g.notePush()
	row.headers, row.status = g.since(), resp.StatusCode
	if row.har != nil {
		noteHARResponse(row.har, nil, resp)
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.pushActive--
		g.notePush()
		g.mu.Unlock()
	}()

	var w io.Writer = io.Discard
	var file *os.File
	var name string
	if g.pushDir != nil && resp.StatusCode/100 == 2 {
		g.mu.Lock()
		if !g.pushPaths[req.URL.Path] { // a path pushed again is saved once
			g.pushPaths[req.URL.Path] = true
			name = uniqueName(pushFileName(req.URL.Path), g.pushNames)
		}
		g.mu.Unlock()
	}
	if name != "" {
		var err error
		if file, err = g.pushDir.Create(name); err != nil {
			g.failf("push %s: %v", req.URL, err)
		} else {
			w = file
		}
	}
	n, err := io.Copy(w, resp.Body)
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			g.pushDir.Remove(name)
		}
	}
	g.setRow(row, func(r *statRow) {
		r.size = n
		if err == nil {
			r.end = g.since()
		} else {
			r.failed = true
		}
	})
	if err != nil && !cancelledPush(err) {
		g.failf("push %s: %v", req.URL, err)
	}
}

// cancelledPush reports whether err is the server giving up a push
// (RST_STREAM CANCEL or REFUSED_STREAM), which is not an error of the
// exchange.
func cancelledPush(err error) bool {
	var se *h2kit.StreamError
	return errors.As(err, &se) && se.Initiator == h2kit.Remote &&
		(se.Code == frame.ErrCodeCancel || se.Code == frame.ErrCodeRefusedStream)
}

// notePush wakes waitPushes (g.mu held).
func (g *getter) notePush() {
	select {
	case g.pushChanged <- struct{}{}:
	default:
	}
}

// waitPushes waits for the pushed responses being read, and for the
// promises without a response for up to getPushGrace.
func (g *getter) waitPushes() {
	grace := time.NewTimer(getPushGrace)
	defer grace.Stop()
	for {
		g.mu.Lock()
		promised, active := g.pushPromised, g.pushActive
		g.mu.Unlock()
		switch {
		case promised == 0 && active == 0:
			return
		case active > 0:
			grace.Reset(getPushGrace) // the grace counts from the last progress
		}
		select {
		case <-g.pushChanged:
		case <-grace.C:
			g.mu.Lock()
			promised, active = g.pushPromised, g.pushActive
			g.mu.Unlock()
			if active > 0 {
				continue
			}
			if promised > 0 && g.trace != nil {
				g.trace.Event("", fmt.Sprintf("%d pushed response(s) promised but never received", promised))
			}
			return
		}
	}
}

// isHTML reports whether resp, the response to u, is an HTML page (by
// its content-type, or its path when it has none).
func isHTML(resp *http.Response, u *url.URL) bool {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		p := u.Path
		return strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".htm")
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// hasValues reports whether h holds a field value (a declared trailer
// that never came has none).
func hasValues(h http.Header) bool {
	for _, v := range h {
		if len(v) > 0 {
			return true
		}
	}
	return false
}

// describeErr makes a request's error readable: a timeout says so (a
// server that stopped answering says so itself).
func describeErr(ctx context.Context, err error) error {
	if errors.Is(err, h2client.ErrServerSilent) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out (%w)", err)
	}
	return err
}

// limitedBuffer keeps the first max bytes written to it and drops the
// rest without error.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
