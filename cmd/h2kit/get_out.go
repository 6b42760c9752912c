package main

// This file holds what get writes: the ordered outputs (the responses
// arrive in any order, the bodies come out in the order of the URLs), the
// header section dumps of -i and -D, the file names of --push-dir, and
// the --stat table.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// spoolMemory is how much a waiting slot keeps in memory before it spools
// to a temporary file.
const spoolMemory = 4 << 20

// outSeq writes the output of concurrent responses to one writer in a
// fixed order: each response has a slot; the first unfinished slot writes
// through, the ones after it keep what they are given (in memory, then in
// a temporary file) until their turn comes.
type outSeq struct {
	w io.Writer

	mu         sync.Mutex
	head, tail *outSlot // head: the slot writing through, or the next one
	err        error    // the first write or spool error
}

// outSlot is one response's part of an outSeq: an io.Writer, then Close
// when the response is over.
type outSlot struct {
	q    *outSeq
	next *outSlot

	mu    sync.Mutex
	live  bool // writes go straight to q.w
	done  bool // closed
	buf   bytes.Buffer
	spool *os.File // beyond spoolMemory
	last  byte     // the last byte written, 0 before any
}

func newOutSeq(w io.Writer) *outSeq { return &outSeq{w: w} }

// add returns a new slot: right after the slot after, or last if after is
// nil. after must not be closed yet.
func (q *outSeq) add(after *outSlot) *outSlot {
	s := &outSlot{q: q}
	q.mu.Lock()
	switch {
	case after != nil:
		s.next = after.next
		after.next = s
		if q.tail == after {
			q.tail = s
		}
	case q.tail == nil:
		q.tail = s
	default:
		q.tail.next = s
		q.tail = s
	}
	if q.head == nil {
		q.head = s
	}
	q.mu.Unlock()
	q.advance()
	return s
}

// advance moves the turn past the closed slots, writing out what the
// next ones kept.
func (q *outSeq) advance() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head != nil {
		h := q.head
		h.mu.Lock()
		if !h.live {
			q.flushLocked(h)
			h.live = true
		}
		done := h.done
		h.mu.Unlock()
		if !done {
			return
		}
		q.head = h.next
		if q.head == nil {
			q.tail = nil
		}
	}
}

// flushLocked writes out what s kept (q.mu and s.mu held).
func (q *outSeq) flushLocked(s *outSlot) {
	if s.spool != nil {
		if _, err := s.spool.Seek(0, io.SeekStart); err != nil {
			q.setErrLocked(err)
		} else if _, err := io.Copy(q.w, s.spool); err != nil {
			q.setErrLocked(err)
		}
		s.spool.Close()
		os.Remove(s.spool.Name())
		s.spool = nil
	}
	if s.buf.Len() > 0 {
		if _, err := q.w.Write(s.buf.Bytes()); err != nil {
			q.setErrLocked(err)
		}
		s.buf = bytes.Buffer{}
	}
}

func (q *outSeq) setErrLocked(err error) {
	if q.err == nil {
		q.err = err
	}
}

// Err returns the first error writing the output.
func (q *outSeq) Err() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// Write writes p through when it is s's turn, else keeps it. Errors of
// the output are reported by Err, not here: a response goes on being
// read.
func (s *outSlot) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = p[len(p)-1]
	if s.live {
		if _, err := s.q.w.Write(p); err != nil {
			s.q.mu.Lock()
			s.q.setErrLocked(err)
			s.q.mu.Unlock()
		}
		return len(p), nil
	}
	if s.spool == nil && s.buf.Len()+len(p) > spoolMemory {
		f, err := os.CreateTemp("", "h2kit-get-")
		if err == nil {
			_, err = f.Write(s.buf.Bytes())
			s.buf = bytes.Buffer{}
			s.spool = f
		}
		if err != nil {
			s.q.mu.Lock()
			s.q.setErrLocked(fmt.Errorf("spooling a response: %w", err))
			s.q.mu.Unlock()
		}
	}
	if s.spool != nil {
		if _, err := s.spool.Write(p); err != nil {
			s.q.mu.Lock()
			s.q.setErrLocked(fmt.Errorf("spooling a response: %w", err))
			s.q.mu.Unlock()
		}
		return len(p), nil
	}
	s.buf.Write(p)
	return len(p), nil
}

// lastByte returns the last byte written to s, 0 before any.
func (s *outSlot) lastByte() byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close ends s: the slots after it may write.
func (s *outSlot) Close() error {
	s.mu.Lock()
	s.done = true
	live := s.live
	s.mu.Unlock()
	if live {
		s.q.advance()
	}
	return nil
}

