package main

// This file is the per-connection loop of h2kit bench. One goroutine runs
// one worker; the worker owns its engine and socket, reads into a reused
// buffer, and writes everything the engine has to send in one Write per
// batch. The request path (fill, handleEvents, complete) does not allocate
// in the steady state: slots, the stream map and the sample slices grow to
// their size and are reused, and --log-file lines are formatted into a
// reused buffer. -v (a frame tracer) allocates per frame.

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

const (
	readBufferSize = 64 << 10
	// maxWriteBatch bounds what is gathered for one Write.
	maxWriteBatch = 256 << 10
	// connectTimeout bounds the TCP and TLS handshakes when -T is not given.
	connectTimeout = 10 * time.Second
)

// inactiveError ends a connection silent for -T.
type inactiveError struct{ d time.Duration }

func (e *inactiveError) Error() string { return fmt.Sprintf("no data from the server for %v", e.d) }

// errStop ends a connection when the -D duration is over.
var errStop = errors.New("duration elapsed")

// workerStats are one worker's counts and samples, merged at the end.
type workerStats struct {
	started, done, succeeded, failed, errored int64
	timeout                                   int64    // errored by -t or -T
	responses                                 int64    // completed with a response, any status
	status                                    [6]int64 // by status/100, 1xx to 5xx
	bytesIn, bytesOut                         int64    // on the wire (TLS records excluded)
	headerBytes                               int64    // header block frame payloads received
	headerRaw                                 int64    // decoded size of the header sections received
	dataBytes                                 int64    // DATA payloads received (padding excluded)
	reqTimes, connectTimes, ttfbTimes         sampler
	errs                                      []string // connection errors, in order
}

// reqSlot is one request in flight.
type reqSlot struct {
	id      uint32
	status  int
	active  bool
	waiting bool // part of the body is still to be given to SendData
	bodyOff int
	start   time.Time
	// measured: the request started after the warm-up (always true
	// without --warm-up-time); only measured requests are counted.
	measured bool
}

// worker runs the requests of one client: one connection at a time,
// reconnecting when the server closes it gracefully (GOAWAY) with
// requests left.
type worker struct {
	plan      *benchPlan
	tlsConfig *tls.Config
	quota     int       // requests still to start; -1: no limit (-D)
	end       time.Time // -D: when to stop; zero with -n
	progress  *atomic.Int64
	id        int    // the client's number, from 1
	prefix    string // of its -v lines: "[id=N] " with -c above 1

	// --warm-up-time: measure is when the measured period starts (zero:
	// no warm-up); warm is true until the worker has seen that time
	// pass and set its traffic counts back to zero.
	measure time.Time
	warm    bool
	// -t: reqCheck is when expire next looks for requests past their
	// time (zero: none in flight). It may be early, never late.
	reqCheck time.Time
	logBuf   []byte // --log-file lines not yet written

	st workerStats

	// The current connection.
	nc        net.Conn
	conn      *h2kit.Conn
	connStart time.Time
	gotByte   bool // the first byte of this connection arrived (TTFB)
	goAway    bool // the server sent GOAWAY
	noNew     bool // the engine takes no new streams on this connection
	connDone  int  // requests completed on this connection
	lastRead  time.Time
	idleBase  time.Time // the inactivity deadline counts from here
	deadline  time.Time // the read deadline set on nc
	scanner   headerScanner

	slots    []reqSlot
	free     []int32
	byID     map[uint32]int32
	inflight int
	bodyWait int // slots with waiting set
	next     int // round-robin index into plan.requests

	buf         []byte
	out         []byte
	pendingDone int64 // completed since the last progress update
}

// newWorker prepares a worker for quota requests (-1: until end).
func newWorker(p *benchPlan, tlsConfig *tls.Config, quota int, end time.Time, progress *atomic.Int64) *worker {
	w := &worker{
		plan:      p,
		tlsConfig: tlsConfig,
		quota:     quota,
		end:       end,
		progress:  progress,
		byID:      make(map[uint32]int32),
	}
	limit := max(maxSamples/max(p.conns, 1), 1024)
	w.st.reqTimes = newSampler(limit)
	w.st.connectTimes = newSampler(limit)
	w.st.ttfbTimes = newSampler(limit)
	return w
}

