package main

// This file holds what serve prints about requests and connections: the
// access log (one log/slog line per request) and, with -v, the connection
// tracking that gives each connection an id, as nghttpd -v does
// ("[id=1] [  0.502] send SETTINGS frame ..."), and a "closed" line when
// it ends.

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/h2kit/h2kit"
)

// accessLog wraps h to log one line per request: method, path, status,
// bytes, duration, proto, remote, and for HTTP/2 the stream id (when the
// server tells it, see streamIDOf) and whether the response was pushed.
// With verbose (-v, where the frames show the HTTP/2 requests), only
// requests of other protocols are logged.
func accessLog(h http.Handler, logger *slog.Logger, verbose bool) http.Handler {
	return accessLogFunc(h, verbose, func(r *http.Request, rec logRecord, start int64) {
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.RequestURI()),
			slog.Int("status", rec.finalStatus()),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Duration(monoNow()-start)),
			slog.String("proto", r.Proto),
			slog.String("remote", r.RemoteAddr),
		}
		if rec.stream != 0 {
			attrs = append(attrs, slog.Uint64("stream", uint64(rec.stream)))
		}
		if rec.pushed {
			attrs = append(attrs, slog.Bool("pushed", true))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// textAccessLog is accessLog with a logger slog.New(slog.NewTextHandler(out,
// nil)), its lines formatted here, at a fraction of the cost: the same
// text, written to out in one Write per line as the handler does. When
// out is serve's asyncWriter, the line is formatted straight into its
// buffer (writeAccessLine), else in a pooled one.
func textAccessLog(h http.Handler, out io.Writer, verbose bool) http.Handler {
	aw, _ := out.(*asyncWriter)
	return accessLogFunc(h, verbose, func(r *http.Request, rec logRecord, start int64) {
		end := monoNow()
		target, plain := logTarget(r.URL)
		e := accessEntry{
			method: r.Method, path: target, pathPlain: plain, status: rec.finalStatus(), bytes: rec.bytes,
			duration: time.Duration(end - start),
			proto:    r.Proto, remote: r.RemoteAddr, stream: rec.stream, pushed: rec.pushed,
		}
		if aw != nil {
			aw.writeAccessLine(end, &e)
			return
		}
		p := linePool.Get().(*[]byte)
		b := appendAccessLineAt((*p)[:0], end, &e)
		out.Write(b)
		*p = b
		linePool.Put(p)
	})
}

// accessEntry is what an access-log line says of a request.
type accessEntry struct {
	method, path  string
	pathPlain     bool // path needs no quoting (logTarget said so)
	status        int
	bytes         int64
	duration      time.Duration
	proto, remote string
	stream        uint32 // HTTP/2 stream id; 0: unknown or not HTTP/2
	pushed        bool   // a pushed response
}

// writeAccessLine appends the access-log line of e at the monotonic
// reading mono (appendAccessLineAt) to the buffer,
// as Write would write it, formatted in place: no line buffer and no copy
// of its own. (Under load the lines were copied to a buffer end that is
// rarely in the cache, and the lock's release waited for those stores.)
//
// It never waits for the buffer's lock: when another goroutine holds it,
// the line goes, formatted in a line of its own, to a list that the
// next holder of the lock moves into the buffer (takeLate). A handler
// that waited would have its server start another goroutine for the
// next request, which would wait too: a holder descheduled in the lock
// (preempted, or the flusher) made hundreds of handler goroutines, whose
// stacks every GC then scanned.
func (a *asyncWriter) writeAccessLine(mono int64, e *accessEntry) {
	if a.mu.TryLock() {
		a.takeLate()
		a.buf = appendAccessLineAt(a.buf, mono, e)
		a.appended()
		return
	}
	l := lateLines.Get().(*lateLine)
	l.b = appendAccessLineAt(l.b[:0], mono, e)
	for {
		l.next = a.late.Load()
		if a.late.CompareAndSwap(l.next, l) {
			break
		}
	}
	a.kickFlusher()
}

// lateLine is an access-log line written while the buffer was locked.
type lateLine struct {
	b    []byte
	next *lateLine // the one written before
}

var lateLines = sync.Pool{New: func() any { return &lateLine{b: make([]byte, 0, 256)} }}

// takeLate moves the late lines into the buffer, oldest first (a.mu
// held).
func (a *asyncWriter) takeLate() {
	if a.late.Load() == nil {
		return
	}
	var oldest *lateLine
	for l := a.late.Swap(nil); l != nil; {
		next := l.next
		l.next, oldest = oldest, l
		l = next
	}
	for l := oldest; l != nil; {
		next := l.next
		a.buf = append(a.buf, l.b...)
		l.next = nil
		lateLines.Put(l)
		l = next
	}
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendAccessLine appends the access-log line of a request as slog's
// TextHandler (default options) writes it for the record of accessLog.
func appendAccessLine(b []byte, t time.Time, e *accessEntry) []byte {
	b = append(b, "time="...)
	b = appendLogTime(b, t)
	return appendAccessFields(b, e)
}

// appendAccessLineAt is appendAccessLine at the time logWallTime gives
// for the monotonic reading mono (appendLogNow).
func appendAccessLineAt(b []byte, mono int64, e *accessEntry) []byte {
	ls := logSecondAt(mono)
	b = append(b, ls.head...) // "time=" included
	b = appendLogMillis(b, ls, mono)
	if e.method == http.MethodGet {
		b = append(b, ls.zoneGet...)
		return appendAccessPath(b, e)
	}
	b = append(b, ls.zone...)
	return appendAccessFields(b, e)
}

// accessGet is what follows the time in the access-log line of a GET,
// up to the path.
const accessGet = " level=INFO msg=request method=GET path="

// appendAccessFields appends what follows the time in an access-log line.
// The usual method, status and protocol are written with the names
// around them in one piece each.
func appendAccessFields(b []byte, e *accessEntry) []byte {
	if e.method == http.MethodGet {
		b = append(b, accessGet...)
	} else {
		b = append(b, " level=INFO msg=request method="...)
		b = appendLogWord(b, e.method)
		b = append(b, " path="...)
	}
	return appendAccessPath(b, e)
}

// appendAccessPath appends the access-log line from the path on.
func appendAccessPath(b []byte, e *accessEntry) []byte {
	if e.pathPlain {
		b = append(b, e.path...)
	} else {
		b = appendLogString(b, e.path)
	}
	switch st := e.status; {
	case st == http.StatusOK:
		b = append(b, " status=200 bytes="...)
	case st >= 100 && st <= 999:
		d := &logDigits[st]
		b = append(b, " status="...)
		b = append(b, d[0], d[1], d[2])
		b = append(b, " bytes="...)
	default:
		b = append(b, " status="...)
		b = strconv.AppendInt(b, int64(st), 10)
		b = append(b, " bytes="...)
	}
	if e.bytes >= 0 {
		b = appendLogUint(b, uint64(e.bytes))
	} else {
		b = strconv.AppendInt(b, e.bytes, 10)
	}
	b = append(b, " duration="...)
	b = appendLogDuration(b, e.duration)
	if e.proto == "HTTP/2.0" {
		b = append(b, " proto=HTTP/2.0 remote="...)
	} else {
		b = append(b, " proto="...)
		b = appendLogWord(b, e.proto)
		b = append(b, " remote="...)
	}
	b = appendLogString(b, e.remote)
	if e.stream != 0 {
		b = append(b, " stream="...)
		b = appendLogUint(b, uint64(e.stream))
	}
	if e.pushed {
		b = append(b, " pushed=true"...)
	}
	return append(b, '\n')
}

// appendLogTime appends t as slog writes a record's time: RFC 3339 with
// milliseconds ("2006-01-02T15:04:05.000Z07:00").
func appendLogTime(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// appendLogDuration appends d as d.String() writes it, without making the
// string: a request's duration, under a second, as "850ns", "12.345µs"
// or "1.5ms" (the fraction without its trailing zeros); others through
// String.
func appendLogDuration(b []byte, d time.Duration) []byte {
	if d <= 0 || d >= time.Second {
		return append(b, d.String()...)
	}
	u := uint64(d)
	switch {
	case u < uint64(time.Microsecond):
		return append(appendBelow1000(b, u), "ns"...)
	case u < uint64(time.Millisecond):
		// Three digits of fraction: nanoseconds.
		b = appendBelow1000(b, u/1000)
		if frac := u % 1000; frac != 0 {
			b = appendFraction3(append(b, '.'), frac)
		}
		return append(b, "µs"...)
	}
	// Six digits of fraction, in two groups of three: microseconds, then
	// nanoseconds.
	b = appendBelow1000(b, u/1e6)
	if frac := u % 1e6; frac != 0 {
		b = append(b, '.')
		if hi, lo := frac/1000, frac%1000; lo == 0 {
			b = appendFraction3(b, hi)
		} else {
			d := &logDigits[hi%1000]
			b = append(b, d[0], d[1], d[2])
			b = appendFraction3(b, lo)
		}
	}
	return append(b, "ms"...)
}

// appendFraction3 appends 0 < n < 1000 as three digits of a fraction,
// without their trailing zeros ("05" for 50, "5" for 500).
func appendFraction3(b []byte, n uint64) []byte {
	d := &logDigits[n%1000]
	switch {
	case d[2] != '0':
		return append(b, d[0], d[1], d[2])
	case d[1] != '0':
		return append(b, d[0], d[1])
	}
	return append(b, d[0])
}

// logDigits holds the three decimal digits of each number below 1000
// ("007" for 7): a number's digits in one lookup rather than a division
// each.
var logDigits = func() (t [1000][3]byte) {
	for n := range t {
		t[n] = [3]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}
	}
	return t
}()

// appendLogUint appends n in decimal, as strconv.AppendUint does: a
// stream id is mostly below a million, written here in at most two steps
// of three digits instead of strconv's general loop.
func appendLogUint(b []byte, n uint64) []byte {
	switch {
	case n < 1000:
		return appendBelow1000(b, n)
	case n < 1000000:
		b = appendBelow1000(b, n/1000)
		d := &logDigits[n%1000]
		return append(b, d[0], d[1], d[2])
	}
	return strconv.AppendUint(b, n, 10)
}

// appendBelow1000 appends n < 1000 in decimal, as strconv.AppendUint
// would, without its call.
func appendBelow1000(b []byte, n uint64) []byte {
	d := &logDigits[n%1000]
	switch {
	case n >= 100:
		return append(b, d[0], d[1], d[2])
	case n >= 10:
		return append(b, d[1], d[2])
	}
	return append(b, d[2])
}

// logSecond is the second of the latest access-log time: its text before
// the milliseconds and the zone after them, and where it began in
// monoNow's terms by the clock reading it comes from.
type logSecond struct {
	clock *logClock
	start int64 // monoNow() at which the second began
	// until is when it ends for the access log: at the end of the
	// second, or when its clock reading is a second old, if sooner
	// (logClockAt then reads the system clock again).
	until   int64
	head    []byte // "time=2006-01-02T15:04:05." (appendLogNow leaves out "time=")
	zone    []byte // "Z" or "-07:00"
	zoneGet []byte // zone and accessGet
}

var lastLogSecond atomic.Pointer[logSecond]

// appendLogNow appends the access-log time of the monotonic reading mono:
// appendLogTime(b, logWallTime(mono)), without making the time. Within
// the second of the latest line, and while logWallTime would keep its
// clock reading, the time is that second's text with the milliseconds
// since it began; the second is formatted once.
func appendLogNow(b []byte, mono int64) []byte {
	ls := logSecondAt(mono)
	b = append(b, ls.head[len("time="):]...)
	b = appendLogMillis(b, ls, mono)
	return append(b, ls.zone...)
}

// logSecondAt returns the second of the access-log time of the monotonic
// reading mono: the latest one's, or a new one.
func logSecondAt(mono int64) *logSecond {
	ls := lastLogSecond.Load()
	if ls == nil || mono < ls.start || mono >= ls.until || ls.clock != lastLogClock.Load() {
		c := logClockAt(mono)
		t := c.wall.Add(time.Duration(mono - c.mono))
		ls = &logSecond{clock: c, start: mono - int64(t.Nanosecond())}
		ls.until = min(ls.start, c.mono) + int64(time.Second)
		ls.head = t.AppendFormat([]byte("time="), "2006-01-02T15:04:05.")
		ls.zone = t.AppendFormat(nil, "Z07:00")
		ls.zoneGet = append(ls.zone[:len(ls.zone):len(ls.zone)], accessGet...)
		lastLogSecond.Store(ls)
	}
	return ls
}

// appendLogMillis appends the three digits of the milliseconds of mono
// within ls (logSecondAt gave it for mono).
func appendLogMillis(b []byte, ls *logSecond, mono int64) []byte {
	d := &logDigits[uint64(mono-ls.start)/uint64(time.Millisecond)%1000]
	return append(b, d[0], d[1], d[2])
}

// logTarget returns u.RequestURI(): u.Path itself for a plain path
// without a query, which RequestURI would scan for bytes to escape; and
// whether it is a plain path without '=', which the access log writes
// without quoting and without looking at it again (logNeedsQuoting).
func logTarget(u *url.URL) (target string, noQuote bool) {
	if u.Opaque == "" && u.RawPath == "" && u.RawQuery == "" && !u.ForceQuery {
		if plain, noQuote := plainPath(u.Path); plain {
			return u.Path, noQuote
		}
	}
	return u.RequestURI(), false
}

// Classes of a byte in a path (pathBytes).
const (
	pathPlain   = 1 << iota // net/url does not escape it in a path
	pathNoQuote             // nor does the access log quote it
)

// pathBytes classifies each byte: letters, digits and "-._~/:@$&+,;="
// are plain, and all of them but '=' need no quoting in a log line.
var pathBytes = func() (t [256]uint8) {
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~/:@$&+,;=", byte(c)) >= 0 {
			t[c] = pathPlain | pathNoQuote
		}
	}
	t['='] = pathPlain
	return t
}()

