package h2server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/pipe"
)

// bufferSize is how many response bytes are kept before the header
// section is committed: a body that fits, written by a handler that then
// returns, gets a Content-Length (as net/http does).
const bufferSize = 8 << 10

// responseWriter is the http.ResponseWriter of one stream. It is detached
// (st == nil) when the handler returns.
type responseWriter struct {
	st *stream
	// noCond: the request is known to have no field of a conditional
	// or range request (WithoutConditionals).
	noCond bool
}

// StreamID returns the HTTP/2 stream id of the request, for access logs
// and traces; 0 once the handler has returned. Reach it through an
// interface: w.(interface{ StreamID() uint32 }).
func (w *responseWriter) StreamID() uint32 {
	if st := w.st; st != nil {
		return st.id
	}
	return 0
}

// WithoutConditionals reports that the request, as the peer sent it, is
// known to have none of the fields of a conditional or range request
// (RFC 9110, Sections 13.1 and 14.2: If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, If-Range, Range). h2server
// knows it for a request whose header block came again as before, which
// it makes from the one before without looking at the fields; false says
// nothing (look in r.Header). A file server that nothing before it in
// its chain adds such fields to r.Header skips its conditional checks
// with it. Reach it through an interface:
// w.(interface{ WithoutConditionals() bool }).
func (w *responseWriter) WithoutConditionals() bool { return w.noCond }

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
	_ http.Pusher         = (*responseWriter)(nil)
	_ stringWriter        = (*responseWriter)(nil)
	_ io.ReaderFrom       = (*responseWriter)(nil)
)

type stringWriter interface {
	WriteString(string) (int, error)
}

// Header returns the response header map (net/http semantics: changes
// after WriteHeader are not sent, except declared trailers).
func (w *responseWriter) Header() http.Header {
	if w.st == nil {
		return http.Header{}
	}
	return w.st.header
}

// WriteHeader sends a 1xx response at once (not 101, which HTTP/2 does
// not have), or records the final status and takes a snapshot of the
// header map.
func (w *responseWriter) WriteHeader(code int) {
	st := w.st
	if st == nil {
		return
	}
	if code < 100 || code > 999 {
		panic("h2server: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if st.wroteHeader {
		st.sc.srv.logger().Debug("h2server: superfluous WriteHeader call", "code", code)
		return
	}
	if code < 200 {
		if code == http.StatusSwitchingProtocols {
			return // RFC 9113, Section 8.6: no 101 in HTTP/2
		}
		fields := httpcommon.AppendResponse(nil, code, st.header)
		st.mu.Lock()
		if st.err == nil && !st.hdrReady {
			st.infos = append(st.infos, fields)
		}
		st.mu.Unlock()
		st.sc.markDirty(st)
		return
	}
	st.wroteHeader = true
	st.status = code
	memo := responseMemos.Get().(*httpcommon.ResponseMemo)
	st.fields = memo.AppendResponse(st.fields[:0], code, st.header)
	tunnel := st.isConnect && code < 300
	if tunnel {
		// RFC 9110, Section 9.3.6: no Content-Length in a 2xx response
		// to CONNECT, even one the handler set; the tunnel's bytes are
		// not counted against it.
		st.fields = slices.DeleteFunc(st.fields, func(f hpack.Field) bool { return f.Name == "content-length" })
	}
	for _, v := range memo.Trailer() {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				st.declared = append(st.declared, http.CanonicalHeaderKey(name))
			}
		}
	}
	if cl := memo.ContentLength(); len(cl) > 0 && !tunnel {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			st.contentLength = n
		}
	}
	st.keepKeys(memo)
	responseMemos.Put(memo)
}

// keepKeys keeps the keys of the header map WriteHeader took the section
// from (memo's last), if they are few and none is a TrailerPrefix one.
func (st *stream) keepKeys(memo *httpcommon.ResponseMemo) {
	st.keptKeys = 0
	keys, ok := memo.Keys()
	if !ok || len(keys) > len(st.snapKeys) {
		return
	}
	for _, k := range keys {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return
		}
	}
	st.keptKeys = int8(copy(st.snapKeys[:], keys)) + 1
}

