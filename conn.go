// Package h2kit is a sans-IO HTTP/2 protocol engine (RFC 9113): bytes in,
// events out, bytes to send out; time passed in, the next deadline out.
//
// A Conn does no I/O and starts no goroutines. The caller feeds it what
// the peer sent with Receive, drains NextEvent, tells it what to send with
// commands (SendHeaders, SendData, ResetStream, ...), and writes whatever
// AppendOutgoing returns. The net/http adapters (h2server, h2client) and
// the command-line tools are built this way.
//
//	c := h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now)
//	out = c.AppendOutgoing(out[:0])       // our SETTINGS, at once
//	c.Receive(p, now)                     // whatever the socket gave us
//	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() { ... }
//
// A Conn is not safe for concurrent use: one goroutine owns it.
package h2kit

import (
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/idmap"
)

// Conn is one HTTP/2 connection, client or server side.
type Conn struct {
	cfg  Config
	role Role
	now  time.Time

	parser frame.Parser
	enc    *hpack.Encoder
	dec    *hpack.Decoder

	in          []byte // unparsed input (a partial frame)
	inSpare     []byte // the other input buffer (double buffering)
	prefaceLeft int    // server: bytes of the client preface still to check
	prefaceBad  []byte // server: input that is not the preface, kept until we know whether it is HTTP/1.x
	sawSettings bool   // the peer's first frame was SETTINGS (Section 3.4)
	out         []byte // encoded frames ready to write, in order
	ctrlQueued  int    // control frames in out (flood limit)
	scratch     []byte // header block encoding

	events []eventRec
	evHead int
	evs    eventStore
	fields []hpack.Field // the fields of events (eventRec.fieldsAt), valid until Receive

	streams     idmap.Map[*stream] // open streams, by id
	lastPeerID  uint32             // highest stream id the peer opened or promised
	nextID      uint32             // the next id we open or promise
	peerActive  int
	localActive int
	closed      closedStreams // streams closed lately and why (Section 5.1, "closed"; 5.1.1)
	bufPool     [][]byte
	lend        lendState // send buffers that AppendOutgoingSegments lent out
	streamPool  []*stream

	local        Settings        // what we advertised
	acked        Settings        // what the peer acknowledged last (settings.go)
	sentSettings []sentSettings  // our SETTINGS not yet acknowledged, oldest first
	peer         peerSettings    // what the peer advertised
	changed      []frame.Setting // scratch for SettingsReceived

	sendWindow  int64      // connection send window
	recv        recvWindow // connection receive window
	connBlocked bool
	// dataSincePing: DATA was written since the peer's last PING (see
	// onPing).
	dataSincePing bool

	hb headerBlock

	goAway       goAwayState
	terminated   error
	lastRecv     time.Time
	lastActivity time.Time
	pings        []pingRec
	pingSeq      uint64
	bdp          bdpState
	flood        floodBuckets
	sched        scheduler
}

// goAwayState is what the connection sent and received of GOAWAY (RFC
// 9113, Section 6.8), and where a graceful shutdown stands (goaway.go).
type goAwayState struct {
	sent          bool
	lastID        uint32 // the last stream id we sent
	shutdownPhase uint8  // 0 none, 1 first GOAWAY sent, 2 final GOAWAY sent
	shutdownPing  [8]byte
	shutdownAt    time.Time
	recv          bool
	recvLast      uint32 // the last stream id the peer sent
}

// floodBuckets are the token buckets of Config.Limits' rates (RFC 9113,
// Section 10.5): each kind of frame a peer could flood with takes a token.
type floodBuckets struct {
	remoteResets bucket // streams the peer reset
	localResets  bucket // streams we reset for the peer's errors
	emptyFrames  bucket // frames that carry no progress
	pings        bucket
	settings     bucket
}

// peerSettings are the settings the peer advertised, with RFC defaults.
type peerSettings struct {
	headerTableSize       uint32
	enablePush            bool
	maxConcurrentStreams  uint32
	initialWindowSize     uint32
	maxFrameSize          uint32
	maxHeaderListSize     uint32 // 0: unlimited
	enableConnectProtocol bool
	noRFC7540Priorities   bool
	tlsRenegPermitted     uint32
}

