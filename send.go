package h2kit

import (
	"unsafe"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// SendRequest opens a new stream with a request header section (client
// only) and returns its id. With endStream the request has no body.
// ErrTooManyStreams means the peer's SETTINGS_MAX_CONCURRENT_STREAMS is
// reached (wait for a stream to end); ErrStreamsExhausted means this
// connection can open no more streams (use a new one). An extended
// CONNECT (fields with :protocol, RFC 8441) gets ErrExtendedConnectDisabled
// until the peer's SETTINGS enabled it, and ErrMalformedRequest without
// :scheme, :path or :authority.
func (c *Conn) SendRequest(fields []hpack.Field, endStream bool) (uint32, error) {
	return c.sendRequest(fields, endStream, nil)
}

// sendRequest is SendRequest, with RFC 7540 priority fields in the
// HEADERS frame when prio is set (SendRequestPriority).
func (c *Conn) sendRequest(fields []hpack.Field, endStream bool, prio *frame.PriorityParam) (uint32, error) {
	if c.role != Client {
		return 0, ErrWrongRole
	}
	if c.terminated != nil {
		return 0, ErrConnClosed
	}
	if c.goAway.recv || c.goAway.sent || c.nextID > frame.MaxWindowSize {
		// Section 5.1.1: ids cannot be reused; a new connection is needed.
		return 0, ErrStreamsExhausted
	}
	if hasProtocol(fields) {
		if err := c.checkExtendedConnect(fields); err != nil {
			return 0, err
		}
	}
	if c.localActive >= int(c.peer.maxConcurrentStreams) {
		return 0, ErrTooManyStreams
	}
	id := c.nextID
	c.nextID += 2
	s := c.newStream(id)
	for i := range fields {
		if fields[i].Name == ":method" {
			s.isHead = fields[i].Value == "HEAD"
			s.isConnect = fields[i].Value == "CONNECT"
		}
		if fields[i].Name == "priority" {
			s.prio = ParsePriority(fields[i].Value)
		}
	}
	s.recvPhase = phaseHeaders
	err := c.sendHeaderBlock(s, fields, endStream, prio)
	if err == nil {
		// After the HEADERS: the stream was idle before them (RFC 9113,
		// Section 5.1).
		c.openRecvWindow(s)
	}
	if c.nextID > frame.MaxWindowSize {
		// Section 5.1.1: the ids are used up. Say so with GOAWAY (after
		// the last request); the caller opens a new connection.
		c.Shutdown()
	}
	return id, err
}

// SendHeaders sends a header section on stream id: a response (1xx ones
// first, if any) on a server, or trailers (endStream must be true) after
// a body. Trailers given while data is still buffered go out after it.
func (c *Conn) SendHeaders(id uint32, fields []hpack.Field, endStream bool) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	s := c.streams.Get(id)
	if s == nil {
		return ErrUnknownStream
	}
	if s.sendPhase == phaseDone || s.sendEnd || len(s.trailers) > 0 {
		return ErrStreamClosed
	}
	if s.sendPhase == phaseBody {
		if !endStream {
			return ErrStreamClosed // trailers must end the stream (Section 8.1)
		}
		if s.pending() > 0 {
			c.keepTrailers(s, fields)
			return nil
		}
	}
	return c.sendHeaderBlock(s, fields, endStream, nil)
}

