package h2kit

import "github.com/h2kit/h2kit/frame"

// StreamState is one of the seven stream states of RFC 9113, Section 5.1:
//
//	                         +--------+
//	                 send PP |        | recv PP
//	                ,--------+  idle  +--------.
//	               /         |        |         \
//	              v          +--------+          v
//	       +----------+          |           +----------+
//	       |          |          | send H /  |          |
//	,------+ reserved |          | recv H    | reserved +------.
//	|      | (local)  |          |           | (remote) |      |
//	|      +---+------+          v           +------+---+      |
//	|          |             +--------+             |          |
//	|          |     recv ES |        | send ES     |          |
//	|   send H |     ,-------+  open  +-------.     | recv H   |
//	|          |    /        |        |        \    |          |
//	|          v   v         +---+----+         v   v          |
//	|      +----------+          |           +----------+      |
//	|      |   half-  |          |           |   half-  |      |
//	|      |  closed  |          | send R /  |  closed  |      |
//	|      | (remote) |          | recv R    | (local)  |      |
//	|      +----+-----+          |           +-----+----+      |
//	|           |                |                 |           |
//	|           | send ES /      |       recv ES / |           |
//	|           |  send R /      v        send R / |           |
//	|           |  recv R    +--------+   recv R   |           |
//	| send R /  `----------->|        |<-----------'  send R / |
//	| recv R                 | closed |               recv R   |
//	`----------------------->|        |<-----------------------'
//	                         +--------+
//
// H: HEADERS (with its CONTINUATIONs), ES: END_STREAM, R: RST_STREAM,
// PP: PUSH_PROMISE (the state of the promised stream changes).
type StreamState uint8

// The stream states.
const (
	StateIdle StreamState = iota
	StateReservedLocal
	StateReservedRemote
	StateOpen
	StateHalfClosedLocal
	StateHalfClosedRemote
	StateClosed
	numStates
)

var stateNames = [numStates]string{"idle", "reserved (local)", "reserved (remote)", "open",
	"half-closed (local)", "half-closed (remote)", "closed"}

// String returns the RFC's name of the state.
func (s StreamState) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "invalid"
}

// streamInput is what happens to a stream: a frame sent or received.
type streamInput uint8

const (
	inRecvHeaders      streamInput = iota // HEADERS without END_STREAM
	inRecvHeadersEnd                      // HEADERS with END_STREAM
	inRecvData                            // DATA without END_STREAM
	inRecvDataEnd                         // DATA with END_STREAM
	inRecvRST                             // RST_STREAM
	inRecvPriority                        // PRIORITY
	inRecvWindowUpdate                    // WINDOW_UPDATE
	inRecvPushPromise                     // PUSH_PROMISE naming this stream as promised
	inSendHeaders
	inSendHeadersEnd
	inSendData
	inSendDataEnd
	inSendRST
	inSendPushPromise // PUSH_PROMISE promising this stream
	numInputs
)

var inputNames = [numInputs]string{"recv HEADERS", "recv HEADERS+ES", "recv DATA", "recv DATA+ES",
	"recv RST_STREAM", "recv PRIORITY", "recv WINDOW_UPDATE", "recv PUSH_PROMISE",
	"send HEADERS", "send HEADERS+ES", "send DATA", "send DATA+ES", "send RST_STREAM", "send PUSH_PROMISE"}

func (i streamInput) String() string { return inputNames[i] }

// verdict says what an input does in a state besides the state change.
type verdict uint8

const (
	vOK               verdict = iota // allowed: move to next
	vIgnore                          // allowed, no change and nothing to report
	vConnProtocol                    // connection error PROTOCOL_ERROR
	vStreamClosed                    // stream error STREAM_CLOSED
	vConnStreamClosed                // connection error STREAM_CLOSED
	vUser                            // the application's call is not allowed
)

type transition struct {
	next    StreamState
	verdict verdict
}

