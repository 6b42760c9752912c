package h2kit

import (
	"errors"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Sending RFC 7540 priority signals: PRIORITY frames (RFC 9113, Section
// 6.3) and the priority fields of a HEADERS frame that opens a request
// (Section 6.2, PRIORITY flag). RFC 9113, Section 5.3.2 deprecates this
// scheme but keeps its fields so that implementations interoperate; a
// peer may ignore the signals (and must, if we sent
// SETTINGS_NO_RFC7540_PRIORITIES = 1, RFC 9218, Section 2.1). They say
// how the peer should share its sending among our streams: they never
// change this engine's own scheduling, which follows the peer's signals.
//
// An idle stream can be a node of the peer's dependency tree without
// ever being opened (RFC 7540, Section 5.3.4 keeps such nodes; clients
// such as nghttp use them as anchors that requests depend on). A stream
// id of ours used that way is never opened afterwards: SendPriority on
// an id at or above the next one moves the next id past it, so a later
// request does not turn the anchor into a stream of its own. Opening a
// higher id closes the idle lower ones (RFC 9113, Section 5.1.1); the
// peer keeps their tree nodes all the same.

// ErrPriorityInvalid: a priority signal the RFC forbids to send; the
// returned error wraps it with the reason.
var ErrPriorityInvalid = errors.New("h2kit: invalid priority signal")

// ErrRFC7540PrioritiesDisabled: this endpoint sent
// SETTINGS_NO_RFC7540_PRIORITIES = 1, announcing it does not use RFC
// 7540 priority signals (RFC 9218, Section 2.1), so it sends none.
var ErrRFC7540PrioritiesDisabled = errors.New("h2kit: RFC 7540 priorities disabled by our SETTINGS_NO_RFC7540_PRIORITIES")

// maxStreamID is the largest stream identifier (31 bits, RFC 9113,
// Section 5.1.1).
const maxStreamID = 1<<31 - 1

// checkPriority checks a priority signal for stream id.
func (c *Conn) checkPriority(id uint32, p frame.PriorityParam) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	if c.local.NoRFC7540Priorities {
		return ErrRFC7540PrioritiesDisabled
	}
	switch {
	case id == 0:
		// RFC 9113, Section 6.3: PRIORITY on stream 0 is a connection
		// error of type PROTOCOL_ERROR.
		return wrapPriority("stream 0 (RFC 9113, Section 6.3)")
	case id > maxStreamID:
		return wrapPriority("stream id above 2^31-1 (RFC 9113, Section 5.1.1)")
	case p.StreamDep > maxStreamID:
		return wrapPriority("dependency above 2^31-1 (RFC 9113, Section 6.3)")
	case p.StreamDep == id:
		// RFC 7540, Section 5.3.1: a stream cannot depend on itself;
		// the peer would reset it with PROTOCOL_ERROR.
		return wrapPriority("stream depends on itself (RFC 7540, Section 5.3.1)")
	}
	return nil
}

func wrapPriority(reason string) error {
	return &priorityError{reason: reason}
}

// priorityError is ErrPriorityInvalid with its reason.
type priorityError struct{ reason string }

func (e *priorityError) Error() string { return ErrPriorityInvalid.Error() + ": " + e.reason }
func (e *priorityError) Unwrap() error { return ErrPriorityInvalid }

// SendPriority sends a PRIORITY frame for stream id, in any state, idle
// and closed included (RFC 9113, Sections 5.1 and 6.3), with the
// dependency, exclusive flag and weight of p (frame.PriorityParam.Weight
// is the weight minus one). When id is one of our stream ids not used
// yet, it becomes an anchor: the next stream we open or promise gets a
// higher id (see the comment at the top of this file), and State reports
// the anchor closed, as no stream will ever open on it.
func (c *Conn) SendPriority(id uint32, p frame.PriorityParam) error {
	if err := c.checkPriority(id, p); err != nil {
		return err
	}
	if !c.peerInitiated(id) && id >= c.nextID {
		// The anchor's id counts as used (Section 5.1.1: ids only grow);
		// beyond the last id, SendRequest reports ErrStreamsExhausted.
		c.nextID = id + 2
	}
	f := frame.Priority{StreamID: id, PriorityParam: p}
	c.out = f.Append(c.out)
	if c.cfg.Tracer != nil {
		t := f // only the tracer's copy escapes
		c.cfg.Tracer.FrameSent(t.FrameHeader(), &t, nil)
	}
	return nil
}

// SendAnchor sends a PRIORITY frame with p on the next stream id of ours
// and returns that id: an idle stream that exists only as a node of the
// peer's priority tree, for later streams to depend on (RFC 7540,
// Section 5.3.4). No stream is ever opened on it.
func (c *Conn) SendAnchor(p frame.PriorityParam) (uint32, error) {
	if c.nextID > maxStreamID {
		return 0, ErrStreamsExhausted
	}
	id := c.nextID
	if err := c.SendPriority(id, p); err != nil {
		return 0, err
	}
	return id, nil
}

// NextStreamID returns the id that the next stream this endpoint opens
// (a request) or promises (a push) will get, if it opens one; 0 once the
// ids are used up.
func (c *Conn) NextStreamID() uint32 {
	if c.nextID > maxStreamID {
		return 0
	}
	return c.nextID
}

// SendRequestPriority is SendRequest with an RFC 7540 priority in the
// HEADERS frame (the PRIORITY flag, RFC 9113, Section 6.2): the new
// stream depends on p.StreamDep (0: the root) with p's weight and
// exclusive flag. p.StreamDep may not be the new stream's own id
// (NextStreamID; RFC 7540, Section 5.3.1).
func (c *Conn) SendRequestPriority(fields []hpack.Field, endStream bool, p frame.PriorityParam) (uint32, error) {
	if c.role != Client {
		return 0, ErrWrongRole
	}
	if err := c.checkPriority(c.nextID, p); err != nil && c.nextID <= maxStreamID {
		return 0, err
	}
	return c.sendRequest(fields, endStream, &p)
}