// trailerFields returns the response's trailer fields (net/http's: the
// declared names, and TrailerPrefix keys) from the header map, as the
// handler left it. A map with no declared names whose keys are still
// those WriteHeader saw (as many, each there) holds no TrailerPrefix key:
// it has none, found without walking it.
func (st *stream) trailerFields() []hpack.Field {
	h := st.header
	if n := int(st.keptKeys) - 1; len(st.declared) == 0 && n == len(h) {
		same := true
		for _, k := range st.snapKeys[:n] {
			if _, ok := h[k]; !ok {
				same = false
				break
			}
		}
		if same {
			return nil
		}
	}
	return httpcommon.AppendTrailers(nil, h, st.declared)
}

// responseMemos holds the memos of the final header sections WriteHeader
// made last (one per P, mostly): a handler that sets the same fields
// each time gets its section from one without lowercasing, checking and
// sorting them again, and the map's Trailer and Content-Length values
// without looking them up (httpcommon.ResponseMemo).
var responseMemos = sync.Pool{New: func() any { return new(httpcommon.ResponseMemo) }}

// bodyAllowed reports whether a response with this status has a body
// (RFC 9110, Section 6.4.1).
func bodyAllowed(status int) bool {
	return (status < 100 || status > 199) && status != http.StatusNoContent && status != http.StatusNotModified
}

// Write queues body bytes. It blocks while the stream already has
// pipe.MaxPending bytes queued that flow control has not let through.
func (w *responseWriter) Write(p []byte) (int, error) {
	st := w.st
	if st == nil {
		return 0, errHandlerDone
	}
	return st.write(p, "")
}

// WriteString is Write for a string, without converting it.
func (w *responseWriter) WriteString(s string) (int, error) {
	st := w.st
	if st == nil {
		return 0, errHandlerDone
	}
	return st.write(nil, s)
}