// transitions is RFC 9113, Section 5.1 as data: transitions[state][input].
// Rules that need more than the state (stream id parity, a reset sent by
// us a moment ago, the message phase) are applied by the callers.
var transitions = func() (t [numStates][numInputs]transition) {
	set := func(s StreamState, in streamInput, next StreamState, v verdict) { t[s][in] = transition{next, v} }
	// Default: a receive is a PROTOCOL_ERROR connection error, a send is a
	// user error; both keep the state.
	for s := StreamState(0); s < numStates; s++ {
		for in := streamInput(0); in < numInputs; in++ {
			v := vConnProtocol
			if in >= inSendHeaders {
				v = vUser
			}
			set(s, in, s, v)
		}
		// PRIORITY may be received in any state (Section 5.1, 5.3.1).
		set(s, inRecvPriority, s, vIgnore)
	}
	// idle
	set(StateIdle, inRecvHeaders, StateOpen, vOK)
	set(StateIdle, inRecvHeadersEnd, StateHalfClosedRemote, vOK)
	set(StateIdle, inSendHeaders, StateOpen, vOK)
	set(StateIdle, inSendHeadersEnd, StateHalfClosedLocal, vOK)
	set(StateIdle, inRecvPushPromise, StateReservedRemote, vOK)
	set(StateIdle, inSendPushPromise, StateReservedLocal, vOK)
	// reserved (local): Section 5.1 "reserved (local)".
	set(StateReservedLocal, inSendHeaders, StateHalfClosedRemote, vOK)
	set(StateReservedLocal, inSendHeadersEnd, StateClosed, vOK)
	set(StateReservedLocal, inSendRST, StateClosed, vOK)
	set(StateReservedLocal, inRecvRST, StateClosed, vOK)
	set(StateReservedLocal, inRecvWindowUpdate, StateReservedLocal, vIgnore)
	// reserved (remote)
	set(StateReservedRemote, inRecvHeaders, StateHalfClosedLocal, vOK)
	set(StateReservedRemote, inRecvHeadersEnd, StateClosed, vOK)
	set(StateReservedRemote, inSendRST, StateClosed, vOK)
	set(StateReservedRemote, inRecvRST, StateClosed, vOK)
	// open
	set(StateOpen, inRecvHeaders, StateOpen, vOK)
	set(StateOpen, inRecvHeadersEnd, StateHalfClosedRemote, vOK)
	set(StateOpen, inRecvData, StateOpen, vOK)
	set(StateOpen, inRecvDataEnd, StateHalfClosedRemote, vOK)
	set(StateOpen, inRecvRST, StateClosed, vOK)
	set(StateOpen, inRecvWindowUpdate, StateOpen, vIgnore)
	set(StateOpen, inSendHeaders, StateOpen, vOK)
	set(StateOpen, inSendHeadersEnd, StateHalfClosedLocal, vOK)
	set(StateOpen, inSendData, StateOpen, vOK)
	set(StateOpen, inSendDataEnd, StateHalfClosedLocal, vOK)
	set(StateOpen, inSendRST, StateClosed, vOK)
	// half-closed (local): we are done sending; the peer may go on.
	set(StateHalfClosedLocal, inRecvHeaders, StateHalfClosedLocal, vOK)
	set(StateHalfClosedLocal, inRecvHeadersEnd, StateClosed, vOK)
	set(StateHalfClosedLocal, inRecvData, StateHalfClosedLocal, vOK)
	set(StateHalfClosedLocal, inRecvDataEnd, StateClosed, vOK)
	set(StateHalfClosedLocal, inRecvRST, StateClosed, vOK)
	set(StateHalfClosedLocal, inRecvWindowUpdate, StateHalfClosedLocal, vIgnore)
	set(StateHalfClosedLocal, inSendRST, StateClosed, vOK)
	// half-closed (remote): the peer is done sending; anything but
	// WINDOW_UPDATE, PRIORITY and RST_STREAM is STREAM_CLOSED.
	for _, in := range []streamInput{inRecvHeaders, inRecvHeadersEnd, inRecvData, inRecvDataEnd} {
		set(StateHalfClosedRemote, in, StateHalfClosedRemote, vStreamClosed)
	}
	set(StateHalfClosedRemote, inRecvRST, StateClosed, vOK)
	set(StateHalfClosedRemote, inRecvWindowUpdate, StateHalfClosedRemote, vIgnore)
	set(StateHalfClosedRemote, inSendHeaders, StateHalfClosedRemote, vOK)
	set(StateHalfClosedRemote, inSendHeadersEnd, StateClosed, vOK)
	set(StateHalfClosedRemote, inSendData, StateHalfClosedRemote, vOK)
	set(StateHalfClosedRemote, inSendDataEnd, StateClosed, vOK)
	set(StateHalfClosedRemote, inSendRST, StateClosed, vOK)
	// closed: WINDOW_UPDATE and RST_STREAM may still be in flight and are
	// ignored; DATA and HEADERS after the peer knows the stream is over
	// are a connection error of type STREAM_CLOSED (Section 5.1,
	// "closed"). Callers ignore everything on a stream we reset a moment
	// ago, and make DATA on a stream they cannot tell about (a skipped
	// id, or forgotten) a stream error (Section 6.1).
	set(StateClosed, inRecvWindowUpdate, StateClosed, vIgnore)
	set(StateClosed, inRecvRST, StateClosed, vIgnore)
	set(StateClosed, inRecvData, StateClosed, vConnStreamClosed)
	set(StateClosed, inRecvDataEnd, StateClosed, vConnStreamClosed)
	set(StateClosed, inRecvHeaders, StateClosed, vConnStreamClosed)
	set(StateClosed, inRecvHeadersEnd, StateClosed, vConnStreamClosed)
	set(StateClosed, inSendRST, StateClosed, vIgnore)
	return t
}()

// apply feeds input in to stream s through the transitions table and
// returns the verdict. Only vOK changes the state: the active counts
// follow (Section 5.1.2), and a stream that enters "closed" records why
// (END_STREAM both ways, unless a reset cause was set by applyReset) and
// is forgotten. Every change of a stream's state goes through here.
func (c *Conn) apply(s *stream, in streamInput) verdict {
	t := transitions[s.state][in]
	if t.verdict != vOK || t.next == s.state {
		return t.verdict
	}
	wasActive := active(s.state)
	s.state = t.next
	if wasActive != active(t.next) {
		d := 1
		if wasActive {
			d = -1
		}
		if c.peerInitiated(s.id) {
			c.peerActive += d
		} else {
			c.localActive += d
		}
	}
	if t.next == StateClosed {
		if s.cause.how == closeUnknown {
			s.cause.how = closeEnded
		}
		c.closeStream(s)
	}
	return t.verdict
}

// applyReset applies a RST_STREAM input (inSendRST or inRecvRST) to s,
// recording who reset it and with which code should it close.
func (c *Conn) applyReset(s *stream, in streamInput, by Initiator, code frame.ErrCode) verdict {
	if t := transitions[s.state][in]; t.verdict == vOK && t.next == StateClosed {
		s.cause = resetCause(by, code)
	}
	return c.apply(s, in)
}

// phase is one direction's progress through an HTTP message
// (RFC 9113, Section 8.1): header section, body, trailers, done.
type phase uint8

const (
	phaseHeaders phase = iota // waiting for (more) headers: 1xx may repeat
	phaseBody                 // final header section done, DATA may follow
	phaseDone                 // END_STREAM sent or received
)