// resetSlots forgets every request in flight.
func (w *worker) resetSlots() {
	w.free = w.free[:0]
	for i := len(w.slots) - 1; i >= 0; i-- {
		w.slots[i] = reqSlot{}
		w.free = append(w.free, int32(i))
	}
	clear(w.byID)
	w.inflight, w.bodyWait = 0, 0
	w.reqCheck = time.Time{}
}

// run does the worker's share of the benchmark.
func (w *worker) run() {
	defer w.flushLog()
	idle := 0 // connections in a row that completed nothing
	for w.quota != 0 && (w.end.IsZero() || time.Now().Before(w.end)) {
		pending, err := w.connect()
		if err == nil {
			err = w.loop(pending)
		}
		w.closeConn()
		if err == errStop {
			return // in-flight requests are neither done nor errored
		}
		if err == nil && w.inflight > 0 {
			err = errors.New("connection closed with requests in flight")
		}
		if err == nil && w.connDone == 0 {
			if idle++; idle >= 3 {
				err = errors.New("the server closes connections without answering requests")
			}
		} else {
			idle = 0
		}
		if err != nil {
			w.st.errs = append(w.st.errs, err.Error())
			var ie *inactiveError
			w.loseInflight(time.Now(), errors.As(err, &ie))
			if w.quota > 0 {
				// As h2load: a client whose connection fails gives up
				// its remaining requests (done and errored, not started).
				w.lose(w.quota)
				w.quota = 0
			}
			w.resetSlots()
			w.flushProgress()
			return
		}
		w.resetSlots()
	}
}

// lose counts n requests that were never sent as errored (with -n, the
// requests of a client whose connection failed).
func (w *worker) lose(n int) {
	w.st.errored += int64(n)
	w.st.done += int64(n)
	w.pendingDone += int64(n)
}

// loseInflight counts the requests in flight on a connection that failed
// as errored (and as timeout when -T ended it), and logs them.
func (w *worker) loseInflight(now time.Time, timeout bool) {
	for i := range w.slots {
		if s := &w.slots[i]; s.active {
			w.lost(s.start, s.measured, timeout, now)
		}
	}
}

// lost counts a request that started at start and got no complete
// response, as errored (and timeout), if it is measured, and logs it.
func (w *worker) lost(start time.Time, measured, timeout bool, now time.Time) {
	if !measured {
		return
	}
	w.st.errored++
	if timeout {
		w.st.timeout++
	}
	w.st.done++
	w.pendingDone++
	w.logRequest(start, -1, now)
}

// measuring reports whether a request starting at t is measured (not in
// the warm-up).
func (w *worker) measuring(t time.Time) bool {
	return w.measure.IsZero() || !t.Before(w.measure)
}

// checkWarm ends the warm-up once now has reached its end: the traffic
// counted so far is forgotten. The connect and first-byte times are kept
// (they are those of the connections the measured requests use).
func (w *worker) checkWarm(now time.Time) {
	if w.warm && !now.Before(w.measure) {
		w.warm = false
		w.st.bytesIn, w.st.bytesOut = 0, 0
		w.st.headerBytes, w.st.headerRaw, w.st.dataBytes = 0, 0, 0
	}
}

// logRequest adds a --log-file line for a request.
func (w *worker) logRequest(start time.Time, status int, end time.Time) {
	if w.plan.log == nil {
		return
	}
	w.logBuf = appendLogLine(w.logBuf, start, status, end)
	if len(w.logBuf) >= logFlushSize {
		w.flushLog()
	}
}

// flushLog writes the gathered --log-file lines.
func (w *worker) flushLog() {
	if len(w.logBuf) > 0 {
		w.plan.log.write(w.logBuf)
		w.logBuf = w.logBuf[:0]
	}
}

func (w *worker) flushProgress() {
	if w.pendingDone > 0 && w.progress != nil {
		w.progress.Add(w.pendingDone)
	}
	w.pendingDone = 0
}