// sendHeaderBlock encodes and queues HEADERS (+ CONTINUATION) for s,
// with the priority fields of prio if set.
func (c *Conn) sendHeaderBlock(s *stream, fields []hpack.Field, endStream bool, prio *frame.PriorityParam) error {
	informational := false
	if c.role == Server && s.sendPhase == phaseHeaders {
		if st := statusOf(fields); st >= 100 && st < 200 {
			informational = true
			if endStream {
				return ErrStreamClosed
			}
		}
	}
	// HEADERS first (in every state the table gives HEADERS with and
	// without END_STREAM the same verdict), END_STREAM once the frames
	// are queued: closing the stream may queue a WINDOW_UPDATE, which
	// goes after them.
	if c.apply(s, inSendHeaders) != vOK {
		return ErrStreamClosed
	}
	c.out = c.appendHeaderBlock(c.out, frame.TypeHeaders, s.id, 0, fields, endStream, prio)
	if c.role == Server {
		// A response without a body closes its stream at once, so
		// SETTINGS_MAX_CONCURRENT_STREAMS does not bound how many wait
		// here for a client that sends requests and never reads:
		// internal data buffering (CVE-2019-9517).
		c.countAnswer()
	}
	if endStream {
		c.apply(s, inSendHeadersEnd)
	}
	switch {
	case endStream:
		s.sendPhase = phaseDone
	case !informational:
		s.sendPhase = phaseBody
	}
	return nil
}

// appendHeaderBlock encodes fields and appends HEADERS or PUSH_PROMISE
// plus CONTINUATION frames no larger than the peer's SETTINGS_MAX_FRAME_SIZE.
// A HEADERS frame carries prio, if set, in its priority fields.
func (c *Conn) appendHeaderBlock(dst []byte, typ frame.Type, id, promised uint32, fields []hpack.Field, endStream bool, prio *frame.PriorityParam) []byte {
	c.scratch = c.enc.Encode(c.scratch[:0], fields)
	block := c.scratch
	max := int(c.peer.maxFrameSize)
	first := true
	for first || len(block) > 0 {
		room := max
		if first && typ == frame.TypePushPromise {
			room -= 4
		}
		if first && prio != nil {
			room -= 5 // Exclusive, Stream Dependency, Weight (Section 6.2)
		}
		n := min(len(block), room)
		frag := block[:n]
		block = block[n:]
		end := len(block) == 0
		// The frame values stay on the stack: only the tracer, when there
		// is one, gets a heap copy (a steady state without a tracer
		// allocates nothing per frame).
		var fs []hpack.Field
		if end {
			fs = fields
		}
		switch {
		case first && typ == frame.TypeHeaders:
			h := frame.Headers{StreamID: id, EndStream: endStream, EndHeaders: end, BlockFragment: frag}
			if prio != nil {
				h.HasPriority, h.Priority = true, *prio
			}
			dst = h.Append(dst)
			if c.cfg.Tracer != nil {
				t := h
				c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, fs)
			}
		case first:
			p := frame.PushPromise{StreamID: id, PromisedID: promised, EndHeaders: end, BlockFragment: frag}
			dst = p.Append(dst)
			if c.cfg.Tracer != nil {
				t := p
				c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, fs)
			}
		default:
			k := frame.Continuation{StreamID: id, EndHeaders: end, BlockFragment: frag}
			dst = k.Append(dst)
			if c.cfg.Tracer != nil {
				t := k
				c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, fs)
			}
		}
		first = false
	}
	return dst
}

// keepTrailers copies trailers to send once the buffered body is out.
// The copies live in the stream's arena (strings made with unsafe.String
// over it, no allocation once it has grown); they are encoded by
// AppendOutgoing and the arena is reused only by a later keepTrailers.
func (c *Conn) keepTrailers(s *stream, fields []hpack.Field) {
	need := 0
	for _, f := range fields {
		need += len(f.Name) + len(f.Value)
	}
	if cap(s.trailerArena) < need {
		s.trailerArena = make([]byte, 0, need)
	}
	s.trailerArena = s.trailerArena[:0]
	s.trailers = s.trailers[:0]
	for _, f := range fields {
		s.trailers = append(s.trailers, hpack.Field{Name: s.keep(f.Name), Value: s.keep(f.Value), Sensitive: f.Sensitive})
	}
}

// keep copies v into the trailer arena, which never grows here (its
// capacity was checked), so earlier strings stay valid.
func (s *stream) keep(v string) string {
	if v == "" {
		return ""
	}
	at := len(s.trailerArena)
	s.trailerArena = append(s.trailerArena, v...)
	return unsafe.String(&s.trailerArena[at], len(v))
}