// plainPath reports whether p is a non-empty path that URL.EscapedPath
// returns unchanged (not "*"): of pathBytes's plain bytes only, the bytes
// net/url does not escape in a path; and whether it has no '=' either.
func plainPath(p string) (plain, noQuote bool) {
	if p == "" || p == "*" {
		return false, false
	}
	all := uint8(pathPlain | pathNoQuote)
	for i := 0; i < len(p); i++ {
		all &= pathBytes[p[i]]
	}
	return all&pathPlain != 0, all&pathNoQuote != 0
}

// logClock pairs a reading of the system clock with the monotonic one
// (monoNow) taken with it.
type logClock struct {
	mono int64
	wall time.Time
}

var lastLogClock atomic.Pointer[logClock]

// logWallTime returns the system clock's time at the monotonic reading
// mono: the system clock read at most once a second, advanced by the
// monotonic clock in between. On a VM reading the system clock costs
// about 100 ns, the monotonic one about 15; a step of the system clock
// shows in the access log within a second.
func logWallTime(mono int64) time.Time {
	c := logClockAt(mono)
	return c.wall.Add(time.Duration(mono - c.mono))
}

// logClockAt returns the clock reading logWallTime uses for mono: the
// latest, or a new one when that is a second old.
func logClockAt(mono int64) *logClock {
	c := lastLogClock.Load()
	if c == nil || mono-c.mono >= int64(time.Second) {
		now := time.Now()
		c = &logClock{mono: int64(now.Sub(clockBase)), wall: now}
		lastLogClock.Store(c)
	}
	return c
}