// connect opens a connection (TCP, then TLS or the h2c Upgrade) and a new
// engine. It returns bytes already read that belong to the engine.
func (w *worker) connect() ([]byte, error) {
	w.connStart = time.Now()
	w.gotByte, w.goAway, w.noNew, w.connDone = false, false, false, 0
	if w.buf == nil {
		// Taken at the first connection, not when the worker is made:
		// with many workers, only those connecting hold buffers.
		w.buf = make([]byte, readBufferSize)
		w.out = make([]byte, 0, 64<<10)
		if w.plan.log != nil {
			w.logBuf = make([]byte, 0, logFlushSize+64)
		}
	}
	w.out = w.out[:0]
	limit := connectTimeout
	if w.plan.connTimeout > 0 {
		limit = w.plan.connTimeout
	}
	d := net.Dialer{Timeout: limit}
	nc, err := d.Dial("tcp", w.plan.addr)
	if err != nil {
		return nil, err
	}
	w.nc = nc
	w.deadline = time.Time{}
	trace := w.plan.trace
	if trace != nil {
		trace.Event(w.prefix, "Connected")
	}
	if w.plan.tls {
		tc := tls.Client(nc, w.tlsConfig)
		_ = tc.SetDeadline(time.Now().Add(limit))
		if err := tc.Handshake(); err != nil {
			var ve *tls.CertificateVerificationError
			if errors.As(err, &ve) {
				// Say what to do about it, once per distinct error.
				return nil, fmt.Errorf("TLS handshake: %w (--cacert FILE trusts the CA of FILE, -k skips verification)", err)
			}
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		_ = tc.SetDeadline(time.Time{})
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			return nil, fmt.Errorf("the server did not negotiate h2 with ALPN (got %q)", p)
		}
		if trace != nil {
			trace.Println(w.prefix + "The negotiated protocol: h2")
		}
		w.nc = tc
	}
	now := time.Now()
	w.st.connectTimes.add(now.Sub(w.connStart))
	w.lastRead, w.idleBase = now, now
	cfg := w.plan.config
	if trace != nil {
		t := trace.newTracer(h2kit.Client, w.prefix)
		if w.plan.upgrade {
			t.Upgraded() // stream 1 is the Upgrade request
		}
		cfg.Tracer = t
	}
	w.conn = h2kit.NewConn(cfg, now)
	w.scanner = headerScanner{}
	if w.plan.upgrade {
		return w.upgrade()
	}
	return nil, nil
}

// upgrade sends the first request as HTTP/1.1 with Upgrade: h2c and reads
// the 101 response; the request continues as stream 1 (RFC 7540, Section
// 3.2). It returns the bytes read after the 101 response.
func (w *worker) upgrade() ([]byte, error) {
	r := &w.plan.requests[w.next]
	w.advance()
	start := time.Now()
	measured := w.measuring(start)
	if measured {
		w.st.started++
	}
	if w.quota > 0 {
		w.quota--
	}
	fail := func(timeout bool, err error) ([]byte, error) {
		w.lost(start, measured, timeout, time.Now())
		return nil, err
	}
	if err := w.write(r.upgrade); err != nil {
		return fail(false, err)
	}
	if w.plan.reqTimeout > 0 {
		w.reqCheck = start.Add(w.plan.reqTimeout) // a read deadline (setReadDeadline)
	}
	n := 0
	for {
		if err := w.setReadDeadline(); err != nil {
			return fail(false, err)
		}
		k, err := w.nc.Read(w.buf[n:])
		now := time.Now()
		w.checkWarm(now)
		if k > 0 {
			w.received(k, now)
		}
		n += k
		if i := bytes.Index(w.buf[:n], []byte("\r\n\r\n")); i >= 0 {
			line, _, _ := bytes.Cut(w.buf[:i], []byte("\r\n"))
			if !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
				return fail(false, fmt.Errorf("h2c upgrade refused: %q", line))
			}
			id, err := w.conn.UpgradeClient(r.isHead)
			if err != nil {
				return fail(false, err)
			}
			if w.plan.trace != nil {
				w.plan.trace.Event(w.prefix, "HTTP Upgrade success")
			}
			w.reqCheck = time.Time{} // acquire sets it again
			w.acquire(id, start)
			return w.buf[i+4 : n], nil
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A read deadline: the end of -D, -t or -T.
				switch {
				case !w.end.IsZero() && !now.Before(w.end):
					return nil, errStop
				case !w.reqCheck.IsZero() && !now.Before(w.reqCheck):
					return fail(true, fmt.Errorf("h2c upgrade: no response within %v (-t)", w.plan.reqTimeout))
				case w.plan.connTimeout > 0 && now.Sub(w.lastRead) >= w.plan.connTimeout:
					return fail(true, &inactiveError{w.plan.connTimeout})
				}
				continue
			}
			if err == io.EOF {
				err = errors.New("connection closed during the h2c upgrade")
			}
			return fail(false, err)
		}
		if n == len(w.buf) {
			return fail(false, errors.New("h2c upgrade: response header too large"))
		}
	}
}

