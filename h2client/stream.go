package h2client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/pipe"
)

// clientStream is one request/response exchange. The owner goroutine,
// the request goroutine (RoundTrip, then the caller reading the body),
// and the body writer goroutine share it. Its state is in streamState,
// which a recycled stream clears; what it keeps for its next request
// follows.
type clientStream struct {
	streamState
	// Response body, owner to reader (responseBody); a recycled stream
	// keeps its buffer.
	in pipe.Inbound
	// fieldsMem is the array fields is built in, kept (emptied) once the
	// HEADERS are encoded, and by the recycled stream for its next request.
	fieldsMem []hpack.Field
	// copyBuf is responseBody.WriteTo's buffer, kept by the recycled
	// stream for its next response.
	copyBuf []byte
}

// streamState is a stream's state, zero when it starts; fields are
// grouped by who may use them.
type streamState struct {
	cc *clientConn

	// refs counts who may still use the stream: the request goroutine
	// (then the response body), the owner (until forget), the dirty stack
	// (while it holds the stream), a context.AfterFunc not yet stopped. A
	// pooled stream goes back to streamPool when the count drops to zero
	// (drop).
	refs atomic.Int32
	// pooled: the stream came from streamPool and goes back to it. Not for
	// a stream whose pointer outlives its references: a PriorityHandle's,
	// or one with a request body (its writer goroutine, and the goroutine
	// that closes the body, are not counted), nor for a pushed stream.
	pooled bool

	// Set before the stream is queued, read-only after.
	req           *http.Request // as given to RoundTrip: resp.Request
	trace         *httptrace.ClientTrace
	fields        []hpack.Field
	endOnHeaders  bool
	body          interface{ Read([]byte) (int, error) } // the request body, nil without one
	closer        interface{ Close() error }
	contentLength int64 // declared request body length, -1 unknown
	expect        bool  // Expect: 100-continue
	isHead        bool
	push          bool          // a pushed stream (no request of ours)
	pushReq       *http.Request // the promised request
	stopCtx       func() bool
	prioHandle    bool // a PriorityHandle's: Update may queue a priority before it opens

	dirty pipe.Link[clientStream] // on cc.dirty
	// forgotten: the owner forgot the stream (forget), whose engine
	// stream is closed and gave the bytes it held back to the
	// connection's window: the bytes the reader takes need no report.
	forgotten atomic.Bool
	released  atomic.Bool
	// bodyClosed: the request body was closed (closeBody).
	bodyClosed atomic.Bool

	// The request goroutine (waiting for the response, then reading its
	// body) waits on in's Signal; the request body writer on wsig (nil
	// without a body).
	wsig pipe.Signal
	// answer is resp once onResponse set it, or failedAnswer once err was
	// set first (both under mu): wait, woken, sees which without taking
	// the lock. It never changes once set.
	answer atomic.Pointer[http.Response]

	mu       sync.Mutex
	id       uint32
	opened   bool
	err      error // the stream ended early (for both directions)
	retry    bool  // with err: the server never processed the request
	guess    bool  // retry is a guess (idempotent request, dead connection)
	resp     *http.Response
	gotAny   bool // a frame of the response came
	bodyRead bool // the writer took the request body (it closes it)
	// Request body, writer to owner.
	out         pipe.Queue
	outEnd      bool
	outTrailers []hpack.Field
	continued   bool  // the body may be sent (no Expect, 100, timeout or 2xx)
	abortBody   bool  // a final status >= 300 came first: no body
	sendErr     error // the upload stopped (the server reset after answering)
	sentEnd     bool  // END_STREAM is in the engine
	cancelReq   bool  // the owner must reset the stream (CANCEL)
	// Priority update (UpdatePriority, PriorityHandle).
	newPrio    h2kit.Priority
	hasNewPrio bool

	// Owner-only.
	registered bool // in cc.streams
	pending    bool // in cc.pendingOpen
	// waitSettings: an extended CONNECT in cc.pendingOpen until the
	// server's SETTINGS tell whether it may be sent (RFC 8441, Section 3).
	waitSettings bool
	recvDone     bool
	recvBytes    int64 // response body bytes received
}

// streamPool recycles the streams of requests without a body: a stream
// is the largest of a request's allocations.
var streamPool = sync.Pool{New: func() any {
	st := new(clientStream)
	st.in.Init(0)
	return st
}}

// keepIn is the largest response body buffer a recycled stream keeps.
const keepIn = 4 << 10

