package h2kit

import (
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// SendRequest opens a new stream with a request header section (client
// only) and returns its id. With endStream the request has no body.
// ErrTooManyStreams means the peer's SETTINGS_MAX_CONCURRENT_STREAMS is
// reached (wait for a stream to end); ErrStreamsExhausted means this
// connection can open no more streams (use a new one).
func (c *Conn) SendRequest(fields []hpack.Field, endStream bool) (uint32, error) {
	if c.role != Client {
		return 0, ErrWrongRole
	}
	if c.terminated != nil {
		return 0, ErrConnClosed
	}
	if c.goAwayRecv || c.goAwaySent || c.nextID > frame.MaxWindowSize {
		// Section 5.1.1: ids cannot be reused; a new connection is needed.
		return 0, ErrStreamsExhausted
	}
	if c.localActive >= int(c.peer.maxConcurrentStreams) {
		return 0, ErrTooManyStreams
	}
	id := c.nextID
	c.nextID += 2
	s := c.newStream(id)
	for i := range fields {
		if fields[i].Name == ":method" && fields[i].Value == "HEAD" {
			s.isHead = true
		}
		if fields[i].Name == "priority" {
			s.prio = ParsePriority(fields[i].Value)
		}
	}
	s.recvPhase = phaseHeaders
	return id, c.sendHeaderBlock(s, fields, endStream)
}

// SendHeaders sends a header section on stream id: a response (1xx ones
// first, if any) on a server, or trailers (endStream must be true) after
// a body. Trailers given while data is still buffered go out after it.
func (c *Conn) SendHeaders(id uint32, fields []hpack.Field, endStream bool) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	s := c.streams[id]
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
	return c.sendHeaderBlock(s, fields, endStream)
}

// sendHeaderBlock encodes and queues HEADERS (+ CONTINUATION) for s.
func (c *Conn) sendHeaderBlock(s *stream, fields []hpack.Field, endStream bool) error {
	in := inSendHeaders
	if endStream {
		in = inSendHeadersEnd
	}
	if transitions[s.state][in].verdict != vOK {
		return ErrStreamClosed
	}
	informational := false
	if c.role == Server && s.sendPhase == phaseHeaders {
		if st := statusOf(fields); st >= 100 && st < 200 {
			informational = true
			if endStream {
				return ErrStreamClosed
			}
		}
	}
	c.out = c.appendHeaderBlock(c.out, frame.TypeHeaders, s.id, 0, fields, endStream)
	c.transition(s, in)
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
func (c *Conn) appendHeaderBlock(dst []byte, typ frame.Type, id, promised uint32, fields []hpack.Field, endStream bool) []byte {
	c.scratch = c.enc.Encode(c.scratch[:0], fields)
	block := c.scratch
	max := int(c.peer.maxFrameSize)
	first := true
	for first || len(block) > 0 {
		room := max
		if first && typ == frame.TypePushPromise {
			room -= 4
		}
		n := min(len(block), room)
		frag := block[:n]
		block = block[n:]
		end := len(block) == 0
		var f frame.Frame
		switch {
		case first && typ == frame.TypeHeaders:
			h := frame.Headers{StreamID: id, EndStream: endStream, EndHeaders: end, BlockFragment: frag}
			dst = h.Append(dst)
			f = &h
		case first:
			p := frame.PushPromise{StreamID: id, PromisedID: promised, EndHeaders: end, BlockFragment: frag}
			dst = p.Append(dst)
			f = &p
		default:
			k := frame.Continuation{StreamID: id, EndHeaders: end, BlockFragment: frag}
			dst = k.Append(dst)
			f = &k
		}
		if c.cfg.Tracer != nil {
			var fs []hpack.Field
			if end {
				fs = fields
			}
			c.cfg.Tracer.FrameSent(f.FrameHeader(), f, fs)
		}
		first = false
	}
	return dst
}

// keepTrailers copies trailers to send once the buffered body is out.
func (c *Conn) keepTrailers(s *stream, fields []hpack.Field) {
	s.trailerArena = s.trailerArena[:0]
	for _, f := range fields {
		s.trailerArena = append(s.trailerArena, f.Name...)
		s.trailerArena = append(s.trailerArena, f.Value...)
	}
	s.trailers = s.trailers[:0]
	at := 0
	for _, f := range fields {
		n := string(s.trailerArena[at : at+len(f.Name)])
		at += len(f.Name)
		v := string(s.trailerArena[at : at+len(f.Value)])
		at += len(f.Value)
		s.trailers = append(s.trailers, hpack.Field{Name: n, Value: v, Sensitive: f.Sensitive})
	}
}

// SendData queues body bytes on stream id and returns how many it took:
// no more than the stream and connection send windows allow (RFC 9113,
// Section 6.9) and the stream's send buffer holds. endStream applies only
// when all of p is taken. When n < len(p), a WindowUpdated event says
// when to try again. The bytes are copied; p may be reused at once.
func (c *Conn) SendData(id uint32, p []byte, endStream bool) (int, error) {
	if c.terminated != nil {
		return 0, ErrConnClosed
	}
	s := c.streams[id]
	if s == nil {
		return 0, ErrUnknownStream
	}
	if s.sendPhase != phaseBody || s.sendEnd || len(s.trailers) > 0 {
		return 0, ErrStreamClosed
	}
	if transitions[s.state][inSendData].verdict != vOK {
		return 0, ErrStreamClosed
	}
	n := int64(len(p))
	n = min(n, s.sendWindow, c.sendWindow, int64(c.cfg.Limits.MaxStreamSendBuffer-s.pending()))
	if n < 0 {
		n = 0
	}
	if n < int64(len(p)) {
		s.blocked = true
		if c.sendWindow <= n {
			c.connBlocked = true
		}
		endStream = false
	}
	if n > 0 {
		if s.sendBuf == nil {
			s.sendBuf = c.getBuf()
		}
		s.sendBuf = append(s.sendBuf, p[:n]...)
		s.sendWindow -= n
		c.sendWindow -= n
	}
	if endStream {
		s.sendEnd = true
	}
	if n > 0 || endStream {
		c.sched.setReady(s)
	}
	return int(n), nil
}

// SendWindow returns how many bytes SendData would take now on stream id.
func (c *Conn) SendWindow(id uint32) int {
	s := c.streams[id]
	if s == nil || c.terminated != nil {
		return 0
	}
	return int(max(0, min(s.sendWindow, c.sendWindow, int64(c.cfg.Limits.MaxStreamSendBuffer-s.pending()))))
}

// pending is the data queued but not yet written.
func (s *stream) pending() int { return len(s.sendBuf) - s.sendOff }

// ResetStream ends stream id with RST_STREAM and code (RFC 9113, Section
// 6.4); a client cancels a push this way with frame.ErrCodeCancel.
func (c *Conn) ResetStream(id uint32, code frame.ErrCode) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	s := c.streams[id]
	if s == nil {
		return ErrUnknownStream
	}
	c.queueRST(id, code)
	c.rememberClosed(id)
	c.setState(s, StateClosed)
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
	if c.terminated != nil || c.goAwaySent || c.goAwayRecv {
		return 0, ErrConnClosed
	}
	if !c.peer.enablePush {
		return 0, ErrPushDisabled
	}
	a := c.streams[assocID]
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
	c.out = c.appendHeaderBlock(c.out, frame.TypePushPromise, assocID, id, request, false)
	c.transition(s, inSendPushPromise)
	return id, nil
}