func (st *stream) write(p []byte, s string) (int, error) {
	if !st.wroteHeader {
		st.rw.WriteHeader(http.StatusOK)
	}
	n := len(p) + len(s)
	if n == 0 {
		return 0, nil
	}
	if !bodyAllowed(st.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if st.contentLength >= 0 && st.written+int64(n) > st.contentLength {
		return 0, http.ErrContentLength
	}
	if err := st.writeErr(); err != nil {
		return 0, err
	}
	st.written += int64(n)
	if st.isHead {
		return n, nil // counted for Content-Length, never sent
	}
	if !st.committed && len(st.buf)+n <= bufferSize {
		st.buf = append(st.buf, p...)
		st.buf = append(st.buf, s...)
		return n, nil
	}
	if err := st.commit(false); err != nil {
		return 0, err
	}
	if len(st.buf)+n <= bufferSize {
		st.buf = append(st.buf, p...)
		st.buf = append(st.buf, s...)
		return n, nil
	}
	if err := st.queue(st.buf); err != nil {
		return 0, err
	}
	st.buf = st.buf[:0]
	if len(p) >= minLend {
		if err := st.lend(p); err != nil {
			return 0, err
		}
	} else if p != nil {
		if err := st.queue(p); err != nil {
			return 0, err
		}
	} else {
		for len(s) > 0 {
			k := min(len(s), bufferSize)
			st.buf = append(st.buf[:0], s[:k]...)
			s = s[k:]
			if err := st.queue(st.buf); err != nil {
				return 0, err
			}
		}
		st.buf = st.buf[:0]
	}
	return n, nil
}

// writeErr reports why the stream cannot take more output.
func (st *stream) writeErr() error {
	if d := st.writeDeadline; !d.IsZero() && !time.Now().Before(d) {
		st.resetForDeadline()
		return os.ErrDeadlineExceeded
	}
	if !st.failed.Load() {
		return nil // no error yet: no lock
	}
	st.mu.Lock()
	err := st.err
	st.mu.Unlock()
	return err
}

// resetForDeadline resets the stream (CANCEL) when the write deadline
// passed.
func (st *stream) resetForDeadline() {
	st.mu.Lock()
	if st.err == nil && !st.rstReq {
		st.rstReq = true
		st.rstCode = 0x8 // CANCEL
	}
	st.mu.Unlock()
	st.sc.markDirty(st)
}

// commit queues the final header section: the snapshot WriteHeader took,
// plus Content-Type (sniffed), Content-Length (when final, the whole body
// being in the buffer) and Date, as net/http sets them.
func (st *stream) commit(final bool) error {
	if st.committed {
		return nil
	}
	if !st.wroteHeader {
		st.rw.WriteHeader(http.StatusOK)
	}
	st.committed = true
	h := st.header
	// RFC 9110, Section 9.3.6: a 2xx response to CONNECT has no
	// Content-Length (what follows is the tunnel's bytes, not content),
	// and nothing to sniff a Content-Type from.
	tunnel := st.isConnect && st.status >= 200 && st.status < 300
	if bodyAllowed(st.status) && !tunnel {
		if len(st.buf) > 0 && !hasField(st.fields, "content-type") && !hasKey(h, "Content-Type") {
			st.fields = append(st.fields, hpack.Field{Name: "content-type", Value: http.DetectContentType(st.buf)})
		}
		if final && st.contentLength < 0 && len(st.declared) == 0 && !hasField(st.fields, "content-length") &&
			(!st.isHead || st.written > 0) {
			st.fields = append(st.fields, hpack.Field{Name: "content-length", Value: strconv.FormatInt(st.written, 10)})
		}
	}
	if _, ok := h["Date"]; !ok {
		st.fields = append(st.fields, hpack.Field{Name: "date", Value: responseDate()})
	}
	st.mu.Lock()
	err := st.err
	if err == nil {
		st.hdr = st.fields
		st.hdrReady = true
	}
	st.mu.Unlock()
	if err != nil {
		return err
	}
	if final {
		// finishResponse queues the rest and wakes the owner itself,
		// or leaves that to done, which always follows.
		st.sc.queueDirty(st)
	} else {
		st.sc.markDirty(st)
	}
	return nil
}

// hasKey reports whether h has the key k, even with no values (as
// net/http, a Content-Type key without values asks for no sniffing).
func hasKey(h http.Header, k string) bool {
	_, ok := h[k]
	return ok
}

func hasField(fields []hpack.Field, name string) bool {
	for i := range fields {
		if fields[i].Name == name {
			return true
		}
	}
	return false
}

// queue hands p to the owner, waiting while the stream has
// pipe.MaxPending bytes queued, or the connection no budget left
// (connBudget).
func (st *stream) queue(p []byte) error {
	for len(p) > 0 {
		k, err := st.room(len(p))
		if err != nil {
			return err
		}
		st.out.Write(p[:k]) // within the room made: the buffer does not grow
		st.mu.Unlock()
		p = p[k:]
		st.sc.markDirty(st)
	}
	return nil
}

// minLend is the smallest Write that lend hands to the owner instead of
// copying it into the queue: below it, a copy costs less than the
// handler's wait for the owner.
const minLend = 32 << 10

// lend hands p to the owner, which gives it to the engine after the
// bytes queued before it, as flow control allows, and waits until the
// engine no longer needs it, the stream ends, or the write deadline
// passes: p is then the handler's again. The connection's budget is not
// taken for p: it stays in the handler's memory.
//
// On a plain socket (connloop's gathering writes) and without a write
// deadline, the engine takes p by reference (SendDataRef) and the socket
// writes it from there: no copy at all. Write then waits until the
// socket has taken the bytes (Released), which a deadline could not
// interrupt. Otherwise SendData copies p into the engine's send buffer:
// one copy, where queue makes two.
func (st *stream) lend(p []byte) error {
	var w pipe.Waiter
	defer w.Stop()
	st.mu.Lock()
	if st.err != nil {
		err := st.err
		st.mu.Unlock()
		return err
	}
	st.lent = p
	st.lendRef = st.sc.loop.Gathering() && st.writeDeadline.IsZero()
	st.mu.Unlock()
	st.sc.markDirty(st)
	for {
		st.mu.Lock()
		err := st.err
		if (err != nil || len(st.lent) == 0) && !st.refsOut {
			st.lent = nil
			st.mu.Unlock()
			return err
		}
		st.mu.Unlock()
		if err := w.Wait(st.wsig, st.writeDeadline); err != nil {
			// Only without lendRef: the owner copies no more of it.
			st.mu.Lock()
			st.lent = nil
			st.mu.Unlock()
			st.resetForDeadline()
			return err
		}
	}
}

// sendOutLocked gives the engine pending, the bytes outLocked returned,
// and reports how many it took and whether by reference (owner, st.mu
// held).
func (st *stream) sendOutLocked(pending []byte, endData bool) (n int, ref bool, err error) {
	eng := st.sc.eng
	// Behind bytes the engine still buffers, SendDataRef would copy:
	// SendData then, counted in the budget like any copy.
	if st.out.Len() > 0 || len(pending) == 0 || !st.lendRef || eng.SendBuffered(st.id) > 0 {
		n, err = eng.SendData(st.id, pending, endData)
		return n, false, err
	}
	n, err = eng.SendDataRef(st.id, pending, endData)
	if n > 0 && !st.refsOut {
		st.refsOut = true
		st.sc.lenders = append(st.sc.lenders, st)
	}
	return n, true, err
}

// Released lets the handlers whose bytes the engine took by reference
// go on once neither the engine nor a write holds any of them
// (connloop.Releaser) (owner).
func (sc *serverConn) Released(final bool) {
	if len(sc.lenders) == 0 {
		return
	}
	sc.loop.AssertOwner()
	k := 0
	for _, st := range sc.lenders {
		if !final && sc.eng.SendBuffered(st.id) > 0 {
			sc.lenders[k] = st
			k++
			continue
		}
		st.mu.Lock()
		st.refsOut = false
		if final && st.err == nil {
			// The connection is over before the socket took the bytes:
			// the Write fails (Closed says the same to the others).
			st.setErr(errConnClosed)
		}
		st.mu.Unlock()
		st.wsig.Notify()
	}
	clear(sc.lenders[k:])
	sc.lenders = sc.lenders[:k]
}

// outLocked returns the bytes the owner gives the engine next: the
// queued ones, then those a Write lent (st.mu held).
func (st *stream) outLocked() []byte {
	if st.out.Len() > 0 {
		return st.out.Bytes()
	}
	return st.lent
}

// outLenLocked is how many bytes the owner has yet to give the engine
// (st.mu held).
func (st *stream) outLenLocked() int { return st.out.Len() + len(st.lent) }

// advanceOutLocked drops the first n bytes of outLocked's, which the
// engine took (owner, st.mu held).
func (st *stream) advanceOutLocked(n int) {
	if st.out.Len() == 0 {
		st.lent = st.lent[n:]
		return
	}
	st.out.Advance(n)
	if st.out.Len() == 0 && len(st.lent) > 0 {
		// The lent bytes come next: flush once more.
		st.sc.markDirty(st)
	}
}

// room waits until the stream may queue more, and returns with st.mu held
// and room in out for k bytes (1 <= k <= n): no more than the engine
// would take now plus queueSlack, nor than the flow-control window (a
// client that keeps its window shut, CVE-2019-9517, pins nothing), in a
// buffer whose capacity the connection's budget covers.
func (st *stream) room(n int) (int, error) {
	var w pipe.Waiter
	defer w.Stop()
	for {
		st.mu.Lock()
		if st.err != nil {
			err := st.err
			st.mu.Unlock()
			return 0, err
		}
		if !st.pushWait {
			q := st.out.Len()
			// Never more than flow control allows (window): bytes only
			// the peer's WINDOW_UPDATE could release would hold the
			// connection's budget, and a client reading its responses
			// one after the other would then wait for a stream whose
			// handler waits for that budget.
			if want := min(pipe.MaxPending, st.credit+queueSlack, st.window, q+n) - q; want > 0 {
				if k := st.growOutLocked(want); k > 0 {
					return k, nil
				}
			}
		}
		st.mu.Unlock()
		// Woken by the owner when it takes queued bytes, when the budget
		// frees up, or when the stream ends.
		if err := w.Wait(st.wsig, st.writeDeadline); err != nil {
			st.resetForDeadline()
			return 0, err
		}
	}
}

// Queue buffers come from two pools by size, so that a stream holds one
// only while it has bytes queued, and one about their size; their
// capacity is what the connection's budget counts.
const smallOutSize = 16 << 10

var (
	smallOutPool sync.Pool // *[]byte of capacity smallOutSize
	largeOutPool sync.Pool // *[]byte of capacity pipe.MaxPending
)

// growOutLocked makes room in out for up to want more bytes and returns
// how many it made (0: the budget has no room for a buffer, and st is
// woken once it has) (handler, st.mu held).
func (st *stream) growOutLocked(want int) int {
	q := st.out.Len()
	free := st.out.Avail(want)
	if free >= want {
		return want
	}
	size := smallOutSize
	if q+want > smallOutSize {
		size = pipe.MaxPending
	}
	if c := st.out.Cap(); size > c && st.sc.budget.reserve(st, size-c) {
		pool := &smallOutPool
		if size == pipe.MaxPending {
			pool = &largeOutPool
		}
		box, _ := pool.Get().(*[]byte)
		if box == nil {
			b := make([]byte, 0, size)
			box = &b
		}
		old := st.outBox
		st.out.Move(*box) // the queued bytes first, then the old buffer goes back
		st.outBox = box
		putOutBox(old)
		return min(want, size-q)
	}
	return free
}

// putOutLocked returns out's buffer to its pool; out is then empty. It
// returns the buffer's capacity, for the caller to give back to the
// budget once st.mu is released (st.mu held, or no other party left).
func (st *stream) putOutLocked() int {
	c := st.out.Cap()
	st.out.Reset(0)
	putOutBox(st.outBox)
	st.outBox = nil
	return c
}

// putOutBox returns a queue buffer (nil: none) to its pool.
func putOutBox(box *[]byte) {
	if box == nil {
		return
	}
	*box = (*box)[:0]
	switch cap(*box) {
	case smallOutSize:
		smallOutPool.Put(box)
	case pipe.MaxPending:
		largeOutPool.Put(box)
	}
}

// ReadFrom copies src into the response, reading straight into the
// stream's queue (io.Copy and http.ServeContent use it): no copy buffer,
// and each read waits until the connection's budget has room for it, so
// a stalled stream holds no buffer. The first bytes go through Write,
// which sniffs the Content-Type from them.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	st := w.st
	if st == nil {
		return 0, errHandlerDone
	}
	if !st.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var n int64
	if !st.committed || st.isHead || !bodyAllowed(st.status) {
		var first [sniffLen]byte
		k, err := io.ReadFull(src, first[:])
		if k > 0 {
			if _, werr := st.write(first[:k], ""); werr != nil {
				return 0, werr
			}
			n = int64(k)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return n, nil
		case err != nil:
			return n, err
		}
		if st.isHead {
			m, err := io.Copy(writerOnly{w}, src) // counted, never sent
			return n + m, err
		}
		if err := st.commit(false); err != nil {
			return n, err
		}
	}
	// Keep the order: what Write buffered goes first.
	if len(st.buf) > 0 {
		if err := st.queue(st.buf); err != nil {
			return n, err
		}
		st.buf = st.buf[:0]
	}
	for {
		if err := st.writeErr(); err != nil {
			return n, err
		}
		want := pipe.MaxPending
		if st.contentLength >= 0 {
			left := st.contentLength - st.written
			if left == 0 {
				// Declared length reached: anything more is an error.
				var one [1]byte
				k, err := io.ReadFull(src, one[:])
				if k > 0 {
					return n, http.ErrContentLength
				}
				if err == io.EOF {
					err = nil
				}
				return n, err
			}
			want = int(min(int64(want), left))
		}
		k, err := st.room(want)
		if err != nil {
			return n, err
		}
		space := st.out.Space(k) // the owner leaves it alone until Commit
		st.mu.Unlock()
		m, rerr := src.Read(space)
		st.mu.Lock()
		st.out.Commit(m)
		if st.err != nil {
			// The owner left the queue to us (forget): drop it.
			freed := st.putOutLocked()
			err := st.err
			st.mu.Unlock()
			st.sc.budget.release(freed)
			return n, err
		}
		st.mu.Unlock()
		if m > 0 {
			st.written += int64(m)
			n += int64(m)
			st.sc.markDirty(st)
		}
		switch {
		case rerr == io.EOF:
			return n, nil
		case rerr != nil:
			return n, rerr
		}
	}
}