// newStream prepares the stream of req (request goroutine). It holds
// three references: the request goroutine's, the owner's and the dirty
// stack's, for the queueNew that follows.
func newStream(cc *clientConn, req *http.Request, trace *httptrace.ClientTrace) *clientStream {
	st := streamPool.Get().(*clientStream)
	st.cc, st.req, st.trace, st.contentLength = cc, req, trace, -1
	st.refs.Store(3)
	st.isHead = req.Method == http.MethodHead
	hasBody := req.Body != nil && req.Body != http.NoBody
	cl := int64(-1)
	switch {
	case hasBody && req.ContentLength > 0:
		cl = req.ContentLength
		st.contentLength = cl
	case !hasBody && (req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch):
		cl = 0
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	f := httpcommon.AppendRequest(st.fieldsMem[:0], req, host, cl)
	if _, ok := req.Header["User-Agent"]; !ok {
		f = append(f, hpack.Field{Name: "user-agent", Value: userAgent})
	}
	if hasBody && len(req.Trailer) > 0 {
		f = append(f, hpack.Field{Name: "trailer", Value: trailerNames(req.Trailer)})
	}
	st.fields = f
	st.endOnHeaders = !hasBody
	st.continued = true
	if hasBody {
		st.wsig = pipe.NewSignal()
		st.body = req.Body
		st.closer = req.Body
		if v := req.Header["Expect"]; len(v) == 1 && strings.EqualFold(v[0], "100-continue") {
			st.expect = true
			st.continued = false
		}
	}
	st.pooled = !hasBody
	ctx := req.Context()
	if h, ok := ctx.Value(priorityKey{}).(*PriorityHandle); ok {
		st.pooled = false
		st.prioHandle = true
		h.st.Store(st)
	}
	if ctx.Done() != nil {
		st.refs.Add(1) // the AfterFunc's, dropped when it ran or was stopped
		st.stopCtx = context.AfterFunc(ctx, func() {
			st.fail(ctx.Err(), true)
			st.drop()
		})
	}
	return st
}

// drop gives up a reference; the last one recycles a pooled stream.
func (st *clientStream) drop() {
	if st.refs.Add(-1) != 0 || !st.pooled {
		return
	}
	if st.fields != nil { // never sent
		st.fieldsMem = keepFields(st.fields)
	}
	st.in.Init(keepIn)
	st.streamState = streamState{}
	streamPool.Put(st)
}

const userAgent = "h2kit"

// notifyWriter wakes the request body writer, if the stream has one
// (wsig is nil without a body: no channel operation then).
func (st *clientStream) notifyWriter() {
	if st.wsig != nil {
		st.wsig.Notify()
	}
}

// DirtyLink returns st's link in its connection's dirty stack (pipe.Stack).
func (st *clientStream) DirtyLink() *pipe.Link[clientStream] { return &st.dirty }

// trailerNames lists the declared request trailers for the trailer field.
func trailerNames(t http.Header) string {
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, httpcommon.LowerName(k))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// wait returns the response, or the error that ended the stream first
// (request goroutine). The request goroutine's reference goes to the
// response's body, or is dropped when there is none. RoundTrip runs the
// same loop itself: a request goroutine parked there has one frame fewer
// on its stack, which the GC scans in every cycle.
func (st *clientStream) wait() (*http.Response, error) {
	for st.waiting() {
		<-st.in.Signal()
	}
	return st.result()
}

// waiting reports whether the stream has neither its response nor an
// error yet (request goroutine): its reader waits on st.in.Signal().
// Whoever sets either sets answer first, then wakes the reader.
func (st *clientStream) waiting() bool { return st.answer.Load() == nil }

// failedAnswer is a stream's answer once it ended without a response.
var failedAnswer = new(http.Response)

// setErrLocked ends the stream with err unless it ended already (st.mu
// held); it reports whether err is the stream's error now.
func (st *clientStream) setErrLocked(err error) bool {
	if st.err != nil {
		return false
	}
	st.err = err
	if st.resp == nil {
		st.answer.Store(failedAnswer)
	}
	return true
}

// result is wait's outcome once waiting is over (request goroutine).
func (st *clientStream) result() (*http.Response, error) {
	resp := st.answer.Load()
	if resp == failedAnswer {
		err := st.failure()
		st.drop()
		return nil, err
	}
	if st.trace != nil && st.trace.GotFirstResponseByte != nil {
		st.trace.GotFirstResponseByte()
	}
	if resp.Body == http.NoBody {
		st.drop()
	}
	return resp, nil
}

// failure is RoundTrip's error for a stream that ended without a
// response (request goroutine).
func (st *clientStream) failure() error {
	st.mu.Lock()
	err, retry, guess, bodyRead := st.err, st.retry, st.guess, st.bodyRead
	st.mu.Unlock()
	if retry {
		return &retryError{err: err, bodyRead: bodyRead, guess: guess}
	}
	if se := (*h2kit.StreamError)(nil); errors.As(err, &se) && se.Code == frame.ErrCodeHTTP11Required && se.Initiator == h2kit.Remote {
		// RoundTrip sends it again over HTTP/1.1: the body is left open
		// if the writer never took it.
		return &http11RequiredError{err: err, bodyRead: bodyRead}
	}
	if st.closer != nil && !bodyRead {
		st.closer.Close() // the writer never took it
	}
	return err
}

// fail ends the stream with err (any goroutine); with reset, the owner
// sends RST_STREAM CANCEL.
func (st *clientStream) fail(err error, reset bool) {
	st.mu.Lock()
	st.setErrLocked(err)
	if reset {
		st.cancelReq = true
	}
	st.mu.Unlock()
	st.in.Wake()
	st.notifyWriter()
	if reset {
		st.cc.markDirty(st)
	}
	st.dropBody()
}

// notSent fails a stream that never left this client: it is retried.
func (st *clientStream) notSent() {
	st.mu.Lock()
	if st.setErrLocked(errNotSent) {
		st.retry = true
	}
	st.mu.Unlock()
	st.in.Wake()
	st.notifyWriter()
	st.release()
}

// connFailed ends a stream whose connection ended (owner).
func (st *clientStream) connFailed(err error) {
	st.cc.loop.AssertOwner()
	st.mu.Lock()
	if st.setErrLocked(err) {
		var ce *h2kit.ConnError
		if st.resp == nil && !st.push && !st.gotAny && !errors.As(err, &ce) && idempotent(st.req) {
			// The connection died without a word about this request
			// (a server closing an idle connection, say): an idempotent
			// request is sent again, once.
			st.retry, st.guess = true, true
		}
	}
	st.mu.Unlock()
	st.in.Wake()
	st.notifyWriter()
	st.dropBody()
	st.cc.forget(st)
}

func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, ok := req.Header["Idempotency-Key"]
	return ok
}

