package h2kit

import (
	"errors"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// headerBlock is a HEADERS or PUSH_PROMISE header block being assembled
// from CONTINUATION frames (RFC 9113, Section 4.3 and 6.10).
type headerBlock struct {
	active     bool
	typ        frame.Type
	streamID   uint32
	promisedID uint32
	endStream  bool
	hasPrio    bool
	prio       frame.PriorityParam
	frames     int
	buf        []byte
	fieldsAt   int  // where the decoded block's fields start in Conn.fields
	checked    bool // its regular fields passed fieldChars (messageInfo.checked)
	// kept stays from block to block (like buf).
	kept keptVerdict
}

// keptVerdict is what onResponse takes from checkResponse (the status
// and content-length, Section 8.3.2 and 8.1.1), or onRequest from
// checkRequest (Section 8.3.1), for a message whose fields the decoder
// gives again and again (hpack.Decoder.Repeated): the next message with
// those fields, byte for byte the same block with the same dynamic table,
// passes the same checks and says the same. A request's verdict also
// depends on whether extended CONNECT is enabled (RFC 8441, Section 3),
// kept with it.
type keptVerdict struct {
	repeated uint64 // 0: nothing kept
	m        messageInfo
	extended bool // the request was checked with extended CONNECT enabled
}

// onHeaders handles HEADERS (RFC 9113, Section 6.2).
func (c *Conn) onHeaders(h *frame.Headers) error {
	c.hb = headerBlock{typ: frame.TypeHeaders, streamID: h.StreamID, endStream: h.EndStream,
		hasPrio: h.HasPriority, prio: h.Priority, frames: 1, buf: c.hb.buf[:0], kept: c.hb.kept}
	return c.startBlock(h, h.BlockFragment, h.EndHeaders)
}

// onPushPromise handles PUSH_PROMISE (RFC 9113, Section 6.6).
func (c *Conn) onPushPromise(p *frame.PushPromise) error {
	if c.role == Server {
		// Section 8.4: a client cannot push.
		return connErr(frame.ErrCodeProtocol, "PUSH_PROMISE from a client")
	}
	if c.acked.DisablePush {
		// Section 6.5.2: push was disabled by our SETTINGS_ENABLE_PUSH = 0,
		// and the peer acknowledged it. Before the ACK a promise is legal
		// (the peer may not have applied the setting yet): onPromiseBlock
		// refuses it with a stream error instead.
		return connErr(frame.ErrCodeProtocol, "PUSH_PROMISE with push disabled")
	}
	c.hb = headerBlock{typ: frame.TypePushPromise, streamID: p.StreamID, promisedID: p.PromisedID,
		frames: 1, buf: c.hb.buf[:0], kept: c.hb.kept}
	return c.startBlock(p, p.BlockFragment, p.EndHeaders)
}

func (c *Conn) startBlock(f frame.Frame, frag []byte, end bool) error {
	if end {
		return c.endBlock(f, frag)
	}
	c.trace(f, nil)
	c.hb.active = true
	if len(frag) > c.cfg.Limits.MaxHeaderBlockSize {
		return connErr(frame.ErrCodeEnhanceYourCalm, "header block too large")
	}
	c.hb.buf = append(c.hb.buf, frag...)
	return nil
}

// onContinuation handles CONTINUATION (RFC 9113, Section 6.10).
func (c *Conn) onContinuation(k *frame.Continuation) error {
	if !c.hb.active || k.StreamID != c.hb.streamID {
		return connErr(frame.ErrCodeProtocol, "CONTINUATION without a header block in progress")
	}
	c.hb.frames++
	if c.hb.frames > c.cfg.Limits.MaxContinuationFrames {
		// CONTINUATION flood (CVE-2024-27316, CVE-2023-45288).
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many CONTINUATION frames")
	}
	if len(c.hb.buf)+len(k.BlockFragment) > c.cfg.Limits.MaxHeaderBlockSize {
		return connErr(frame.ErrCodeEnhanceYourCalm, "header block too large")
	}
	if len(k.BlockFragment) == 0 && !k.EndHeaders && !c.flood.emptyFrames.take(c.now) {
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many empty CONTINUATION frames")
	}
	c.hb.buf = append(c.hb.buf, k.BlockFragment...)
	if !k.EndHeaders {
		c.trace(k, nil)
		return nil
	}
	c.hb.active = false
	return c.endBlock(k, c.hb.buf)
}

// endBlock decodes a complete header block and hands it on.
//
// The fields are appended to c.fields with DecodeAppend: the decoder
// keeps every string it returned during this Receive valid (the strings
// of c.fields that alias its dynamic table are copied, in c.fields,
// before an insertion overwrites them), so they reach the events
// without a copy of their own; Receive releases them all at once. The
// events name their fields by position in c.fields (eventRec.fieldsAt),
// which a later block may move to a larger array.
func (c *Conn) endBlock(f frame.Frame, block []byte) error {
	c.hb.active = false
	start := len(c.fields)
	all, err := c.dec.DecodeAppend(c.fields, block)
	c.fields = all
	fields := all[start:len(all):len(all)]
	c.hb.fieldsAt = start
	c.hb.checked = c.dec.BlockPassed()
	tooLarge := false
	if err != nil {
		if !errors.Is(err, hpack.ErrHeaderListTooLarge) {
			// Section 4.3: a block that cannot be decoded ends the connection.
			return connErr(frame.ErrCodeCompression, err.Error())
		}
		tooLarge = true
	}
	c.trace(f, fields)
	if c.hb.typ == frame.TypePushPromise {
		return c.onPromiseBlock(fields, tooLarge)
	}
	return c.onHeaderBlock(fields, tooLarge)
}

// blockEvent returns rec with its fields set to those of the block being
// handled, fields (endBlock's, a part of c.fields).
func (c *Conn) blockEvent(rec eventRec, fields []hpack.Field) eventRec {
	rec.fieldsAt, rec.fieldsEnd = c.hb.fieldsAt, c.hb.fieldsAt+len(fields)
	return rec
}

func (c *Conn) trace(f frame.Frame, fields []hpack.Field) {
	if c.cfg.Tracer != nil {
		c.cfg.Tracer.FrameReceived(c.parser.LastHeader(), f, fields)
	}
}

// onHeaderBlock handles a complete HEADERS block on stream c.hb.streamID.
func (c *Conn) onHeaderBlock(fields []hpack.Field, tooLarge bool) error {
	id := c.hb.streamID
	s := c.streams.Get(id)
	if s == nil {
		if c.State(id) == StateClosed {
			if c.ignoredAfterGoAway(id) {
				return nil // Section 6.8: a stream we will not process
			}
			switch cc := c.closedAs(id); {
			case cc.peerKnows():
				// Section 5.1, "closed": HEADERS after the stream ended.
				return connErr(frame.ErrCodeStreamClosed, "HEADERS on a closed stream")
			case cc.how == closeSkipped:
				// Section 5.1.1: a new stream must use an id larger than
				// every one the peer used before.
				return connErr(frame.ErrCodeProtocol, "HEADERS opening a stream with an id lower than one already used")
			}
			// Sent before our RST_STREAM arrived, or on a stream closed
			// too long ago to tell: the block updated the HPACK state,
			// nothing else to do (Section 5.1, "closed").
			return nil
		}
		switch {
		case !c.peerInitiated(id) || c.role == Client:
			// Section 5.1.1: a stream id of the wrong parity; a server
			// opens streams only with PUSH_PROMISE (Section 8.4).
			return connErr(frame.ErrCodeProtocol, "HEADERS opening a stream with an invalid id")
		case c.goAway.sent && id > c.goAway.lastID:
			c.usePeerID(id)
			return nil // Section 6.8: streams above our GOAWAY are ignored
		}
		c.usePeerID(id) // lower idle ids are now closed (Section 5.1.1)
		if c.hb.hasPrio && c.hb.prio.StreamDep == id {
			return streamErr(id, frame.ErrCodeProtocol, "stream depends on itself")
		}
		if c.peerActive >= int(c.effectiveMaxStreams()) {
			// Section 5.1.2: beyond SETTINGS_MAX_CONCURRENT_STREAMS.
			return streamErr(id, frame.ErrCodeRefusedStream, "too many concurrent streams")
		}
		s = c.newStream(id)
	} else if c.hb.hasPrio && c.hb.prio.StreamDep == id {
		return streamErr(id, frame.ErrCodeProtocol, "stream depends on itself")
	}
	in := inRecvHeaders
	if c.hb.endStream {
		in = inRecvHeadersEnd
	}
	// The block is applied as HEADERS first (in every state the table
	// gives HEADERS with and without END_STREAM the same verdict): the
	// stream leaves idle or reserved now; its END_STREAM is applied by
	// onRequest, onResponse or onTrailers once the message checks
	// passed, so that a stream error still finds the stream.
	switch c.apply(s, inRecvHeaders) {
	case vStreamClosed:
		return streamErr(id, frame.ErrCodeStreamClosed, "HEADERS after END_STREAM")
	case vConnStreamClosed:
		return connErr(frame.ErrCodeStreamClosed, "HEADERS on a closed stream")
	case vConnProtocol:
		return connErr(frame.ErrCodeProtocol, "HEADERS on a stream in state "+s.state.String())
	}
	if c.hb.hasPrio {
		c.setTreePriority(id, c.hb.prio)
	}
	if tooLarge {
		if c.role == Server && s.recvPhase == phaseHeaders {
			return c.onRequestTooLarge(s, in)
		}
		return streamErr(id, frame.ErrCodeProtocol, "header list larger than SETTINGS_MAX_HEADER_LIST_SIZE")
	}
	if s.recvPhase == phaseBody {
		return c.onTrailers(s, fields, in)
	}
	if c.role == Server {
		return c.onRequest(s, fields, in)
	}
	return c.onResponse(s, fields, in)
}

func (c *Conn) onRequest(s *stream, fields []hpack.Field, in streamInput) error {
	m := messageInfo{contentLength: -1, checked: c.hb.checked}
	repeated := uint64(0)
	if !c.cfg.DisableMessageRules {
		// onRequest runs right after the block's decoding (endBlock):
		// the decoder's Repeated is this block's.
		repeated = c.dec.Repeated()
		ext := c.local.EnableConnectProtocol
		if k := &c.hb.kept; repeated != 0 && repeated == k.repeated && ext == k.extended {
			// The same fields passed checkRequest before.
			m = k.m
		} else {
			if reason := checkRequest(fields, &m, ext); reason != "" {
				// Section 8.1.1: a malformed request is a stream error.
				// The stream is not moved by the END_STREAM first:
				// streamError must find it to report StreamReset to the
				// application.
				return streamErr(s.id, frame.ErrCodeProtocol, reason)
			}
			if repeated != 0 {
				c.hb.kept = keptVerdict{repeated: repeated, m: m, extended: ext}
			}
		}
		if in == inRecvHeadersEnd && m.contentLength > 0 {
			return streamErr(s.id, frame.ErrCodeProtocol, "content-length without a body")
		}
	}
	s.contentLength = m.contentLength
	s.isHead = m.isHead
	// RFC 9218, Section 7: a PRIORITY_UPDATE
	// received before the request overrides its priority header field.
	if p, ok := c.sched.takePending(s.id); ok {
		s.prio = p
		c.sched.setUrgency(s, p)
	} else if m.hasPriority {
		s.prio = m.priority
		c.sched.setUrgency(s, m.priority)
	}
	s.recvPhase = phaseBody
	if in == inRecvHeadersEnd {
		s.recvPhase = phaseDone
	}
	c.endStream(s, in)
	c.openRecvWindow(s) // a request body may follow
	c.pushEvent(c.blockEvent(eventRec{kind: evRequest, streamID: s.id, endStream: in == inRecvHeadersEnd, prio: s.prio, repeated: repeated}, fields))
	return nil
}

// onRequestTooLarge reports a request whose header list exceeded our
// SETTINGS_MAX_HEADER_LIST_SIZE. The limit is advisory (RFC 9113,
// Section 6.5.2: a peer "can" exceed it) and the block kept HPACK in
// sync, so the connection goes on and the server may answer the stream
// with 431 (RFC 6585, Section 5) rather than a bare RST_STREAM. The
// receive window is not opened beyond its initial size: the server is
// not going to read the body.
func (c *Conn) onRequestTooLarge(s *stream, in streamInput) error {
	if !c.flood.localResets.take(c.now) {
		// Refused like a malformed request, so counted the same way
		// (Limits.LocalResets): a peer that sends header lists past the
		// limit over and over (an HPACK bomb, CVE-2016-6581) is cut off.
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many requests with oversized header lists")
	}
	s.contentLength = -1
	s.recvPhase = phaseBody
	if in == inRecvHeadersEnd {
		s.recvPhase = phaseDone
	}
	c.endStream(s, in)
	c.pushEvent(eventRec{kind: evRequestTooLarge, streamID: s.id, endStream: in == inRecvHeadersEnd})
	return nil
}

func (c *Conn) onResponse(s *stream, fields []hpack.Field, in streamInput) error {
	m := messageInfo{contentLength: -1, checked: c.hb.checked}
	status := 0
	r := uint64(0) // ResponseReceived.Repeated
	if !c.cfg.DisableMessageRules {
		// onResponse runs right after the block's decoding (endBlock):
		// the decoder's Repeated is this block's.
		if r = c.dec.Repeated(); r != 0 && r == c.hb.kept.repeated {
			// The same fields passed checkResponse before.
			m = c.hb.kept.m
		} else {
			if reason := checkResponse(fields, &m); reason != "" {
				return streamErr(s.id, frame.ErrCodeProtocol, reason)
			}
			if r != 0 {
				c.hb.kept = keptVerdict{repeated: r, m: m}
			}
		}
		status = m.status
	} else {
		status = statusOf(fields)
	}
	if status >= 100 && status < 200 {
		// Section 8.1: informational responses precede the final one;
		// they cannot end the stream, and 101 does not exist in HTTP/2
		// (Section 8.6). Without the rules, one that ends the stream is
		// taken as the final response.
		if !c.cfg.DisableMessageRules && (in == inRecvHeadersEnd || status == 101) {
			return streamErr(s.id, frame.ErrCodeProtocol, "invalid informational response")
		}
		if in != inRecvHeadersEnd {
			c.pushEvent(c.blockEvent(eventRec{kind: evInformational, streamID: s.id}, fields))
			return nil
		}
	}
	s.contentLength = m.contentLength
	if s.isConnect && status >= 200 && status < 300 {
		// RFC 9110, Section 9.3.6: a client ignores Content-Length in a
		// 2xx response to CONNECT; what follows is the tunnel's bytes
		// (RFC 8441, Section 5), however many.
		s.contentLength = -1
	}
	if s.isHead || status == 204 || status == 304 {
		s.contentLength = 0 // no content, whatever content-length says
		if c.cfg.DisableMessageRules {
			s.contentLength = -1
		}
	}
	s.recvPhase = phaseBody
	if in == inRecvHeadersEnd {
		s.recvPhase = phaseDone
		if s.contentLength > 0 {
			return streamErr(s.id, frame.ErrCodeProtocol, "content-length without a body")
		}
	}
	c.endStream(s, in)
	c.pushEvent(c.blockEvent(eventRec{kind: evResponse, streamID: s.id, endStream: in == inRecvHeadersEnd, repeated: r}, fields))
	return nil
}

func (c *Conn) onTrailers(s *stream, fields []hpack.Field, in streamInput) error {
	if in != inRecvHeadersEnd {
		if c.cfg.DisableMessageRules {
			// Reported as they are; the body may go on.
			c.pushEvent(c.blockEvent(eventRec{kind: evTrailers, streamID: s.id}, fields))
			return nil
		}
		// Section 8.1: trailers must end the stream.
		return streamErr(s.id, frame.ErrCodeProtocol, "trailers without END_STREAM")
	}
	if !c.cfg.DisableMessageRules {
		if reason := checkTrailers(fields, c.hb.checked); reason != "" {
			return streamErr(s.id, frame.ErrCodeProtocol, reason)
		}
		if s.contentLength >= 0 && s.received != s.contentLength {
			return streamErr(s.id, frame.ErrCodeProtocol, "body length does not match content-length")
		}
	}
	s.recvPhase = phaseDone
	c.endStream(s, in)
	c.pushEvent(c.blockEvent(eventRec{kind: evTrailers, streamID: s.id, endStream: true}, fields))
	return nil
}

// endStream applies the END_STREAM of a header block (in is
// inRecvHeadersEnd; the HEADERS themselves were applied by onHeaderBlock).
func (c *Conn) endStream(s *stream, in streamInput) {
	if in == inRecvHeadersEnd {
		c.apply(s, inRecvHeadersEnd)
	}
}

// onPromiseBlock handles a complete PUSH_PROMISE block (Section 6.6, 8.4).
func (c *Conn) onPromiseBlock(fields []hpack.Field, tooLarge bool) error {
	id, pid := c.hb.streamID, c.hb.promisedID
	assoc := c.streams.Get(id)
	if pid%2 != 0 || pid <= c.lastPeerID {
		// Section 5.1.1: promised ids are even and increasing.
		return connErr(frame.ErrCodeProtocol, "PUSH_PROMISE with an invalid promised stream id")
	}
	if assoc == nil && c.closedAs(id).weReset() {
		// Section 5.1, "closed": the promise still reserves pid; we
		// refuse it, and ignore its response as it is already in flight.
		c.usePeerID(pid)
		c.queueRST(pid, frame.ErrCodeCancel)
		c.closed.add(pid, pid, resetCause(Local, frame.ErrCodeCancel))
		return nil
	}
	if assoc == nil || (assoc.state != StateOpen && assoc.state != StateHalfClosedLocal) {
		// Section 6.6: the associated stream must be open for the peer.
		return connErr(frame.ErrCodeProtocol, "PUSH_PROMISE on a stream that is not open")
	}
	c.usePeerID(pid)
	s := c.newStream(pid)
	s.pushed = true
	c.apply(s, inRecvPushPromise) // idle: always allowed
	if c.local.DisablePush {
		// Sent before the peer saw our SETTINGS_ENABLE_PUSH = 0, so not
		// a connection error: refuse the one stream (Section 8.4.2).
		return streamErr(pid, frame.ErrCodeRefusedStream, "push disabled")
	}
	if tooLarge {
		return streamErr(pid, frame.ErrCodeProtocol, "promised header list too large")
	}
	if !c.cfg.DisableMessageRules {
		m := messageInfo{contentLength: -1, checked: c.hb.checked}
		if reason := checkRequest(fields, &m, false); reason != "" {
			return streamErr(pid, frame.ErrCodeProtocol, reason)
		}
		if !m.safeCacheable() {
			// Section 8.4: promised requests are safe and cacheable, no content.
			return streamErr(pid, frame.ErrCodeProtocol, "promised request is not safe and cacheable")
		}
		s.isHead = m.isHead
	}
	if c.reservedCount() > int(c.local.MaxConcurrentStreams) {
		return streamErr(pid, frame.ErrCodeRefusedStream, "too many promised streams")
	}
	// Section 5.1, "reserved (remote)": WINDOW_UPDATE may be sent.
	c.openRecvWindow(s)
	c.pushEvent(c.blockEvent(eventRec{kind: evPushPromise, streamID: id, id2: pid}, fields))
	return nil
}