// loop runs the connection until the worker's requests are done, the
// connection ends, or -D is over (errStop). A nil error means a clean
// end. pending holds bytes already read.
func (w *worker) loop(pending []byte) error {
	now := time.Now()
	if len(pending) > 0 {
		w.st.headerBytes += w.scanner.scan(pending)
		w.conn.Receive(pending, now)
	}
	w.pump(now)
	for {
		if len(w.out) > 0 {
			if err := w.write(w.out); err != nil {
				return err
			}
			w.out = w.out[:0]
		}
		w.flushProgress()
		if w.quota == 0 && w.inflight == 0 {
			return nil
		}
		if w.conn.Done() {
			return w.endError()
		}
		if w.conn.WantWrite() {
			w.pump(time.Now())
			continue
		}
		if err := w.setReadDeadline(); err != nil {
			return err
		}
		n, err := w.nc.Read(w.buf)
		now = time.Now()
		if !w.end.IsZero() && !now.Before(w.end) {
			return errStop
		}
		w.checkWarm(now)
		if n > 0 {
			w.received(n, now)
			w.st.headerBytes += w.scanner.scan(w.buf[:n])
			w.conn.Receive(w.buf[:n], now)
		}
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				w.pump(now)
				if w.conn.Err() != nil {
					return w.endError()
				}
				if err == io.EOF {
					if w.inflight == 0 {
						// Closed between requests (after GOAWAY, or an
						// idle connection closed): nothing is lost, run
						// reconnects.
						return nil
					}
					err = errors.New("connection closed by the server")
				}
				return err
			}
			// A read deadline: an engine timer, -T, or one checked
			// below (-t, the end of the warm-up, checked above).
			if t := w.conn.Deadline(); !t.IsZero() && !now.Before(t) {
				w.conn.Advance(now)
			} else if w.plan.connTimeout > 0 {
				if now.Sub(w.lastRead) >= w.plan.connTimeout {
					return &inactiveError{w.plan.connTimeout}
				}
				w.idleBase = w.lastRead
			}
		}
		if !w.reqCheck.IsZero() && !now.Before(w.reqCheck) {
			w.expire(now)
		}
		w.pump(now)
	}
}

// expire gives up on the requests in flight for -t or longer: each is
// reset (RST_STREAM CANCEL) and counted as errored and timeout, and the
// connection goes on. It sets reqCheck to the next time a request would
// be due.
func (w *worker) expire(now time.Time) {
	limit := w.plan.reqTimeout
	w.reqCheck = time.Time{}
	for i := range w.slots {
		s := &w.slots[i]
		if !s.active {
			continue
		}
		due := s.start.Add(limit)
		if now.Before(due) {
			if w.reqCheck.IsZero() || due.Before(w.reqCheck) {
				w.reqCheck = due
			}
			continue
		}
		_ = w.conn.ResetStream(s.id, frame.ErrCodeCancel) // fails only if the stream is already gone
		w.lost(s.start, s.measured, true, now)
		w.release(int32(i))
	}
}

// received accounts for n bytes read at now.
func (w *worker) received(n int, now time.Time) {
	if !w.gotByte {
		w.gotByte = true
		w.st.ttfbTimes.add(now.Sub(w.connStart))
	}
	w.st.bytesIn += int64(n)
	w.lastRead = now
	if w.plan.connTimeout > 0 && now.Sub(w.idleBase) > w.plan.connTimeout/4 {
		w.idleBase = now
	}
}

// setReadDeadline sets the earliest of the engine's timer, the -D end,
// the end of the warm-up, the next -t check and the -T inactivity limit
// (counted from idleBase, which lags the last read by at most a quarter of
// -T, so the deadline is not moved on every read; loop checks the real
// silence when it fires).
func (w *worker) setReadDeadline() error {
	var d time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	earliest(w.end)
	if w.conn != nil {
		earliest(w.conn.Deadline())
	}
	if w.warm {
		earliest(w.measure)
	}
	earliest(w.reqCheck)
	if w.plan.connTimeout > 0 {
		earliest(w.idleBase.Add(w.plan.connTimeout))
	}
	if d.Equal(w.deadline) {
		return nil
	}
	w.deadline = d
	return w.nc.SetReadDeadline(d)
}