// cancelled reports whether the stream was given up before it opened.
func (st *clientStream) cancelled() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err != nil
}

// recycleFields empties the request's field array once the engine has
// encoded it (owner): the engine keeps no reference, and the stream keeps
// the array for its next request when it is recycled.
func (st *clientStream) recycleFields() {
	st.fieldsMem = keepFields(st.fields)
	st.fields = nil
}

// keepFields empties fields for reuse, or drops it if it grew large.
func keepFields(fields []hpack.Field) []hpack.Field {
	if cap(fields) > maxKeptFields {
		return nil
	}
	clear(fields) // drop the references to the request's strings
	return fields[:0]
}

// maxKeptFields bounds the field array a stream keeps.
const maxKeptFields = 32

// release frees the stream's slot in the pool, once.
func (st *clientStream) release() {
	if !st.released.CompareAndSwap(false, true) {
		return
	}
	if !st.push {
		st.cc.p.release(st.cc)
	}
	if st.stopCtx != nil && st.stopCtx() {
		st.drop() // the AfterFunc's: it will not run
	}
}

// flush moves what the stream's other goroutines queued into the engine:
// the request (first time), body bytes, trailers, window credit for what
// was read, a reset (owner).
func (st *clientStream) flush() {
	st.cc.loop.AssertOwner()
	cc := st.cc
	if !st.opened {
		if st.prioHandle {
			// Its PriorityHandle may have queued a priority for the
			// header section; nothing else can before the stream opens.
			st.mu.Lock()
			st.applyPriorityLocked()
			st.mu.Unlock()
		}
		// Before a response, answer tells whether the stream ended
		// (setErrLocked): no lock to look at err.
		if st.answer.Load() == failedAnswer {
			st.release() // openPending drops it, if it waits there
			return
		}
		if st.pending || !cc.open(st) {
			return
		}
		if st.endOnHeaders {
			// Nothing more to move now: the request is complete, and
			// what another goroutine asks for from now on (a reset, a
			// new priority) marks the stream dirty again.
			return
		}
	}
	if !st.registered {
		return // forgotten
	}
	eng := cc.eng
	st.mu.Lock()
	if n := st.in.TakeConsumed(); n > 0 {
		eng.ConsumeData(st.id, n)
	}
	if st.cancelReq {
		st.mu.Unlock()
		eng.ResetStream(st.id, frame.ErrCodeCancel)
		cc.forget(st)
		return
	}
	st.applyPriorityLocked()
	if !st.sentEnd && st.continued && !st.abortBody && st.sendErr == nil {
		st.sendBodyLocked()
	}
	done := st.sentEnd && st.recvDone
	abort := !st.sentEnd && st.recvDone && (st.abortBody || st.sendErr != nil)
	st.mu.Unlock()
	if abort {
		// The response is complete and the body will not be sent.
		eng.ResetStream(st.id, frame.ErrCodeCancel)
		done = true
	}
	if done {
		cc.forget(st)
	}
}