// SendData queues body bytes on stream id and returns how many it took:
// no more than the stream and connection send windows allow (RFC 9113,
// Section 6.9) and the stream's send buffer holds. endStream applies only
// when all of p is taken. When n < len(p), a WindowUpdated event says
// when to try again. The bytes are copied; p may be reused at once.
func (c *Conn) SendData(id uint32, p []byte, endStream bool) (int, error) {
	return c.sendData(id, p, endStream, false)
}

// sendData is SendData, and SendDataRef when ref is set.
func (c *Conn) sendData(id uint32, p []byte, endStream, ref bool) (int, error) {
	if c.terminated != nil {
		return 0, ErrConnClosed
	}
	s := c.streams.Get(id)
	if s == nil {
		return 0, ErrUnknownStream
	}
	if !s.takesData() {
		return 0, ErrStreamClosed
	}
	if c.apply(s, inSendData) != vOK { // no state change: END_STREAM is applied as it is written
		return 0, ErrStreamClosed
	}
	// Flow-control credit is reserved here, when the bytes are taken:
	// s.sendWindow and c.sendWindow count what the peer still allows
	// minus what is buffered. A SETTINGS_INITIAL_WINDOW_SIZE decrease can
	// leave buffered bytes beyond the stream's window; AppendOutgoing
	// holds those back (see sendable).
	if s.borrowed && s.pending() == 0 {
		c.dropSendBuf(s) // the caller's bytes are all out
	}
	// A reference needs no room in the send buffer, but comes after
	// nothing: behind buffered bytes, p is copied. Borrowed bytes take
	// nothing after them until they are out.
	ref = ref && s.pending() == 0
	room := int64(c.cfg.Limits.MaxStreamSendBuffer - s.pending())
	switch {
	case ref:
		room = int64(len(p))
	case s.borrowed:
		room = 0
	}
	n := int64(len(p))
	n = min(n, s.sendWindow, c.sendWindow, room)
	if n < 0 {
		n = 0
	}
	// An application turned away, or one that used the window up and so
	// cannot send more, hears WindowUpdated when the window reopens (an
	// application that holds back all it cannot send now would otherwise
	// never be told).
	if len(p) > 0 && (n < int64(len(p)) || (s.sendWindow <= n && !endStream)) {
		s.blocked = true
	}
	if len(p) > 0 && c.sendWindow <= n {
		c.connBlocked = true
	}
	if n < int64(len(p)) {
		endStream = false
	}
	if n > 0 && ref {
		if s.sendBuf != nil {
			c.dropSendBuf(s)
		}
		s.sendBuf, s.sendOff, s.borrowed = p[:n:n], 0, true
		s.sendWindow -= n
		c.sendWindow -= n
	} else if n > 0 {
		if s.sendBuf == nil {
			s.sendBuf = c.getBuf()
		} else if s.sendOff > 0 && len(s.sendBuf)+int(n) > cap(s.sendBuf) {
			// Compact rather than grow: the sent prefix is dead, and
			// appending after it would double the buffer past
			// MaxStreamSendBuffer for a stream that is never drained.
			// A prefix that segments still reference
			// (AppendOutgoingSegments) stays put: the unsent bytes move
			// to another buffer instead.
			if c.lent(s) {
				b := append(c.getBuf(), s.sendBuf[s.sendOff:]...)
				c.lend.bufs = append(c.lend.bufs, s.sendBuf)
				s.sendBuf, s.sendOff = b, 0
			} else {
				k := copy(s.sendBuf, s.sendBuf[s.sendOff:])
				s.sendBuf, s.sendOff = s.sendBuf[:k], 0
			}
		}
		s.sendBuf = append(s.sendBuf, p[:n]...)
		s.sendWindow -= n
		c.sendWindow -= n
	}
	if endStream {
		s.sendEnd = true
	}
	if n > 0 || endStream {
		c.updateReady(s)
	}
	return int(n), nil
}

// takesData reports whether SendData may still take body bytes for s: its
// header section is sent and neither END_STREAM nor trailers were given.
func (s *stream) takesData() bool {
	return s.sendPhase == phaseBody && !s.sendEnd && len(s.trailers) == 0
}