// write writes b in full.
func (w *worker) write(b []byte) error {
	if w.plan.connTimeout > 0 {
		_ = w.nc.SetWriteDeadline(time.Now().Add(w.plan.connTimeout))
	}
	n, err := w.nc.Write(b)
	w.st.bytesOut += int64(n)
	return err
}

// endError is the error that ended the engine, or nil after a graceful
// GOAWAY.
func (w *worker) endError() error { return w.conn.Err() }

// closeConn says goodbye and closes the socket: GOAWAY(NO_ERROR) when the
// engine is still up, else the GOAWAY the engine queued when it failed.
func (w *worker) closeConn() {
	if w.nc == nil {
		return
	}
	if w.conn != nil {
		if w.conn.Err() == nil {
			w.conn.Shutdown()
		}
		w.out = w.conn.AppendOutgoing(w.out)
		if len(w.out) > 0 {
			_ = w.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = w.nc.Write(w.out)
		}
	}
	w.out = w.out[:0]
	_ = w.nc.Close()
	w.nc, w.conn = nil, nil
}

// pump handles the engine's events, starts requests while there is room,
// and gathers the engine's output in w.out, until the engine has nothing
// more to say or the batch is full.
func (w *worker) pump(now time.Time) {
	for {
		w.handleEvents(now)
		w.fill(now)
		if !w.conn.WantWrite() || len(w.out) >= maxWriteBatch {
			return
		}
		w.out = w.conn.AppendOutgoing(w.out)
	}
}

// fill starts requests until the per-connection limit (-m, or the
// server's SETTINGS_MAX_CONCURRENT_STREAMS) or the quota is reached.
func (w *worker) fill(now time.Time) {
	for w.inflight < w.plan.streams && w.quota != 0 && !w.noNew {
		if !w.end.IsZero() && !now.Before(w.end) {
			return
		}
		r := &w.plan.requests[w.next]
		id, err := w.conn.SendRequest(r.fields, w.plan.body == nil)
		if err != nil {
			if err != h2kit.ErrTooManyStreams {
				w.noNew = true // GOAWAY, ids exhausted, or the connection is over
			}
			return
		}
		w.advance()
		if w.quota > 0 {
			w.quota--
		}
		i := w.acquire(id, now)
		if w.slots[i].measured {
			w.st.started++
		}
		if w.plan.body != nil {
			w.sendBody(i)
		}
	}
}

// advance moves to the next URL.
func (w *worker) advance() {
	if w.next++; w.next == len(w.plan.requests) {
		w.next = 0
	}
}

// acquire takes a free slot for stream id. Slots are made as requests
// need them: no more than the streams actually in flight at once, however
// large -m is.
func (w *worker) acquire(id uint32, start time.Time) int32 {
	if len(w.free) == 0 {
		w.slots = append(w.slots, reqSlot{})
		w.free = append(w.free, int32(len(w.slots)-1))
	}
	i := w.free[len(w.free)-1]
	w.free = w.free[:len(w.free)-1]
	w.slots[i] = reqSlot{id: id, active: true, start: start, measured: w.measuring(start)}
	w.byID[id] = i
	w.inflight++
	if w.plan.reqTimeout > 0 && w.reqCheck.IsZero() {
		w.reqCheck = start.Add(w.plan.reqTimeout)
	}
	return i
}

// release frees slot i.
func (w *worker) release(i int32) {
	s := &w.slots[i]
	if s.waiting {
		w.bodyWait--
	}
	delete(w.byID, s.id)
	*s = reqSlot{}
	w.free = append(w.free, i)
	w.inflight--
}

// sendBody gives SendData as much of the body as it takes.
func (w *worker) sendBody(i int32) {
	s := &w.slots[i]
	n, err := w.conn.SendData(s.id, w.plan.body[s.bodyOff:], true)
	s.bodyOff += n
	left := err == nil && s.bodyOff < len(w.plan.body)
	if left != s.waiting {
		s.waiting = left
		if left {
			w.bodyWait++
		} else {
			w.bodyWait--
		}
	}
}