// AppendOutgoing appends everything ready to be written: control frames
// and header blocks first, in the order they were produced, then DATA
// from the streams that have some, shared by priority (RFC 9218 or the
// RFC 7540 tree), up to about 64 KiB per call. Call it again while
// WantWrite is true.
func (c *Conn) AppendOutgoing(dst []byte) []byte {
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
		n := min(s.pending(), int(c.peer.maxFrameSize), budget)
		last := n == s.pending()
		end := last && s.sendEnd && len(s.trailers) == 0
		d := frame.Data{StreamID: s.id, EndStream: end, Data: s.sendBuf[s.sendOff : s.sendOff+n]}
		dst = d.Append(dst)
		if c.cfg.Tracer != nil {
			c.cfg.Tracer.FrameSent(d.FrameHeader(), &d, nil)
		}
		s.sendOff += n
		budget -= n + frame.HeaderLen
		c.sched.charge(s, n)
		if !last {
			continue
		}
		s.sendBuf, s.sendOff = s.sendBuf[:0], 0
		c.sched.unready(s)
		if s.blocked && s.sendWindow > 0 && c.sendWindow > 0 {
			s.blocked = false
			c.pushEvent(eventRec{kind: evWindow, streamID: s.id})
		}
		switch {
		case len(s.trailers) > 0:
			dst = c.appendHeaderBlock(dst, frame.TypeHeaders, s.id, 0, s.trailers, true)
			s.trailers = s.trailers[:0]
			s.sendPhase = phaseDone
			c.transition(s, inSendHeadersEnd)
		case end:
			s.sendPhase = phaseDone
			c.transition(s, inSendDataEnd)
		}
	}
	return dst
}

// queueControl appends a control frame to the output, counting frames
// produced in answer to the peer (Limits.MaxQueuedControlFrames).
func (c *Conn) queueControl(f frame.Frame, answer bool) {
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		c.cfg.Tracer.FrameSent(f.FrameHeader(), f, nil)
	}
	if answer {
		c.ctrlQueued++
		if c.ctrlQueued > c.cfg.Limits.MaxQueuedControlFrames && c.terminated == nil {
			// PING / SETTINGS / RST floods (CVE-2019-9512, -9514, -9515):
			// a peer that does not read what it provokes is cut off.
			c.fail(connErr(frame.ErrCodeEnhanceYourCalm, "too many control frames queued"))
		}
	}
}

func (c *Conn) queueRST(id uint32, code frame.ErrCode) {
	f := frame.RSTStream{StreamID: id, Code: code}
	c.queueControl(&f, true)
}

func (c *Conn) queueWindowUpdate(id uint32, inc uint32) {
	if inc == 0 {
		return
	}
	f := frame.WindowUpdate{StreamID: id, Increment: inc}
	c.queueControl(&f, false)
}

func (c *Conn) queueGoAway(last uint32, code frame.ErrCode, reason string) {
	f := frame.GoAway{LastStreamID: last, Code: code, DebugData: []byte(reason)}
	c.queueControl(&f, false)
	if !c.goAwaySent || last < c.goAwayLastID {
		c.goAwayLastID = last
	}
	c.goAwaySent = true
}