// sendable is how many buffered bytes of s flow control lets AppendOutgoing
// write now. Credit for them was reserved by SendData, but a negative
// stream window (RFC 9113, Section 6.9.2) takes some back: the peer's view
// of the window is s.sendWindow + s.pending().
func (s *stream) sendable() int {
	return max(0, s.pending()+int(min(0, s.sendWindow)))
}

// canWrite reports whether the scheduler has something to write for s:
// DATA flow control allows, or an END_STREAM (empty DATA) or trailers
// after the last byte.
func (s *stream) canWrite() bool {
	if s.sendPhase == phaseDone {
		// END_STREAM already went out: a later
		// WINDOW_UPDATE must not re-ready the stream, or AppendOutgoing
		// writes a second, empty DATA with END_STREAM (the peer answers
		// STREAM_CLOSED; seen with nghttpd and h2kit bench -d).
		return false
	}
	if s.pending() == 0 {
		return s.sendEnd || len(s.trailers) > 0
	}
	return s.sendable() > 0
}

// updateReady puts s in the scheduler's ready set when it can write and
// takes it out when flow control holds it back, so that WantWrite and
// AppendOutgoing never wait on a stream that cannot move.
func (c *Conn) updateReady(s *stream) {
	if s.state != StateClosed && c.streams.Get(s.id) == s && s.canWrite() {
		c.sched.setReady(s)
	} else {
		c.sched.unready(s)
	}
}

// streamWindowGrew is called when s's send window grew from before
// (WINDOW_UPDATE or a larger SETTINGS_INITIAL_WINDOW_SIZE): held-back DATA
// may go, and an application that SendData turned away, or that could not
// send because the window was not open, hears WindowUpdated.
func (c *Conn) streamWindowGrew(s *stream, before int64) {
	c.updateReady(s)
	if (s.blocked || before <= 0) && s.sendWindow > 0 && s.takesData() {
		s.blocked = false
		c.pushEvent(eventRec{kind: evWindow, streamID: s.id})
	}
}

// refundSend gives back the connection credit reserved for DATA that s
// buffered and will never write (the stream closed or was reset), so
// the connection window does not shrink for good (RFC 9113, Section 6.9).
func (c *Conn) refundSend(s *stream) {
	n := int64(s.pending())
	if n <= 0 {
		return
	}
	s.sendOff = len(s.sendBuf)
	c.sendWindow += n
	if c.connBlocked && c.sendWindow > 0 {
		c.connBlocked = false
		c.pushEvent(eventRec{kind: evWindow})
	}
}

// SendWindow returns how many bytes SendData would take now on stream id.
func (c *Conn) SendWindow(id uint32) int {
	s := c.streams.Get(id)
	if s == nil || c.terminated != nil {
		return 0
	}
	return int(max(0, min(s.sendWindow, c.sendWindow, int64(c.cfg.Limits.MaxStreamSendBuffer-s.pending()))))
}

// SendFlowWindow returns how many more bytes flow control lets stream id
// send, beyond what SendData already took: the smaller of the stream's
// and the connection's send windows (RFC 9113, Section 6.9). Unlike
// SendWindow it leaves out the room in the engine's send buffer, which
// frees by itself as output is written. An application that holds no more
// bytes for a stream than this window never holds bytes that only the
// peer's WINDOW_UPDATE can release.
func (c *Conn) SendFlowWindow(id uint32) int {
	s := c.streams.Get(id)
	if s == nil || c.terminated != nil {
		return 0
	}
	return int(max(0, min(s.sendWindow, c.sendWindow)))
}

// SendWindows returns SendWindow(id) and SendFlowWindow(id) together,
// for an application that follows both, with one look-up of the stream.
func (c *Conn) SendWindows(id uint32) (window, flow int) {
	s := c.streams.Get(id)
	if s == nil || c.terminated != nil {
		return 0, 0
	}
	f := max(0, min(s.sendWindow, c.sendWindow))
	return int(max(0, min(f, int64(c.cfg.Limits.MaxStreamSendBuffer-s.pending())))), int(f)
}