// appendLogWord is appendLogString for a method or protocol: the usual
// ones, which need no quoting, are appended without looking at them.
func appendLogWord(b []byte, s string) []byte {
	switch s {
	case "GET", "HEAD", "POST", "HTTP/2.0", "HTTP/1.1":
		return append(b, s...)
	}
	return appendLogString(b, s)
}

// appendLogString appends a string value as slog's TextHandler does:
// quoted when it is empty or holds a space, '=', '"', a control
// character or anything unprintable or invalid.
func appendLogString(b []byte, s string) []byte {
	if logNeedsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func logNeedsQuoting(s string) bool {
	if len(s) >= 8 {
		// Eight bytes at a time, the last eight for the rest, the
		// verdicts of all words gathered and tested once: a remote
		// address or a path is looked at in two or three steps instead
		// of a byte each. Any byte that may need quoting sends the
		// string to the closer look below.
		var bad uint64
		for i := 0; i < len(s)-8; i += 8 {
			bad |= logBadBytes(logWord(s, i))
		}
		if bad|logBadBytes(logWord(s, len(s)-8)) == 0 {
			return false
		}
	} else if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// logWord returns the eight bytes of s from i as a little-endian word.
func logWord(s string, i int) uint64 {
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// logBadBytes returns 0 when the eight bytes of x are all ASCII and need
// no quoting (none above 0x7f, none up to ' ', no '=' and no '"'), else
// not 0. (Each term is exact for "some byte is": the borrow of a
// subtraction that crosses a byte only follows a byte that matched, and
// a byte above 0x7f is caught by the first term whatever the others
// make of it.)
func logBadBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	eq, quote := x^(ones*'='), x^(ones*'"')
	return (x | (x-ones*0x21)&^x | (eq-ones)&^eq | (quote-ones)&^quote) & highs
}

// A quickServer answers some requests itself, without the writer that
// the access log wraps around a handler's (logWriter): it tells what it
// wrote instead, the body bytes of a 200, or that it left the request to
// the handler, having written nothing.
type quickServer interface {
	serveQuick(w http.ResponseWriter, r *http.Request, start int64) (bytes int64, ok bool)
}

// accessLogFunc wraps h to call log after each request with what its
// logWriter recorded (status, body bytes, stream id, pushed) and when it
// started (monoNow: one reading of the monotonic clock, cheaper than
// time.Now's two). When h is a quickServer, it is asked first.
func accessLogFunc(h http.Handler, verbose bool, log func(r *http.Request, rec logRecord, start int64)) http.Handler {
	quick, _ := h.(quickServer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if verbose && r.ProtoMajor == 2 {
			h.ServeHTTP(w, r)
			return
		}
		start := monoNow()
		if quick != nil {
			if n, ok := quick.serveQuick(w, r, start); ok {
				rec := logRecord{status: http.StatusOK, bytes: n}
				if r.ProtoMajor == 2 {
					rec.stream = streamIDOf(w)
				}
				log(r, rec, start)
				return
			}
		}
		lw := logWriters.Get().(*logWriter)
		lw.ResponseWriter = w
		lw.start = start
		if r.ProtoMajor == 2 {
			lw.stream = streamIDOf(w)
		}
		defer func() {
			log(r, lw.logRecord, start)
			// net/http forbids using a ResponseWriter after ServeHTTP
			// returns: the wrapper is free for the next request.
			*lw = logWriter{}
			logWriters.Put(lw)
		}()
		h.ServeHTTP(lw, r)
	})
}

var logWriters = sync.Pool{New: func() any { return new(logWriter) }}

// streamIDer is a ResponseWriter that tells the HTTP/2 stream id of its
// response.
type streamIDer interface{ StreamID() uint32 }

// streamIDOf returns the stream id of w's response when w, or a writer
// it wraps (Unwrap, as http.ResponseController follows), tells it (as
// h2server's does), else 0.
func streamIDOf(w http.ResponseWriter) uint32 {
	for range 8 { // a bound against a writer that unwraps to itself
		if s, ok := w.(streamIDer); ok {
			return s.StreamID()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return 0
		}
		w = u.Unwrap()
	}
	return 0
}

// logWriter counts what a handler writes. It passes on Flush, Push,
// Hijack and (through Unwrap, for http.ResponseController) the rest.
type logWriter struct {
	http.ResponseWriter
	logRecord
	start int64 // monoNow() when the request started
}

// logRecord is what the access log tells of a response.
type logRecord struct {
	status int    // the final status; 0 until written
	bytes  int64  // body bytes written
	stream uint32 // the HTTP/2 stream id, 0 when unknown
	pushed bool   // the response is a pushed one (withPush tells it)
}

// startedAt returns when the request started, in monoNow's terms: the
// file handler takes it as its clock (requestStart) rather than reading
// the clock again.
func (w *logWriter) startedAt() int64 { return w.start }

// finalStatus is the status sent: 200 when the handler wrote nothing, as
// net/http sends.
func (w *logRecord) finalStatus() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// markPushed records that the response is a pushed one (pushMarker).
func (w *logWriter) markPushed() { w.pushed = true }

func (w *logWriter) WriteHeader(code int) {
	// 101 is the last status of an HTTP/1.1 Upgrade (a WebSocket): the
	// connection is hijacked after it.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush sends what is buffered (http.Flusher).
func (w *logWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Push promises a response when the connection can (http.Pusher).
func (w *logWriter) Push(target string, opts *http.PushOptions) error {
	if p, ok := w.ResponseWriter.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

// Hijack takes over an HTTP/1.1 connection (http.Hijacker), as the h2c
// Upgrade does.
func (w *logWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// connTracker numbers the accepted connections and finds them again from
// the net.Conn the HTTP/2 server hands to its NewTracer (a *tls.Conn, a
// connection with sniffed bytes in front, or the accepted one itself),
// by remote address, which is unique among the open connections.
type connTracker struct {
	next  atomic.Int64
	mu    sync.Mutex
	conns map[string]*trackedConn
}

func newConnTracker() *connTracker {
	return &connTracker{conns: make(map[string]*trackedConn)}
}

// waitClosed waits until every tracked connection is closed, for at most
// d.
func (ct *connTracker) waitClosed(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ct.mu.Lock()
		n := len(ct.conns)
		ct.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wrap returns l with its connections tracked.
func (ct *connTracker) wrap(l net.Listener) net.Listener {
	return &trackedListener{Listener: l, ct: ct}
}

// diary returns the push diary of the open connection whose remote
// address is remote (a request's RemoteAddr), or nil.
func (ct *connTracker) diary(remote string) *pushDiary {
	ct.mu.Lock()
	tc := ct.conns[remote]
	ct.mu.Unlock()
	if tc == nil {
		return nil
	}
	return &tc.pushes
}

// lookup returns the tracked connection of c, or nil.
func (ct *connTracker) lookup(c net.Conn) *trackedConn {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.conns[c.RemoteAddr().String()]
}

// tracerFunc returns the NewTracer of the HTTP/2 server for -v: each
// connection's frames are printed to out with its id, after a line that
// says where it comes from; a "closed" line follows its end.
func (ct *connTracker) tracerFunc(out *traceOutput) func(net.Conn) h2kit.Tracer {
	return func(c net.Conn) h2kit.Tracer {
		tc := ct.lookup(c)
		var id int64
		if tc != nil {
			id = tc.id
		} else {
			id = ct.next.Add(1) // not accepted by our listeners: still number it
		}
		t := out.newTracer(h2kit.Server, fmt.Sprintf("[id=%d] ", id))
		t.StreamEvents = true
		var how string
		switch c := c.(type) {
		case *tls.Conn:
			st := c.ConnectionState()
			how = fmt.Sprintf("%s, %s, %s", st.NegotiatedProtocol, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
		case *trackedConn:
			how = "h2c, prior knowledge"
		default:
			// Handed over by the HTTP/1.1 server: an h2c Upgrade, whose
			// request is stream 1.
			how = "h2c, HTTP/1.1 Upgrade: the request is stream 1"
			t.Upgraded()
		}
		t.Event(fmt.Sprintf("connection from %s (%s)", c.RemoteAddr(), how))
		if tc != nil {
			tc.tracer.Store(t)
		}
		return t
	}
}

// trackedListener registers the connections it accepts.
type trackedListener struct {
	net.Listener
	ct *connTracker
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, ct: l.ct, id: l.ct.next.Add(1), key: c.RemoteAddr().String()}
	l.ct.mu.Lock()
	l.ct.conns[tc.key] = tc
	l.ct.mu.Unlock()
	return tc, nil
}

// trackedConn is an accepted connection with its id.
type trackedConn struct {
	net.Conn
	ct     *connTracker
	id     int64
	key    string
	tracer atomic.Pointer[frameTracer]      // set when the connection speaks HTTP/2 with -v
	pushes pushDiary                        // what was promised on the connection
	frames atomic.Pointer[timelineRecorder] // its frames, for the demo page (serve_frames.go)
	once   sync.Once
}

// Close closes the connection, forgets it and prints "closed" when it is
// traced.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.ct.mu.Lock()
		if c.ct.conns[c.key] == c {
			delete(c.ct.conns, c.key)
		}
		c.ct.mu.Unlock()
		if r := c.frames.Load(); r != nil {
			r.release() // its part of the frame records' budget
		}
		if t := c.tracer.Load(); t != nil {
			t.Event("closed")
		}
	})
	return err
}

// CloseWrite half-closes the connection when the underlying one can.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