// NewConn returns an engine for one connection. Its first output (from
// AppendOutgoing) is, for a client, the connection preface and SETTINGS;
// for a server, SETTINGS at once, without waiting for the client
// (RFC 9113, Section 3.4).
func NewConn(cfg Config, now time.Time) *Conn {
	cfg = cfg.withDefaults()
	c := &Conn{
		cfg:          cfg,
		role:         cfg.Role,
		now:          now,
		enc:          hpack.NewEncoder(),
		dec:          hpack.NewDecoder(max(cfg.Settings.HeaderTableSize, frame.DefaultHeaderTableSize)), // default size until our SETTINGS is acked (RFC 7541, 4.2; settingsAcked)
		closed:       closedStreams{max: cfg.Limits.MaxClosedStreams},
		local:        cfg.Settings,
		acked:        rfcDefaultSettings(), // in force until our first SETTINGS is acknowledged (Section 6.5.3)
		lastRecv:     now,
		lastActivity: now,
		peer: peerSettings{
			headerTableSize:      frame.DefaultHeaderTableSize,
			enablePush:           cfg.Role == Server, // a server's ENABLE_PUSH means nothing
			maxConcurrentStreams: 1<<31 - 1,          // unlimited until SETTINGS says
			initialWindowSize:    frame.DefaultInitialWindowSize,
			maxFrameSize:         frame.DefaultMaxFrameSize,
		},
		sendWindow: frame.DefaultInitialWindowSize,
		recv:       recvWindow{left: frame.DefaultInitialWindowSize, target: int64(cfg.ConnectionWindow)},
	}
	c.dec.SetMaxHeaderListSize(cfg.Settings.MaxHeaderListSize)
	c.dec.SetFieldCheck(fieldChars)
	// A field larger than MAX_HEADER_LIST_SIZE is
	// refused with a stream error (the decoder stops storing, Section
	// 6.5.2), not a COMPRESSION_ERROR: strings are bounded only by what a
	// header block within Limits.MaxHeaderBlockSize can expand to
	// (Huffman: at most 8/5).
	c.dec.SetMaxStringLength(2 * cfg.Limits.MaxHeaderBlockSize)
	c.parser.MaxFrameSize = cfg.Settings.MaxFrameSize
	c.flood.remoteResets.init(cfg.Limits.RemoteResets, now)
	c.flood.localResets.init(cfg.Limits.LocalResets, now)
	c.flood.emptyFrames.init(cfg.Limits.EmptyFrames, now)
	c.flood.pings.init(cfg.Limits.Pings, now)
	c.flood.settings.init(cfg.Limits.Settings, now)
	c.sched.init(cfg.Limits.MaxPriorityNodes)
	if c.role == Client {
		c.nextID = 1
		c.out = append(c.out, frame.ClientPreface...)
	} else {
		c.nextID = 2
		c.prefaceLeft = len(frame.ClientPreface)
	}
	c.queueSettings(c.local, true)
	if d := c.recv.target - c.recv.left; d > 0 {
		c.queueWindowUpdate(0, uint32(d))
		c.recv.left += d
	}
	return c
}

// Role returns the role the engine plays.
func (c *Conn) Role() Role { return c.role }