// sniffLen is what http.DetectContentType looks at.
const sniffLen = 512

// writerOnly hides ReadFrom (io.Copy would call it again).
type writerOnly struct{ io.Writer }

// finishResponse completes the response once the handler has returned:
// header section, the rest of the body, trailers, END_STREAM.
func (st *stream) finishResponse() {
	if err := st.commit(true); err != nil {
		return
	}
	var trailers []hpack.Field
	var p []byte
	if !st.isHead {
		trailers = st.trailerFields()
		p = st.buf
	}
	// The last bytes and the end reach the owner together (one lock,
	// one wake-up), so that they leave as one DATA frame with
	// END_STREAM: queued apart, the owner (on another core) could send
	// the bytes at once, and the end after them in an empty DATA frame.
	if len(p) > 0 && st.lendRest(p, trailers) {
		st.sc.queueDirty(st) // done, which always follows, wakes the owner
		return
	}
	if len(p) > 0 {
		// The header section goes out while the body below may wait
		// for room.
		st.sc.loop.Wake()
	}
	for {
		if len(p) == 0 {
			st.mu.Lock()
			break
		}
		k, err := st.room(len(p)) // returns with st.mu held
		if err != nil {
			return
		}
		st.out.Write(p[:k])
		p = p[k:]
		if len(p) == 0 {
			break
		}
		st.mu.Unlock()
		st.sc.markDirty(st)
	}
	st.trailers = trailers
	st.end = true
	st.mu.Unlock()
	st.buf = st.buf[:0]
	st.sc.queueDirty(st) // done, which always follows, wakes the owner
}

