package main

// This file holds the command line of `h2kit serve` (like nghttpd): its
// flags, their checks, and the run: listeners, TLS, the HTTP/2 server,
// signals and the graceful shutdown. The handlers are in
// serve_handlers.go (demo site and test endpoints) and serve_files.go
// (--root and --push); the certificate in serve_cert.go; the access log
// and the -v connection tracking in serve_log.go.

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/h2kit/h2kit/h2server"
)

func init() {
	register(&command{name: "serve", summary: "serve a demo site or files over HTTP/2 (like nghttpd)", run: runServe})
}

const serveUsage = `usage: h2kit serve [--addr HOST:PORT] [--h2c] [--cert FILE --key FILE]
                   [--tls-backend go|openssl] [--client-ca FILE]
                   [--client-cert-path PREFIX]
                   [--root DIR] [--push PATH=ASSET[,ASSET...]]... [--no-push]
                   [--max-concurrent-streams N] [-w BITS] [-W BITS]
                   [-v] [--log FILE | --no-access-log] [DIR]

Serves HTTP/2 (and HTTP/1.1) on one port, like nghttpd.

By default: TLS on localhost:8443 with a self-signed certificate made at
start for localhost, 127.0.0.1 and ::1 (ECDSA P-256; its SHA-256
fingerprint is printed), ALPN "h2" and "http/1.1". With --h2c: cleartext,
HTTP/1.1, h2c Upgrade and h2c with prior knowledge on one port (default
localhost:8080).

Without --root, a demo site that shows what HTTP/2 does (its page pushes
its stylesheet, script and logo), and test endpoints:
  /headers       the request's header fields as JSON, pseudo-headers included
  /echo          the request body, sent back
  /bytes/N       N bytes (at most 1 GiB), the same on every request
  /trailers      a body followed by trailer fields
  /delay/MS      answers after MS milliseconds (at most 30000)
  /status/CODE   a response with status CODE (200 to 599)
  /protected_resource
                 the verified client certificate's subject (see
                 --client-cert-path; MS-HTTP2E's example)
  /ws            a WebSocket echo: over HTTP/2 (RFC 8441 extended CONNECT,
                 advertised with SETTINGS_ENABLE_CONNECT_PROTOCOL) and
                 over HTTP/1.1 (Upgrade: websocket); its first message
                 names the protocol that carries it
  /.h2kit/frames the frames of the request's own HTTP/2 connection, as
                 JSON: each demo connection keeps a record (at most
                 4000 frames, 1 MiB), which the page draws
  /.h2kit/h1     {"origin": URL} of the demo's HTTP/1.1-only origin: a
                 second port the system picks (printed at start), for
                 the page's HTTP/2 and HTTP/1.1 comparison
With --root DIR (or DIR as argument): the files of DIR, index.html for a
directory, no directory listings, nothing outside DIR. Files of up to
64 KiB are kept in memory: a change to one is served to the requests that
start more than 1 ms after it.

options:
  -a, --addr HOST:PORT     listen address (default localhost:8443, or
                           localhost:8080 with --h2c); "localhost" listens
                           on 127.0.0.1 and, when available, ::1
      --h2c                serve cleartext HTTP/2 (h2c) and HTTP/1.1, no TLS
      --cert FILE          TLS certificate chain (PEM), with --key
      --key FILE           TLS private key (PEM), with --cert
      --tls-backend NAME   go (crypto/tls, the default) or openssl (the
                           system's libssl; only in a binary built with
                           -tags h2kit_openssl), which can renegotiate
                           TLS 1.2 to ask for a client certificate
                           (MS-HTTP2E); with --client-ca it serves TLS 1.2
      --client-ca FILE     CA certificates (PEM) that client certificates
                           must chain to
      --client-cert-path PREFIX
                           requests under PREFIX need a verified client
                           certificate (default /protected_resource; ""
                           for none): asked by renegotiation over HTTP/2
                           when the client sends TLS_RENEG_PERMITTED 0x02,
                           else RST_STREAM HTTP_1_1_REQUIRED and a
                           renegotiation over HTTP/1.1 (openssl backend);
                           with the go backend, only a certificate given
                           in the handshake counts. Without one: 403
  -d, --root DIR           serve the files of DIR instead of the demo site
  -p, --push PATH=ASSET[,ASSET...]
                           when PATH is requested, push ASSETs (paths
                           starting with /); repeatable, all apply. Each
                           ASSET must be served (checked at start): a
                           file inside the root, or a demo site path.
                           An asset is pushed once per connection.
      --no-push            do not push the demo page's assets
      --max-concurrent-streams N
                           SETTINGS_MAX_CONCURRENT_STREAMS: requests in
                           flight per connection, 1 to 2147483647
                           (default 250)
  -w, --window-bits BITS   stream receive window (request bodies):
                           2**BITS-1 bytes, 0 to 30 (default 1 MiB;
                           0 gives 1 byte, the least h2server takes)
  -W, --connection-window-bits BITS
                           connection receive window: 2**BITS-1 bytes,
                           0 to 30 (default 1 MiB; below 16, the
                           protocol's initial 65535)
      --shutdown-timeout DURATION
                           on SIGINT/SIGTERM, how long to wait for streams
                           in flight before closing (default 10s)
  -v, --verbose            print every frame sent and received, in the
                           format of nghttpd -v, instead of the access log
      --log FILE           append the access log to FILE instead of
                           standard output (all requests, also with -v)
      --no-access-log      write no access log
  -h, --help               print this help

Output: the URL to open, then one access-log line per request (or the
frames with -v) on standard output; pushed=true marks a pushed response.
SIGINT or SIGTERM shuts down gracefully (GOAWAY, then the streams in
flight finish); a second signal closes at once.

Exit status: 0 after a graceful shutdown, 1 when serving failed (port in
use, unreadable certificate or --log file, shutdown timed out), 2 for a
usage error (a --push asset that is not served included).
`