// Receive feeds bytes from the peer, in any chunking. It returns len(p)
// and nil, or the connection error that ended the connection (a GOAWAY
// is then waiting in AppendOutgoing). Event contents may alias p: keep p
// unchanged until the events are handled.
func (c *Conn) Receive(p []byte, now time.Time) (int, error) {
	c.now = now
	if c.terminated != nil {
		return 0, c.terminated
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.lastRecv = now
	if c.evHead == len(c.events) {
		// The fields of the previous Receive's events, all read, and
		// their strings in the decoder, are invalid now. Events still
		// queued keep theirs (and name them by position in c.fields).
		c.fields = c.fields[:0]
		c.dec.ReleaseStrings()
	}
	n := len(p)
	if c.prefaceLeft > 0 {
		k, perr := c.checkPreface(p)
		if perr != nil {
			c.fail(perr)
			return n, perr
		}
		p = p[k:]
	}
	var err error
	if len(c.in) > 0 {
		// Events of the previous Receive may alias c.in; they are invalid
		// now, so the partial frame can move to the front.
		c.in = append(c.in, p...)
		used := c.process(c.in)
		if c.terminated == nil {
			// Do not move bytes in place: events of this call alias them.
			rest := c.in[used:]
			if len(rest) == 0 {
				c.in = c.in[:0]
			} else {
				c.in = append(c.getInBuf(len(rest)), rest...)
			}
		}
	} else {
		used := c.process(p)
		if c.terminated == nil && used < len(p) {
			c.in = append(c.in[:0], p[used:]...)
		}
	}
	if c.terminated != nil {
		err = c.terminated
		c.in = nil
	}
	return n, err
}

// process parses and handles frames from b; it returns the bytes used.
func (c *Conn) process(b []byte) int {
	used := 0
	for c.terminated == nil && c.prefaceLeft == 0 {
		if !c.sawSettings && len(b)-used >= frame.HeaderLen {
			if err := c.checkFirstFrame(b[used:]); err != nil {
				c.fail(err)
				break
			}
		}
		f, n, err := c.parser.Parse(b[used:])
		if err != nil {
			if fe, ok := err.(*frame.Error); ok && fe.Stream && n > 0 {
				used += n
				if c.hb.active {
					c.fail(connErr(frame.ErrCodeProtocol, "frame inside a header block"))
					break
				}
				if c.parser.LastHeader().Type != frame.TypePriority && c.State(fe.StreamID) == StateIdle {
					// RFC 9113, Section 5.1, "idle": only HEADERS and
					// PRIORITY may arrive on an idle stream, and
					// RST_STREAM cannot be sent on one (Section 6.4).
					c.fail(connErr(frame.ErrCodeProtocol, fe.Reason+" on an idle stream"))
					break
				}
				c.streamError(fe.StreamID, fe.Code, fe.Reason)
				continue
			}
			c.fail(c.frameConnError(err))
			break
		}
		if n == 0 {
			break
		}
		used += n
		if err := c.handle(f); err != nil {
			c.handleError(err)
		}
	}
	return used
}

// frameConnError converts a frame layer error to a connection error.
func (c *Conn) frameConnError(err error) *ConnError {
	if fe, ok := err.(*frame.Error); ok {
		return &ConnError{Code: fe.Code, Reason: fe.Reason, Initiator: Local}
	}
	return &ConnError{Code: frame.ErrCodeProtocol, Reason: err.Error(), Initiator: Local}
}

// handleError applies a handler's error: a stream error resets the
// stream, anything else ends the connection (RFC 9113, Section 5.4).
func (c *Conn) handleError(err error) {
	switch e := err.(type) {
	case *StreamError:
		c.streamError(e.StreamID, e.Code, e.Reason)
	case *ConnError:
		c.fail(e)
	default:
		c.fail(connErr(frame.ErrCodeInternal, err.Error()))
	}
}

func connErr(code frame.ErrCode, reason string) *ConnError {
	return &ConnError{Code: code, Reason: reason, Initiator: Local}
}

func streamErr(id uint32, code frame.ErrCode, reason string) *StreamError {
	return &StreamError{StreamID: id, Code: code, Reason: reason, Initiator: Local}
}

// streamError resets stream id because the peer broke a rule
// (RFC 9113, Section 5.4.2), counting it against Limits.LocalResets.
func (c *Conn) streamError(id uint32, code frame.ErrCode, reason string) {
	if !c.flood.localResets.take(c.now) {
		// MadeYouReset (CVE-2025-8671): a peer that makes us reset
		// streams faster than allowed is cut off.
		c.fail(connErr(frame.ErrCodeEnhanceYourCalm, "too many stream errors"))
		return
	}
	if c.peerInitiated(id) && id > c.lastPeerID {
		c.usePeerID(id) // the id is used now (Section 5.1.1)
	}
	s := c.streams.Get(id)
	c.queueRST(id, code)
	if s == nil {
		// No record (closed, or refused before one was made): remember
		// the reset all the same, so that what the peer sent before it
		// sees our RST_STREAM is ignored (Section 5.1, "closed").
		c.closed.add(id, id, resetCause(Local, code))
		return
	}
	if c.applyReset(s, inSendRST, Local, code) == vOK {
		c.pushEvent(eventRec{kind: evReset, streamID: id, code: code, initiator: Local})
	}
}

// fail ends the connection because of err: GOAWAY with the error code
// and reason for a local error (RFC 9113, Section 5.4.1).
func (c *Conn) fail(err *ConnError) {
	if c.terminated != nil {
		return
	}
	if err.Initiator == Local || err.Initiator == User {
		last := c.lastPeerID
		if c.goAway.sent && last > c.goAway.lastID {
			// RFC 9113, Section 6.8: the last stream id never grows
			// from one GOAWAY to the next (streams above it were ignored).
			last = c.goAway.lastID
		}
		c.queueGoAway(last, err.Code, err.Reason)
	}
	c.terminated = err
	c.pushEvent(eventRec{kind: evTerminated, err: err})
	for s := range c.streams.Values() {
		c.sched.remove(s)
	}
}

// Err returns the error that ended the connection, or nil.
func (c *Conn) Err() error { return c.terminated }

// Done reports whether the connection is over: it failed or was closed,
// or both sides are done after GOAWAY and no stream is left. Write what
// AppendOutgoing still returns, then close the transport.
func (c *Conn) Done() bool {
	if c.terminated != nil {
		return true
	}
	if c.streams.Len() > 0 {
		return false
	}
	if c.goAway.recv {
		return true
	}
	return c.goAway.sent && (c.role == Client || c.goAway.shutdownPhase != 1)
}

// WantWrite reports whether AppendOutgoing has something to return.
func (c *Conn) WantWrite() bool {
	return len(c.out) > 0 || (c.terminated == nil && c.sched.hasReady())
}

// handle dispatches one parsed frame.
func (c *Conn) handle(f frame.Frame) error {
	h := c.parser.LastHeader()
	if !c.sawSettings {
		// RFC 9113, Section 3.4: the first frame must be SETTINGS.
		if h.Type != frame.TypeSettings || h.Flags.Has(frame.FlagAck) {
			return connErr(frame.ErrCodeProtocol, "first frame is not SETTINGS")
		}
		c.sawSettings = true
	}
	if c.hb.active && h.Type != frame.TypeContinuation {
		// RFC 9113, Section 6.10: a header block is a single unit.
		return connErr(frame.ErrCodeProtocol, "frame of another type inside a header block")
	}
	if c.cfg.Tracer != nil && h.Type != frame.TypeHeaders && h.Type != frame.TypePushPromise && h.Type != frame.TypeContinuation {
		c.cfg.Tracer.FrameReceived(h, f, nil)
	}
	switch f := f.(type) {
	case *frame.Data:
		return c.onData(f)
	case *frame.Headers:
		return c.onHeaders(f)
	case *frame.Priority:
		return c.onPriority(f)
	case *frame.RSTStream:
		return c.onRSTStream(f)
	case *frame.Settings:
		return c.onSettings(f)
	case *frame.PushPromise:
		return c.onPushPromise(f)
	case *frame.Ping:
		return c.onPing(f)
	case *frame.GoAway:
		return c.onGoAway(f)
	case *frame.WindowUpdate:
		return c.onWindowUpdate(f)
	case *frame.Continuation:
		return c.onContinuation(f)
	case *frame.PriorityUpdate:
		return c.onPriorityUpdate(f)
	}
	// RFC 9113, Section 5.5: unknown frame types are ignored.
	if !c.flood.emptyFrames.take(c.now) {
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many frames without progress")
	}
	return nil
}

// getBuf returns a pooled send buffer.
func (c *Conn) getBuf() []byte {
	if n := len(c.bufPool); n > 0 {
		b := c.bufPool[n-1]
		c.bufPool = c.bufPool[:n-1]
		return b
	}
	return make([]byte, 0, 4096)
}

func (c *Conn) putBuf(b []byte) {
	if b != nil && cap(b) <= c.cfg.Limits.MaxStreamSendBuffer && len(c.bufPool) < 64 {
		c.bufPool = append(c.bufPool, b[:0])
	}
}

// getInBuf returns an empty buffer for leftover input that does not
// share memory with c.in, swapping two buffers so steady state does not
// allocate.
func (c *Conn) getInBuf(n int) []byte {
	b := c.inSpare
	c.inSpare = c.in[:0]
	if cap(b) < n {
		b = make([]byte, 0, max(n, 16<<10))
	}
	return b[:0]
}