// appendHeaderLines appends the lines of -i and -D from an http.Header,
// when the header blocks as they arrived are not known (see
// get_wire.go): ":status: CODE", then one "name: value" line per field
// value, names in lower case and sorted (net/http keeps no order), values
// with control characters replaced. A status of 0 leaves out the status
// line (trailers).
func appendHeaderLines(b []byte, status int, h http.Header) []byte {
	if status != 0 {
		b = append(b, ":status: "...)
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, '\n')
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.SortFunc(names, func(x, y string) int {
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	})
	for _, k := range names {
		name := strings.ToLower(k)
		for _, v := range h[k] {
			b = appendSanitized(b, name)
			b = append(b, ": "...)
			b = appendSanitized(b, v)
			b = append(b, '\n')
		}
	}
	return b
}

// pushFileName returns the file name of a pushed response in --push-dir:
// the last segment of its path, with the characters that are not
// letters, digits, '.', '-' or '_' replaced by '_', no leading dots (no
// hidden files, no "..") and at most 200 bytes; "index.html" for a path
// that ends with '/' or has no usable segment.
func pushFileName(urlPath string) string {
	base := ""
	if !strings.HasSuffix(urlPath, "/") {
		base = path.Base(path.Clean("/" + urlPath))
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.TrimLeft(b.String(), ".")
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	if strings.Trim(name, "_") == "" {
		return "index.html"
	}
	return name
}

// uniqueName returns name, or name with "-2", "-3"... before its
// extension when taken already holds it; it records the result in taken.
func uniqueName(name string, taken map[string]bool) string {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	cand := name
	for i := 2; taken[cand]; i++ {
		cand = stem + "-" + strconv.Itoa(i) + ext
	}
	taken[cand] = true
	return cand
}

// statRow is one line of the --stat table.
type statRow struct {
	pushed  bool
	start   time.Duration // since the command started; the promise for a push
	headers time.Duration // 0: no response
	end     time.Duration // 0: not completed
	status  int
	size    int64
	path    string
	failed  bool
	stream  uint32       // the stream id; 0: not known (not sent)
	origin  string       // scheme://host:port
	har     *harExchange // the exchange, for --har; nil without it
}

const statHeader = `***** Statistics *****

Request timing, relative to the start of h2kit get:
    start: the request was handed to the connection; '*': pushed by the
           server, at the time of its PUSH_PROMISE
  headers: the response header section arrived
      end: the last byte of the response arrived
  process: end - start
     code: HTTP status code ('-': no response)
     size: response body bytes received
       id: the stream id ('-': the request was not sent)
   origin: scheme://host:port of the connection
     path: the request's path; '!' marks a request that failed

sorted by end

`

// writeStat writes the --stat table, rows sorted by the time they ended
// (the unfinished last).
func writeStat(w io.Writer, rows []statRow) error {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b statRow) int {
		switch {
		case a.end == b.end:
			return 0
		case a.end == 0:
			return 1
		case b.end == 0:
			return -1
		case a.end < b.end:
			return -1
		}
		return 1
	})
	var b []byte
	b = append(b, statHeader...)
	b = fmt.Appendf(b, "%10s %10s %10s %9s %4s %5s %5s %s %s\n", "start", "headers", "end", "process", "code", "size", "id", "origin", "path")
	for _, r := range rows {
		start := "+" + statDuration(r.start)
		if r.pushed {
			start = "*" + start
		}
		headers, end, process, code := "-", "-", "-", "-"
		if r.headers > 0 {
			headers = "+" + statDuration(r.headers)
		}
		if r.end > 0 {
			end = "+" + statDuration(r.end)
			process = statDuration(r.end - r.start)
		}
		if r.status != 0 {
			code = strconv.Itoa(r.status)
		}
		p := r.path
		if r.failed {
			p = "! " + p
		}
		id := "-"
		if r.stream != 0 {
			id = strconv.FormatUint(uint64(r.stream), 10)
		}
		b = fmt.Appendf(b, "%10s %10s %10s %9s %4s %5s %5s %s %s\n", start, headers, end, process, code, statSize(r.size), id, sanitizeLine(r.origin), sanitizeLine(p))
	}
	_, err := w.Write(b)
	return err
}

// statDuration formats d the way nghttp's --stat does: microseconds below
// a millisecond, then milliseconds, then seconds, two decimals.
func statDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "us"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// statSize formats n bytes: as is below 1024, else in K, M, G or T
// (1024-based), with one decimal below 10.
func statSize(n int64) string {
	units := []string{"K", "M", "G", "T"}
	if n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	v := float64(n)
	u := ""
	for _, x := range units {
		if v < 1024 {
			break
		}
		v /= 1024
		u = x
	}
	prec := 0
	if v < 9.95 {
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + u
}

// sanitizeLine replaces control characters, so that a path cannot forge
// lines.
func sanitizeLine(s string) string { return string(appendSanitized(nil, s)) }