// handleEvents drains the engine's events.
func (w *worker) handleEvents(now time.Time) {
	c := w.conn
	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
		switch e := ev.(type) {
		case *h2kit.ResponseReceived:
			w.st.headerRaw += fieldsSize(e.Fields)
			if i, ok := w.byID[e.StreamID]; ok {
				w.slots[i].status = statusOf(e.Fields)
				if e.EndStream {
					w.complete(i, now)
				}
			}
		case *h2kit.DataReceived:
			w.st.dataBytes += int64(len(e.Data))
			c.ConsumeData(e.StreamID, len(e.Data))
			if e.EndStream {
				if i, ok := w.byID[e.StreamID]; ok {
					w.complete(i, now)
				}
			}
		case *h2kit.InformationalResponseReceived:
			w.st.headerRaw += fieldsSize(e.Fields)
		case *h2kit.TrailersReceived:
			w.st.headerRaw += fieldsSize(e.Fields)
			if i, ok := w.byID[e.StreamID]; ok {
				w.complete(i, now)
			}
		case *h2kit.StreamReset:
			if i, ok := w.byID[e.StreamID]; ok {
				w.reset(i, e.Retryable, now)
			}
		case *h2kit.WindowUpdated:
			if w.bodyWait > 0 {
				for i := range w.slots {
					if w.slots[i].waiting {
						w.sendBody(int32(i))
					}
				}
			}
		case *h2kit.GoAwayReceived:
			w.goAway = true
		}
	}
}

// complete ends request i with its response.
func (w *worker) complete(i int32, now time.Time) {
	s := &w.slots[i]
	if s.measured {
		w.st.reqTimes.add(now.Sub(s.start))
		w.st.responses++
		if class := s.status / 100; class >= 1 && class <= 5 {
			w.st.status[class]++
		}
		if s.status >= 200 && s.status < 400 {
			w.st.succeeded++
		} else {
			w.st.failed++
		}
		w.st.done++
		w.pendingDone++
		w.logRequest(s.start, s.status, now)
	}
	if s.waiting {
		// The response ended before the body was sent: stop sending.
		_ = w.conn.ResetStream(s.id, frame.ErrCodeCancel)
	}
	w.connDone++
	w.release(i)
}

// reset ends request i without a response. A request the server never
// processed (REFUSED_STREAM, or above a GOAWAY's last stream id) is put
// back to be sent again, on a new connection if need be.
func (w *worker) reset(i int32, retryable bool, now time.Time) {
	s := &w.slots[i]
	switch {
	case retryable:
		if s.measured {
			w.st.started--
		}
		if w.quota >= 0 {
			w.quota++
		}
	case s.measured:
		w.st.failed++
		w.st.done++
		w.pendingDone++
		w.logRequest(s.start, -1, now)
		fallthrough
	default:
		w.connDone++
	}
	w.release(i)
}

// statusOf returns the :status of a response, or 0.
func statusOf(fields []hpack.Field) int {
	for i := range fields {
		if fields[i].Name == ":status" {
			return httpsyntax.ParseStatus(fields[i].Value)
		}
	}
	return 0
}

// headerScanner follows the frame boundaries in what the server sends, to
// count the bytes of header blocks (HEADERS, CONTINUATION, PUSH_PROMISE
// payloads) as h2load does, without a Tracer (whose frame copies would
// cost an allocation per request).
type headerScanner struct {
	hdr  [frame.HeaderLen]byte
	have int // bytes of hdr collected
	skip int // payload bytes of the current frame still to pass
}

// scan passes over p and returns the header block bytes in it.
func (s *headerScanner) scan(p []byte) int64 {
	var n int64
	for len(p) > 0 {
		if s.skip > 0 {
			k := min(s.skip, len(p))
			s.skip -= k
			p = p[k:]
			continue
		}
		k := copy(s.hdr[s.have:], p)
		s.have += k
		p = p[k:]
		if s.have < frame.HeaderLen {
			break
		}
		s.have = 0
		h := frame.ParseHeader(s.hdr[:])
		switch h.Type {
		case frame.TypeHeaders, frame.TypeContinuation, frame.TypePushPromise:
			n += int64(h.Length)
		}
		s.skip = int(h.Length)
	}
	return n
}

// fieldsSize is the decoded size of a header section (names and values).
func fieldsSize(fields []hpack.Field) int64 {
	var n int
	for i := range fields {
		n += len(fields[i].Name) + len(fields[i].Value)
	}
	return int64(n)
}