// lendRest hands the owner the rest of a response whose handler has
// returned, p (at most bufferSize bytes, in st.buf), when nothing is
// queued before it: as lent bytes, which the owner copies into the engine
// as flow control allows (as it does the bytes of a large Write without
// lendRef), instead of copying them into a queue buffer first. A small
// response then takes no queue buffer, and no budget: st.buf is the
// stream's own, held whether or not its bytes are copied, and the
// handler, done, never writes to it again (the stream is recycled, and
// st.buf reused, only once the owner has forgotten it). Reports whether
// it did; st.buf must then stay as it is (handler).
func (st *stream) lendRest(p []byte, trailers []hpack.Field) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil || st.pushWait || st.out.Len() > 0 || len(st.lent) > 0 || st.refsOut {
		return false
	}
	st.lent = p
	st.lendRef = false
	st.trailers = trailers
	st.end = true
	return true
}

// Flush sends the header section and the buffered body now.
func (w *responseWriter) Flush() { w.FlushError() }

// FlushError is Flush reporting an error (http.ResponseController).
func (w *responseWriter) FlushError() error {
	st := w.st
	if st == nil {
		return errHandlerDone
	}
	if err := st.commit(false); err != nil {
		return err
	}
	if len(st.buf) > 0 && !st.isHead {
		if err := st.queue(st.buf); err != nil {
			return err
		}
	}
	st.buf = st.buf[:0]
	if !st.flushCalled {
		// The first Flush opens the way to the responses pushed on this
		// stream, if they wait for it (holdPush).
		st.flushCalled = true
		st.mu.Lock()
		st.flushed = true
		st.mu.Unlock()
		st.sc.markDirty(st)
	}
	return nil
}