// sendBodyLocked hands queued body bytes, then END_STREAM or trailers, to
// the engine as flow control allows (owner, st.mu held).
func (st *clientStream) sendBodyLocked() {
	st.cc.loop.AssertOwner()
	eng := st.cc.eng
	pending := st.out.Bytes()
	endData := st.outEnd && len(st.outTrailers) == 0
	if len(pending) > 0 || endData {
		n, err := eng.SendData(st.id, pending, endData)
		if err != nil {
			st.sendErr = err
			st.notifyWriter()
			return
		}
		if n > 0 {
			st.out.Advance(n)
			st.notifyWriter()
		}
		if st.out.Len() > 0 {
			return // flow control: WindowUpdated brings us back
		}
		if endData {
			st.sentEnd = true
			return
		}
	}
	if st.outEnd && len(st.outTrailers) > 0 {
		if err := eng.SendHeaders(st.id, st.outTrailers, true); err != nil {
			st.sendErr = err
			return
		}
		st.sentEnd = true
	}
}

// recvEnded: the response is complete (owner).
func (st *clientStream) recvEnded() {
	st.cc.loop.AssertOwner()
	st.recvDone = true
	if st.sentEnd && st.registered {
		// The request went out whole before (sentEnd changes on the
		// owner's goroutine alone: no lock to read it), so the engine
		// has closed the stream and given back the bytes it held:
		// nothing another goroutine queued for it (bytes read, a reset,
		// a priority) matters any more. flush would come to forget it,
		// after a lock round trip.
		st.cc.forget(st)
		return
	}
	st.flush()
}

// onResponse handles the final response header section (owner).
// repeated is ResponseReceived.Repeated.
func (st *clientStream) onResponse(fields []hpack.Field, end bool, repeated uint64) {
	st.cc.loop.AssertOwner()
	if st.push {
		st.cc.onPushResponse(st, fields, end, repeated)
		return
	}
	resp, err := st.newResponse(fields, end, repeated)
	if err != nil {
		st.fail(err, true)
		return
	}
	st.mu.Lock()
	if st.resp != nil || st.err != nil {
		st.mu.Unlock()
		return
	}
	st.resp = resp
	st.answer.Store(resp)
	st.gotAny = true
	if end {
		st.in.End()
	}
	if !st.continued {
		// RFC 9110, Section 10.1.1: a final response before 100
		// (Continue). A success wants the body; anything else is
		// answered without it.
		if resp.StatusCode < 300 {
			st.continued = true
		} else {
			st.abortBody = true
		}
	}
	st.mu.Unlock()
	st.notifyWriter()
	st.in.Wake()
	if end {
		st.recvEnded()
	}
}

// response is a response together with its Body and room for its
// header's first values, used when they fit: one allocation of 256 bytes
// (a size class). The strings are the connection's decoder's
// (httpcommon.ResponseDecoder): shared with the responses before when
// equal, else copied into a chunk the connection's responses share.
type response struct {
	http.Response
	body responseBody
	vals [6]string
}

// newResponse builds the *http.Response of a header section; repeated
// is ResponseReceived.Repeated (owner).
func (st *clientStream) newResponse(fields []hpack.Field, end bool, repeated uint64) (*http.Response, error) {
	st.cc.loop.AssertOwner()
	r := new(response)
	h, err := st.cc.dec.DecodeRepeated(fields, r.vals[:0], repeated)
	if err != nil {
		return nil, err
	}
	// r is new (zero): only the fields that are not zero are set.
	resp := &r.Response
	resp.Status, resp.StatusCode = statusLine(h.Status), h.Status
	resp.Proto, resp.ProtoMajor = "HTTP/2.0", 2
	resp.Header, resp.Trailer, resp.ContentLength = h.Header, h.Trailer, h.ContentLength
	resp.Request, resp.TLS = st.req, st.cc.tls
	if st.push {
		resp.Request = st.pushReq
	}
	if !st.push && st.req.Method == http.MethodConnect && h.Status >= 200 && h.Status < 300 {
		// RFC 9110, Section 9.3.6: Content-Length means nothing in a 2xx
		// response to CONNECT; the body is the tunnel (RFC 8441, Section 5).
		resp.ContentLength = -1
	}
	switch {
	case st.isHead:
		resp.Body = http.NoBody
		st.in.CloseWith(errBodyClosed, 0) // nothing to read; stray DATA is dropped
	case end:
		resp.Body = http.NoBody
		resp.ContentLength = 0
	default:
		r.body.st = st
		resp.Body = &r.body
	}
	return resp, nil
}