// pending is the data queued but not yet written.
func (s *stream) pending() int { return len(s.sendBuf) - s.sendOff }

// maxDrainedBufs bounds the send buffers larger than minSendBuf that
// AppendOutgoing keeps for reuse when streams drain theirs.
const maxDrainedBufs = 4

// minSendBuf is the capacity of a new send buffer (getBuf).
const minSendBuf = 4096

// SendBuffered returns how many bytes SendData took on stream id that
// AppendOutgoing has not written yet (0 for a stream that is over: what
// it held was dropped).
func (c *Conn) SendBuffered(id uint32) int {
	if s := c.streams.Get(id); s != nil {
		return s.pending()
	}
	return 0
}

// ResetStream ends stream id with RST_STREAM and code (RFC 9113, Section
// 6.4); a client cancels a push this way with frame.ErrCodeCancel.
func (c *Conn) ResetStream(id uint32, code frame.ErrCode) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	s := c.streams.Get(id)
	if s == nil {
		return ErrUnknownStream
	}
	c.queueRST(id, code)
	// A stream in c.streams is never idle between calls: RST_STREAM
	// closes it in every state it can be in (Section 5.1).
	if c.applyReset(s, inSendRST, User, code) != vOK {
		return ErrStreamClosed
	}
	return nil
}

// PushPromise promises a pushed response on client stream assocID (server
// only, RFC 9113, Section 8.4) and returns the promised stream id; send
// the response with SendHeaders and SendData on it. The request must be
// safe and cacheable (GET or HEAD).
func (c *Conn) PushPromise(assocID uint32, request []hpack.Field) (uint32, error) {
	if c.role != Server {
		return 0, ErrWrongRole
	}
	if c.terminated != nil || c.goAway.sent || c.goAway.recv {
		return 0, ErrConnClosed
	}
	if !c.peer.enablePush {
		return 0, ErrPushDisabled
	}
	a := c.streams.Get(assocID)
	if a == nil || (a.state != StateOpen && a.state != StateHalfClosedRemote) || a.sendPhase == phaseDone {
		// Section 6.6: only on an open or half-closed (remote) stream.
		return 0, ErrStreamClosed
	}
	if !c.cfg.DisableMessageRules {
		m := messageInfo{contentLength: -1}
		if reason := checkRequest(request, &m, false); reason != "" || !m.safeCacheable() {
			return 0, &StreamError{StreamID: assocID, Code: frame.ErrCodeProtocol, Reason: "push request must be a safe, cacheable request: " + reason, Initiator: User}
		}
	}
	if c.nextID > frame.MaxWindowSize {
		return 0, ErrStreamsExhausted
	}
	if c.localActive+c.reservedCount() >= int(c.peer.maxConcurrentStreams) {
		return 0, ErrTooManyStreams
	}
	id := c.nextID
	c.nextID += 2
	s := c.newStream(id)
	s.pushed = true
	s.recvPhase = phaseDone
	for _, f := range request {
		if f.Name == ":method" && f.Value == "HEAD" {
			s.isHead = true
		}
	}
	c.apply(s, inSendPushPromise) // idle: always allowed
	c.out = c.appendHeaderBlock(c.out, frame.TypePushPromise, assocID, id, request, false, nil)
	return id, nil
}

// AppendOutgoing appends everything ready to be written: control frames
// and header blocks first, in the order they were produced, then DATA
// from the streams that have some, shared by priority (RFC 9218 or the
// RFC 7540 tree), up to about 64 KiB per call. Call it again while
// WantWrite is true.
func (c *Conn) AppendOutgoing(dst []byte) []byte {
	return c.appendOutgoing(dst, nil)
}