// Defaults and caps of serve.
const (
	serveDefaultTLSAddr    = "localhost:8443"
	serveDefaultH2CAddr    = "localhost:8080"
	serveDefaultShutdown   = 10 * time.Second
	serveReadHeaderTimeout = 10 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveMaxStreams        = 1<<31 - 1 // --max-concurrent-streams
)

// serveOptions is the parsed command line of h2kit serve.
type serveOptions struct {
	addr            string
	h2c             bool
	certFile        string
	keyFile         string
	root            string
	push            pushRules
	noPush          bool
	verbose         bool
	noAccessLog     bool   // --no-access-log
	logFile         string // --log FILE: the access log goes there
	shutdownTimeout time.Duration

	maxStreams     int  // --max-concurrent-streams; 0: h2server's default
	windowBits     int  // -w
	windowSet      bool // -w given
	connWindowBits int  // -W
	connWindowSet  bool // -W given

	cc clientCertOptions // --tls-backend, --client-ca, --client-cert-path (serve_reneg.go)

	// Set by serve, not by flags: closed when the server shuts down (the
	// /ws WebSockets are then closed with 1001), and the log of /ws.
	wsStopping <-chan struct{}
	wsLogger   *slog.Logger
}

// parseServeArgs parses the arguments of h2kit serve. It returns
// flag.ErrHelp for -h.
func parseServeArgs(args []string) (*serveOptions, error) {
	o := &serveOptions{push: pushRules{}, shutdownTimeout: serveDefaultShutdown}
	fs := newFlags("serve")
	strVar, boolVar := fs.str, fs.boolean
	strVar(&o.addr, "a", "addr")
	boolVar(&o.h2c, "", "h2c")
	strVar(&o.certFile, "", "cert")
	strVar(&o.keyFile, "", "key")
	strVar(&o.root, "d", "root")
	fs.value(o.push, "p", "push")
	boolVar(&o.noPush, "", "no-push")
	boolVar(&o.verbose, "v", "verbose")
	boolVar(&o.noAccessLog, "", "no-access-log")
	strVar(&o.logFile, "", "log")
	fs.Var(durationFlag{&o.shutdownTimeout}, "shutdown-timeout", "")
	fs.integer(&o.maxStreams, "", "max-concurrent-streams", 0)
	fs.value(windowFlag{&o.windowBits, &o.windowSet}, "w", "window-bits")
	fs.value(windowFlag{&o.connWindowBits, &o.connWindowSet}, "W", "connection-window-bits")
	o.cc.register(fs)

	rest, given, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	if given["max-concurrent-streams"] && (o.maxStreams < 1 || o.maxStreams > serveMaxStreams) {
		return nil, fmt.Errorf("--max-concurrent-streams %d: want 1 to %d", o.maxStreams, serveMaxStreams)
	}
	switch {
	case slices.ContainsFunc(rest, looksLikePushRule):
		// "-p /=/a.css /=/b.js": the second rule without its flag.
		return nil, fmt.Errorf("%q looks like a push rule without its --push: give each rule its own --push, or list the assets of a path with commas (--push PATH=ASSET,ASSET)", rest[slices.IndexFunc(rest, looksLikePushRule)])
	case len(rest) > 1:
		return nil, fmt.Errorf("unexpected arguments %q: at most one DIR", rest)
	case len(rest) == 1 && o.root != "":
		return nil, errors.New("give the directory as --root DIR or as DIR, not both")
	case len(rest) == 1:
		o.root = rest[0]
	}
	if o.noAccessLog && o.logFile != "" {
		return nil, errors.New("--no-access-log and --log FILE: choose one")
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if o.h2c && o.certFile != "" {
		return nil, errors.New("--h2c serves cleartext: --cert and --key do not apply")
	}
	if err := o.cc.check(o.h2c, given); err != nil {
		return nil, err
	}
	if o.addr == "" {
		o.addr = serveDefaultTLSAddr
		if o.h2c {
			o.addr = serveDefaultH2CAddr
		}
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return nil, fmt.Errorf("--addr %q: want HOST:PORT (%v)", o.addr, err)
	}
	return o, nil
}

// looksLikePushRule reports whether an operand looks like a --push rule
// (/PATH=/ASSET) rather than a directory.
func looksLikePushRule(s string) bool {
	p, a, ok := strings.Cut(s, "=")
	return ok && strings.HasPrefix(p, "/") && strings.HasPrefix(a, "/")
}

// runServe is the run function of the serve command.
func runServe(args []string, stdout, stderr io.Writer) int {
	o, err := parseServeArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, serveUsage)
		return exitOK
	}
	if err == nil {
		err = checkPushAssets(o)
	}
	if err != nil {
		return usageError(stderr, "serve", err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := serve(o, sigs, stdout); err != nil {
		fmt.Fprintf(stderr, "h2kit serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serve runs the server of o until a signal arrives on sigs, then shuts
// it down. Output goes to out.
func serve(o *serveOptions, sigs <-chan os.Signal, out io.Writer) error {
	start := time.Now()
	tracked := newConnTracker()
	aw := newAsyncWriter(out)
	defer aw.Close()
	out = aw
	logger := slog.New(slog.NewTextHandler(out, nil))
	stopping := make(chan struct{}) // closed at shutdown: ends the /ws WebSockets
	o.wsStopping, o.wsLogger = stopping, logger
	var h1 *h1Origin // the demo's HTTP/1.1 origin (serve_h1.go)
	handler, err := serveChain(o, tracked, &h1)
	if err != nil {
		return err
	}
	var trace *traceOutput
	if o.verbose {
		trace = newTraceOutput(out, start)
	}
	switch {
	case o.noAccessLog:
	case o.logFile != "":
		// Every request, -v or not: the frames go to standard output.
		f, err := os.OpenFile(o.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		defer f.Close()
		lw := newAsyncWriter(f)
		defer lw.Close() // before f.Close: writes what is left
		handler = textAccessLog(handler, lw, false)
	default:
		handler = textAccessLog(handler, out, o.verbose) // as accessLog with logger, cheaper
	}

	// RFC 8441: SETTINGS_ENABLE_CONNECT_PROTOCOL only where /ws is (the
	// demo site): browsers take the setting as a promise that WebSockets
	// work on the connection.
	srv := &h2server.Server{Handler: handler, Logger: logger, EnableConnectProtocol: o.root == ""}
	applyServeSettings(srv, o)
	// The demo page draws its own connection: record the frames of each
	// (serve_frames.go).
	srv.NewTracer = tracked.serveTracers(trace, o.root == "")
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		IdleTimeout:       serveIdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	var banner []string
	var osslWrap func(net.Listener) net.Listener // --tls-backend openssl
	if !o.h2c {
		cert, info, err := serveCertificate(o.certFile, o.keyFile, start)
		if err != nil {
			return err
		}
		wrap, lines, err := o.cc.configureTLS(hs, srv, cert)
		if err != nil {
			return err
		}
		osslWrap = wrap
		banner = append(append(banner, info...), lines...)
	} else {
		hs.Handler = h2server.H2C(handler, srv) // ServeH2C keeps it; set before any Serve
	}

	if o.root == "" {
		if h1, err = startH1Origin(o.addr, handler, hs.TLSConfig, hs.ErrorLog); err != nil {
			return err
		}
		defer h1.close()
		banner = append(banner, "HTTP/1.1 only, for the demo page's comparison: "+h1.url(o.addr)+"/")
	}
	listeners, err := serveListen(o.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w (another server has the port: choose one with --addr HOST:PORT)", err)
	}
	if err != nil {
		return err
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		l = tracked.wrap(l)
		go func() {
			if o.h2c {
				errc <- srv.ServeH2C(l, hs)
			} else if osslWrap != nil {
				errc <- srv.ServeTLSConns(osslWrap(l), hs)
			} else {
				errc <- hs.Serve(tls.NewListener(l, hs.TLSConfig))
			}
		}()
	}

	scheme, mode := "https", "TLS, ALPN h2 and http/1.1"
	if o.h2c {
		scheme, mode = "http", "cleartext: HTTP/1.1, h2c Upgrade and prior knowledge"
	}
	content := "demo site and test endpoints"
	if o.root != "" {
		content = "files of " + o.root
	}
	fmt.Fprintf(out, "h2kit serve: %s on %s (%s)\n", content, serveAddrs(listeners), mode)
	for _, line := range banner {
		fmt.Fprintf(out, "  %s\n", line)
	}
	fmt.Fprintf(out, "Open %s://%s/\n", scheme, serveURLHost(o.addr, listeners[0].Addr()))

	select {
	case err := <-errc:
		// A listener failed on its own: stop the rest at once.
		srv.Close()
		hs.Close()
		return fmt.Errorf("serving: %w", err)
	case sig := <-sigs:
		fmt.Fprintf(out, "h2kit serve: %v: shutting down (GOAWAY; waiting up to %v for streams in flight)\n", sig, o.shutdownTimeout)
	}
	close(stopping)
	err = serveShutdown(srv, hs, o.shutdownTimeout, sigs, out)
	// Let the last connections print "closed" (-v) before exiting.
	tracked.waitClosed(250 * time.Millisecond)
	return err
}

// serveChain returns the handler of o without its access log: the files
// or the demo site with the push rules, the demo's routes (which set *h1
// once the demo's HTTP/1.1 origin is started), and the client certificate
// paths. For files without push rules, a quickRoot: the access log takes
// its cached files' way.
func serveChain(o *serveOptions, tracked *connTracker, h1 **h1Origin) (http.Handler, error) {
	handler, rh, err := newServeHandlerRoot(o, tracked.diary)
	if err != nil {
		return nil, err
	}
	if o.root == "" {
		handler = withDemoRoutes(handler, tracked, h1)
	}
	handler = o.cc.handler(handler, o.root == "")
	if rh != nil && len(o.push) == 0 {
		handler = &quickRoot{Handler: handler, root: rh, cc: &o.cc}
	}
	return handler, nil
}

// applyServeSettings sets the SETTINGS and windows of the command line
// on srv; what was not given keeps h2server's defaults. h2server reads 0
// as its default, so -w 0 gives a window of 1 byte (the least it can
// have), and -W below 16 the connection's initial 65,535 bytes (a
// connection window cannot start smaller).
func applyServeSettings(srv *h2server.Server, o *serveOptions) {
	if o.maxStreams > 0 {
		srv.MaxConcurrentStreams = uint32(o.maxStreams)
	}
	if o.windowSet {
		srv.InitialWindowSize = max(windowSize(o.windowBits), 1)
	}
	if o.connWindowSet {
		srv.ConnectionWindow = max(windowSize(o.connWindowBits), 65535)
	}
}

// serveShutdown stops srv and hs gracefully: the two-phase GOAWAY on every
// HTTP/2 connection, HTTP/1.1 keep-alive connections closed when idle.
// It gives up after timeout or at a second signal and closes everything.
func serveShutdown(srv *h2server.Server, hs *http.Server, timeout time.Duration, sigs <-chan os.Signal, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			fmt.Fprintln(out, "h2kit serve: second signal: closing now")
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	var srvErr, hsErr error
	wg.Go(func() { srvErr = srv.Shutdown(ctx) })
	wg.Go(func() { hsErr = hs.Shutdown(ctx) })
	wg.Wait()
	if err := errors.Join(srvErr, hsErr); err != nil {
		srv.Close()
		hs.Close()
		return fmt.Errorf("shutdown: streams still in flight, connections closed (%v)", ctx.Err())
	}
	fmt.Fprintln(out, "h2kit serve: stopped")
	return nil
}

// serveListen opens the listeners of addr. "localhost" means 127.0.0.1
// and, if it can be had, ::1 on the same port (the certificate covers
// both); other hosts are listened on as net.Listen does.
func serveListen(addr string) ([]net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	if host != "localhost" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, err
	}
	ls := []net.Listener{l}
	port = fmt.Sprint(l.Addr().(*net.TCPAddr).Port) // the same port when it was 0
	if l6, err := net.Listen("tcp6", net.JoinHostPort("::1", port)); err == nil {
		ls = append(ls, l6)
	}
	return ls, nil
}

// serveAddrs lists the listeners' addresses.
func serveAddrs(ls []net.Listener) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Addr().String())
	}
	return strings.Join(s, " and ")
}

// serveURLHost is the host:port to print in the URL: the host as given
// (localhost for a wildcard address) and the port listened on.
func serveURLHost(addr string, la net.Addr) string {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	port := "0"
	if ta, ok := la.(*net.TCPAddr); ok {
		port = fmt.Sprint(ta.Port)
	}
	return net.JoinHostPort(host, port)
}

// asyncWriter serializes writes from the connections, the access log and
// the tracer to one writer, and takes the writing off the requests' path:
// Write appends to a buffer and a flusher goroutine writes it out
// asyncDelay later, so that a handler does not wait on the terminal or
// the file, and the lines of that time (under load, hundreds) go out in
// one write. Close writes what is left.
type asyncWriter struct {
	w    io.Writer
	kick chan struct{} // capacity 1: something to write
	// kicked is set by the kick that the flusher has yet to take.
	kicked atomic.Bool
	quit   chan struct{}
	done   chan struct{}

	mu    sync.Mutex
	buf   []byte
	late  atomic.Pointer[lateLine] // access-log lines written while mu was held, newest first (writeAccessLine)
	wmu   sync.Mutex               // held while writing to w: keeps the order
	spare []byte                   // the flusher's buffer (under wmu)
}

// asyncMaxBuffer bounds the buffered output: past it, Write writes
// itself (a slow terminal slows the server rather than filling memory).
const asyncMaxBuffer = 1 << 20

// asyncDelay is how long the flusher lets output gather after the first
// Write before writing it: at 50,000 requests a second, one write per 250
// access-log lines rather than one per dozen (a write to a file and the
// flusher's wake-up cost several microseconds each), and at most 200
// wake-ups a second; a line reaches its file or terminal within a few
// milliseconds.
const asyncDelay = 5 * time.Millisecond

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go a.flusher()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	a.takeLate()
	a.buf = append(a.buf, p...)
	a.appended()
	return len(p), nil
}