// statusLines caches "200 OK" and its kin.
var statusLines = func() (t [600]string) {
	for i := 100; i < 600; i++ {
		if txt := http.StatusText(i); txt != "" {
			t[i] = strconv.Itoa(i) + " " + txt
		}
	}
	return t
}()

func statusLine(code int) string {
	if code >= 100 && code < 600 && statusLines[code] != "" {
		return statusLines[code]
	}
	return strconv.Itoa(code)
}

// onInformational handles a 1xx response (owner): 100 (Continue) lets
// the body go; each is reported to httptrace's Got1xxResponse.
func (st *clientStream) onInformational(fields []hpack.Field) {
	st.cc.loop.AssertOwner()
	code := 0
	for _, f := range fields {
		if f.Name == ":status" {
			code, _ = strconv.Atoi(f.Value)
		}
	}
	st.mu.Lock()
	st.gotAny = true
	release := code == http.StatusContinue && !st.continued
	if release {
		st.continued = true
	}
	st.mu.Unlock()
	if release {
		st.notifyWriter()
	}
	tr := st.trace
	if tr == nil {
		return
	}
	if code == http.StatusContinue && tr.Got100Continue != nil {
		tr.Got100Continue()
	}
	if tr.Got1xxResponse != nil {
		h := make(http.Header)
		httpcommon.DecodeTrailers(h, fields) // regular fields, canonical names
		if err := tr.Got1xxResponse(code, textproto.MIMEHeader(h)); err != nil {
			st.fail(err, true)
		}
	}
}

// onData buffers body bytes for the reader; false means nobody will read
// them (owner).
func (st *clientStream) onData(p []byte, end bool) bool {
	st.cc.loop.AssertOwner()
	st.recvBytes += int64(len(p))
	st.mu.Lock()
	st.gotAny = true
	if end {
		st.in.End()
	}
	ok := st.err == nil && st.in.Deliver(p)
	st.mu.Unlock()
	if !ok {
		st.in.Wake() // a Read waiting sees the error
	}
	return ok
}

// onTrailers fills the response's Trailer and ends the body (owner).
func (st *clientStream) onTrailers(fields []hpack.Field) {
	st.cc.loop.AssertOwner()
	st.mu.Lock()
	if resp := st.resp; resp != nil {
		if resp.Trailer == nil {
			resp.Trailer = make(http.Header) // read by the caller only after EOF
		}
		httpcommon.DecodeTrailers(resp.Trailer, fields)
	}
	st.in.End()
	st.mu.Unlock()
}

// onReset handles RST_STREAM (or a stream GOAWAY left unprocessed) (owner).
func (st *clientStream) onReset(e *h2kit.StreamReset) {
	st.cc.loop.AssertOwner()
	st.mu.Lock()
	if e.Initiator == h2kit.Remote && e.Code == frame.ErrCodeNo && !st.in.Ended() && st.resp != nil &&
		st.resp.ContentLength >= 0 && st.recvBytes == st.resp.ContentLength {
		// Every byte content-length announced is here, and the server
		// ends the stream "without error" instead of with END_STREAM
		// (Node.js does so when the last DATA used up the window): the
		// body is complete.
		st.in.End()
	}
	if e.Initiator == h2kit.Remote && e.Code == frame.ErrCodeNo && st.in.Ended() {
		// The response is complete and the server asks the client to
		// stop sending (RFC 9113, Section 8.1): not an error.
		st.sendErr = errStopped
	} else if st.setErrLocked(&h2kit.StreamError{StreamID: e.StreamID, Code: e.Code, Initiator: e.Initiator, Reason: resetReason(e)}) {
		st.retry = e.Retryable && st.resp == nil
	}
	st.mu.Unlock()
	st.in.Wake()
	st.notifyWriter()
	st.dropBody() // the body will not be sent further
	st.cc.forget(st)
}

func resetReason(e *h2kit.StreamReset) string {
	switch {
	case e.Retryable:
		return "the server did not process the request"
	case e.Initiator == h2kit.Local:
		return "the server broke the protocol on this stream"
	}
	return "reset by the server"
}

var errStopped = errors.New("h2client: the server asked to stop sending the request body")