// appendOutgoing is AppendOutgoing, and AppendOutgoingSegments when segs
// is set.
func (c *Conn) appendOutgoing(dst []byte, segs *[]OutSegment) []byte {
	dst = append(dst, c.out...)
	c.out = c.out[:0]
	c.ctrlQueued = 0
	if c.terminated != nil {
		return dst
	}
	budget := 64 << 10
	for budget > 0 {
		s := c.sched.next()
		if s == nil {
			break
		}
		// No more than flow control allows now (RFC 9113, Section 6.9.1;
		// a stream window made negative by SETTINGS sends nothing).
		// The budget is soft: a frame is never cut short for it, so
		// streams do not get runt DATA frames at every call's end.
		n := min(s.sendable(), int(c.peer.maxFrameSize))
		last := n == s.pending()
		end := last && s.sendEnd && len(s.trailers) == 0
		d := frame.Data{StreamID: s.id, EndStream: end, Data: s.sendBuf[s.sendOff : s.sendOff+n]}
		dst = c.appendData(dst, segs, s, &d)
		if c.cfg.Tracer != nil {
			t := d // only the tracer's copy escapes
			c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, nil)
		}
		s.sendOff += n
		c.dataSincePing = true
		budget -= n + frame.HeaderLen
		c.sched.charge(s, n)
		if !last {
			if s.sendable() == 0 {
				c.sched.unready(s) // until the window grows
			}
			continue
		}
		// Drained: the buffer goes back to the pool (recycleSendBuf).
		c.dropSendBuf(s)
		c.sched.unready(s)
		if s.blocked && s.sendWindow > 0 && c.sendWindow > 0 {
			s.blocked = false
			c.pushEvent(eventRec{kind: evWindow, streamID: s.id})
		}
		switch {
		case len(s.trailers) > 0:
			dst = c.appendHeaderBlock(dst, frame.TypeHeaders, s.id, 0, s.trailers, true, nil)
			s.trailers = s.trailers[:0]
			s.sendPhase = phaseDone
			c.apply(s, inSendHeadersEnd) // allowed: SendHeaders checked the state
		case end:
			s.sendPhase = phaseDone
			c.apply(s, inSendDataEnd) // allowed: SendData checked the state
		}
	}
	return dst
}

// queueControl appends a control frame to the output, counting frames
// produced in answer to the peer (Limits.MaxQueuedControlFrames). f
// escapes; frames sent in steady state (WINDOW_UPDATE, RST_STREAM, PING)
// use the allocation-free helpers below instead.
func (c *Conn) queueControl(f frame.Frame, answer bool) {
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		c.cfg.Tracer.FrameSent(f.FrameHeader(), f, nil)
	}
	if answer {
		c.countAnswer()
	}
}

// countAnswer counts a control frame sent in answer to the peer.
func (c *Conn) countAnswer() {
	c.ctrlQueued++
	if c.ctrlQueued > c.cfg.Limits.MaxQueuedControlFrames && c.terminated == nil {
		// PING / SETTINGS / RST floods (CVE-2019-9512, -9514, -9515):
		// a peer that does not read what it provokes is cut off.
		c.fail(connErr(frame.ErrCodeEnhanceYourCalm, "too many control frames queued"))
	}
}

func (c *Conn) queueRST(id uint32, code frame.ErrCode) {
	f := frame.RSTStream{StreamID: id, Code: code}
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		t := f
		c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, nil)
	}
	c.countAnswer()
}

func (c *Conn) queueWindowUpdate(id uint32, inc uint32) {
	if inc == 0 {
		return
	}
	f := frame.WindowUpdate{StreamID: id, Increment: inc}
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		t := f
		c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, nil)
	}
}

// queuePing appends a PING (an ACK when ack is set).
func (c *Conn) queuePing(data [8]byte, ack bool) {
	f := frame.Ping{Ack: ack, Data: data}
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		t := f
		c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, nil)
	}
	if ack {
		c.countAnswer()
	}
}

func (c *Conn) queueGoAway(last uint32, code frame.ErrCode, reason string) {
	f := frame.GoAway{LastStreamID: last, Code: code, DebugData: []byte(reason)}
	c.queueControl(&f, false)
	if !c.goAway.sent || last < c.goAway.lastID {
		c.goAway.lastID = last
	}
	c.goAway.sent = true
}