// appended ends a write to a.buf (a.mu held, released here): it has the
// buffer written now when it reached asyncMaxBuffer, else by the flusher.
func (a *asyncWriter) appended() {
	full := len(a.buf) >= asyncMaxBuffer
	a.mu.Unlock()
	if full {
		a.flush()
		return
	}
	a.kickFlusher()
}

// kickFlusher tells the flusher there is something to write. Under load
// it mostly has been told already, and has yet to write (kicked): then
// the send, a call, is skipped. What was appended before kickFlusher
// saw kicked set is written by the flush that follows the kick, which
// comes after the flusher clears kicked.
func (a *asyncWriter) kickFlusher() {
	if a.kicked.Load() {
		return
	}
	a.kicked.Store(true)
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// flush writes what is buffered.
func (a *asyncWriter) flush() {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	a.takeLate()
	b := a.buf
	a.buf = a.spare[:0]
	a.mu.Unlock()
	if len(b) > 0 {
		a.w.Write(b)
	}
	if cap(b) > 2*asyncMaxBuffer {
		// Do not keep a buffer a burst grew past the bound. (One that
		// reached the bound is kept: append's growth takes it past
		// asyncMaxBuffer, and growing it again from nothing each time
		// would copy what a slow writer lets gather several times.)
		b = nil
	}
	a.spare = b
}

func (a *asyncWriter) flusher() {
	defer close(a.done)
	gather := time.NewTimer(asyncDelay)
	gather.Stop()
	for {
		select {
		case <-a.kick:
			a.kicked.Store(false) // before the flush: what is appended after it kicks again
		case <-a.quit:
			return // Close writes what is left
		}
		gather.Reset(asyncDelay)
		select {
		case <-gather.C:
			a.flush()
		case <-a.quit:
			return
		}
	}
}

// Close stops the flusher and writes what is left. Writes after it are
// buffered and not written.
func (a *asyncWriter) Close() {
	close(a.quit)
	<-a.done
	a.flush()
}

// syncWriter serializes writes from several goroutines to one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