// SetReadDeadline bounds the request body's reads (http.ResponseController).
func (w *responseWriter) SetReadDeadline(t time.Time) error {
	if w.st == nil {
		return errHandlerDone
	}
	st := w.st
	st.mu.Lock()
	st.readDeadline = t
	st.mu.Unlock()
	st.in.Wake() // a blocked Read rechecks
	return nil
}

// SetWriteDeadline bounds the response's writes (http.ResponseController);
// past it, writes fail and the stream is reset.
func (w *responseWriter) SetWriteDeadline(t time.Time) error {
	if w.st == nil {
		return errHandlerDone
	}
	w.st.writeDeadline = t
	return nil
}

// EnableFullDuplex does nothing: HTTP/2 streams are always full duplex
// (http.ResponseController).
func (w *responseWriter) EnableFullDuplex() error { return nil }

// Push promises a response for target (RFC 9113, Section 8.4) and serves
// it with the handler, as a GET or HEAD request with opts.Header. It
// returns http.ErrNotSupported when the client disabled push. The pushed
// response is sent once this one's head is (its header section and
// first 16 KiB of body, or what was written before the first Flush), or
// this stream is over.
func (w *responseWriter) Push(target string, opts *http.PushOptions) error {
	st := w.st
	if st == nil {
		return errHandlerDone
	}
	sc := st.sc
	if !sc.pushEnabled.Load() || st.pushed {
		return http.ErrNotSupported
	}
	method := http.MethodGet
	var hdr http.Header
	if opts != nil {
		if opts.Method != "" {
			method = opts.Method
		}
		hdr = opts.Header
	}
	if method != http.MethodGet && method != http.MethodHead {
		return errors.New("h2server: push method must be GET or HEAD")
	}
	scheme := "http"
	if sc.tls != nil {
		scheme = "https"
	}
	authority := st.req.Host
	var u *url.URL
	var err error
	if strings.HasPrefix(target, "/") {
		u, err = url.ParseRequestURI(target)
	} else {
		u, err = url.Parse(target)
		if err == nil && (u.Scheme != scheme || u.Host == "") {
			err = errors.New("h2server: push target must be a path or a URL of the same scheme")
		}
		if err == nil {
			authority = u.Host
		}
	}
	if err != nil {
		return err
	}
	for k := range hdr {
		switch strings.ToLower(k) {
		case "content-length", "content-encoding", "trailer", "te", "expect", "host":
			return errors.New("h2server: push header " + k + " not allowed")
		}
		if strings.HasPrefix(k, ":") {
			return errors.New("h2server: push header " + k + " not allowed")
		}
	}
	path := u.RequestURI()
	fields := []hpack.Field{
		{Name: ":method", Value: method},
		{Name: ":scheme", Value: scheme},
		{Name: ":authority", Value: authority},
		{Name: ":path", Value: path},
	}
	fields = httpcommon.AppendHeader(fields, hdr)
	u.Scheme, u.Host = "", ""
	req := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     hdr.Clone(),
		Host:       authority,
		RemoteAddr: sc.remote,
		RequestURI: path,
		TLS:        sc.tls,
		Body:       http.NoBody,
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	p := &pushRequest{st: st, fields: fields, req: req, done: make(chan error, 1)}
	sc.pushMu.Lock()
	if sc.gone.Load() {
		sc.pushMu.Unlock()
		return errConnClosed
	}
	sc.pushReq = append(sc.pushReq, p)
	sc.pushMu.Unlock()
	sc.loop.Wake()
	return <-p.done
}
