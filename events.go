package h2kit

import (
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Event is something the peer did, reported by NextEvent. The concrete
// types are pointers to the structs below. An event and the slices it holds
// (Fields, Data) are valid until the next call to NextEvent or Receive:
// copy what must live longer.
type Event interface{ event() }

// RequestReceived: a server got a request's header block (RFC 9113, Section 8.1).
type RequestReceived struct {
	StreamID  uint32
	Fields    []hpack.Field
	EndStream bool // no body follows
	// Priority is the RFC 9218 priority the request asked for (the
	// "priority" header field), or the default.
	Priority Priority
	// Repeated is nonzero when Fields are those of a header block the
	// peer sends again and again, byte for byte (hpack.Decoder.Repeated),
	// as a client does for requests that differ in nothing: every request
	// of this Conn with the same nonzero Repeated has the same Fields, in
	// the same order, and no other request has them with this value, so
	// what a receiver derived from them may be used again. It is 0 for
	// any other request, and with Config.DisableMessageRules.
	Repeated uint64
}

// RequestHeadersTooLarge: a server got a request whose header list is
// larger than its SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113, Section 6.5.2
// and 10.5.1). The block was decoded to the end, so the HPACK state stays
// in sync, but its fields were dropped; the stream is open as for a
// request, with its initial window for a body that may follow. Answer
// it, typically with 431 Request Header Fields Too Large (RFC 6585,
// Section 5) and END_STREAM, or reset it.
type RequestHeadersTooLarge struct {
	StreamID  uint32
	EndStream bool // no body follows
}

// ResponseReceived: a client got the final response header block for
// one of its requests or for a pushed stream.
type ResponseReceived struct {
	StreamID  uint32
	Fields    []hpack.Field
	EndStream bool
	// Repeated is nonzero when Fields are those of a header block the
	// peer sends again and again, byte for byte, as RequestReceived's
	// Repeated: every response of this Conn with the same nonzero
	// Repeated has the same Fields, in the same order.
	Repeated uint64
}

// InformationalResponseReceived: a client got a 1xx response (RFC 9113,
// Section 8.1); the final response follows.
type InformationalResponseReceived struct {
	StreamID uint32
	Fields   []hpack.Field
}

// TrailersReceived: the trailer section that ends a stream's message.
type TrailersReceived struct {
	StreamID uint32
	Fields   []hpack.Field
}

// DataReceived: body bytes. Call ConsumeData(StreamID, len(Data)) once the
// application has taken them, so the flow-control windows reopen; padding
// is given back by the engine itself.
type DataReceived struct {
	StreamID          uint32
	Data              []byte
	FlowControlledLen int // the whole DATA frame payload, padding included
	EndStream         bool
}

// StreamReset: the stream is over before its end. Initiator is Remote for
// an RST_STREAM from the peer (or a stream the peer's GOAWAY left
// unprocessed), Local when this engine reset it because of a peer error.
// A Local reset may name a stream the application never saw (a malformed
// request is reset before any RequestReceived): ignore unknown ids.
type StreamReset struct {
	StreamID  uint32
	Code      frame.ErrCode
	Initiator Initiator
	// Retryable: the peer never processed the stream (REFUSED_STREAM, or
	// above a GOAWAY's last stream id); the request can be sent again.
	Retryable bool
}

// PushPromiseReceived: a client got a PUSH_PROMISE (RFC 9113, Section 8.4).
// The promised stream's response arrives as ResponseReceived on
// PromisedStreamID; reject it with ResetStream(PromisedStreamID, frame.ErrCodeCancel).
type PushPromiseReceived struct {
	StreamID         uint32 // the stream the promise came on
	PromisedStreamID uint32
	Fields           []hpack.Field // the promised request
}

// SettingsReceived: the peer's SETTINGS frame, already applied and acknowledged.
type SettingsReceived struct {
	Settings []frame.Setting
}

// SettingsAcked: the peer acknowledged our SETTINGS; they are in force.
type SettingsAcked struct{}

// PingAcked: an ACK for one of our PINGs, with the round-trip time.
type PingAcked struct {
	Data [8]byte
	RTT  time.Duration
}

// GoAwayReceived: the peer will accept no new streams. Streams this engine
// opened above LastStreamID are reported as StreamReset with Retryable.
type GoAwayReceived struct {
	LastStreamID uint32
	Code         frame.ErrCode
	DebugData    []byte
}

// WindowUpdated: a stream (or, with StreamID 0, the connection) can take
// more data from SendData after a partial or refused write, or after a
// write that used its flow-control window up.
type WindowUpdated struct {
	StreamID uint32
}

// PriorityUpdated: the peer changed a stream's RFC 9218 priority
// (PRIORITY_UPDATE frame) on a stream that exists.
type PriorityUpdated struct {
	StreamID uint32
	Priority Priority
}

// ConnectionTerminated: the connection is over. Err is a *ConnError saying
// who ended it and why (Initiator Remote for a GOAWAY with an error code).
type ConnectionTerminated struct {
	Err error
}

func (*RequestReceived) event()               {}
func (*RequestHeadersTooLarge) event()        {}
func (*ResponseReceived) event()              {}
func (*InformationalResponseReceived) event() {}
func (*TrailersReceived) event()              {}
func (*DataReceived) event()                  {}
func (*StreamReset) event()                   {}
func (*PushPromiseReceived) event()           {}
func (*SettingsReceived) event()              {}
func (*SettingsAcked) event()                 {}
func (*PingAcked) event()                     {}
func (*GoAwayReceived) event()                {}
func (*WindowUpdated) event()                 {}
func (*PriorityUpdated) event()               {}
func (*ConnectionTerminated) event()          {}

// eventKind tags an eventRec.
type eventKind uint8

const (
	evRequest eventKind = iota
	evResponse
	evInformational
	evTrailers
	evData
	evReset
	evPushPromise
	evSettings
	evSettingsAck
	evPingAck
	evGoAway
	evWindow
	evPriority
	evTerminated
	evRequestTooLarge
)

// eventRec is one queued event: a tagged union, so queuing allocates
// nothing once the queue has grown to its working size.
type eventRec struct {
	kind      eventKind
	endStream bool
	retry     bool
	initiator Initiator
	streamID  uint32
	id2       uint32 // promised id, last stream id
	code      frame.ErrCode
	fieldsAt  int // the fields, Conn.fields[fieldsAt:fieldsEnd]
	fieldsEnd int
	data      []byte
	n         int
	ping      [8]byte
	rtt       time.Duration
	prio      Priority
	repeated  uint64 // RequestReceived.Repeated, ResponseReceived.Repeated
	err       error
	settings  []frame.Setting
}

// eventStore holds one reusable value per event type, so NextEvent
// returns pointers without allocating.
type eventStore struct {
	request       RequestReceived
	response      ResponseReceived
	informational InformationalResponseReceived
	trailers      TrailersReceived
	data          DataReceived
	reset         StreamReset
	push          PushPromiseReceived
	settings      SettingsReceived
	settingsAck   SettingsAcked
	pingAck       PingAcked
	goAway        GoAwayReceived
	window        WindowUpdated
	priority      PriorityUpdated
	terminated    ConnectionTerminated
	tooLarge      RequestHeadersTooLarge
}

// eventFields returns the fields of r, a part of c.fields (full, so
// that an append by the application cannot reach the next event's).
func (c *Conn) eventFields(r *eventRec) []hpack.Field {
	if r.fieldsAt == r.fieldsEnd {
		return nil
	}
	return c.fields[r.fieldsAt:r.fieldsEnd:r.fieldsEnd]
}

// NextEvent returns the next event, or nil when there is none. The event
// is valid until the next call to NextEvent or Receive.
func (c *Conn) NextEvent() Event {
	if c.evHead == len(c.events) {
		c.events = c.events[:0]
		c.evHead = 0
		return nil
	}
	r := &c.events[c.evHead]
	c.evHead++
	s := &c.evs
	switch r.kind {
	case evRequest:
		s.request = RequestReceived{StreamID: r.streamID, Fields: c.eventFields(r), EndStream: r.endStream, Priority: r.prio, Repeated: r.repeated}
		return &s.request
	case evResponse:
		s.response = ResponseReceived{StreamID: r.streamID, Fields: c.eventFields(r), EndStream: r.endStream, Repeated: r.repeated}
		return &s.response
	case evInformational:
		s.informational = InformationalResponseReceived{StreamID: r.streamID, Fields: c.eventFields(r)}
		return &s.informational
	case evTrailers:
		s.trailers = TrailersReceived{StreamID: r.streamID, Fields: c.eventFields(r)}
		return &s.trailers
	case evData:
		s.data = DataReceived{StreamID: r.streamID, Data: r.data, FlowControlledLen: r.n, EndStream: r.endStream}
		return &s.data
	case evReset:
		s.reset = StreamReset{StreamID: r.streamID, Code: r.code, Initiator: r.initiator, Retryable: r.retry}
		return &s.reset
	case evPushPromise:
		s.push = PushPromiseReceived{StreamID: r.streamID, PromisedStreamID: r.id2, Fields: c.eventFields(r)}
		return &s.push
	case evSettings:
		s.settings = SettingsReceived{Settings: r.settings}
		return &s.settings
	case evSettingsAck:
		return &s.settingsAck
	case evPingAck:
		s.pingAck = PingAcked{Data: r.ping, RTT: r.rtt}
		return &s.pingAck
	case evGoAway:
		s.goAway = GoAwayReceived{LastStreamID: r.id2, Code: r.code, DebugData: r.data}
		return &s.goAway
	case evWindow:
		s.window = WindowUpdated{StreamID: r.streamID}
		return &s.window
	case evPriority:
		s.priority = PriorityUpdated{StreamID: r.streamID, Priority: r.prio}
		return &s.priority
	case evRequestTooLarge:
		s.tooLarge = RequestHeadersTooLarge{StreamID: r.streamID, EndStream: r.endStream}
		return &s.tooLarge
	case evTerminated:
		s.terminated = ConnectionTerminated{Err: r.err}
		return &s.terminated
	}
	return nil
}

func (c *Conn) pushEvent(r eventRec) {
	c.events = append(c.events, r)
}
