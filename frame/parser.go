package frame

// Frame is implemented by every frame type of this package, always through a
// pointer: [*Data], [*Headers], [*Priority], [*RSTStream], [*Settings],
// [*PushPromise], [*Ping], [*GoAway], [*WindowUpdate], [*Continuation],
// [*PriorityUpdate] and [*Unknown].
type Frame interface {
	// FrameHeader returns the header Append writes, computed from the
	// fields: Length is Len(), Flags holds only the flags the type defines.
	FrameHeader() Header

	// Len returns the payload length, the header's Length field; Append
	// appends HeaderLen+Len() bytes.
	Len() int

	// Append appends the frame, header included, to dst and returns the
	// extended slice. It never fails: reserved bits are sent as zero,
	// padding octets as zero, and unused flags are left unset (RFC 9113,
	// Section 4.1). Respecting the peer's SETTINGS_MAX_FRAME_SIZE and the
	// field ranges is the caller's job.
	Append(dst []byte) []byte
}

// Compile-time checks that every frame type implements Frame.
var (
	_ Frame = (*Data)(nil)
	_ Frame = (*Headers)(nil)
	_ Frame = (*Priority)(nil)
	_ Frame = (*RSTStream)(nil)
	_ Frame = (*Settings)(nil)
	_ Frame = (*PushPromise)(nil)
	_ Frame = (*Ping)(nil)
	_ Frame = (*GoAway)(nil)
	_ Frame = (*WindowUpdate)(nil)
	_ Frame = (*Continuation)(nil)
	_ Frame = (*PriorityUpdate)(nil)
	_ Frame = (*Unknown)(nil)
)

// Parser parses frames from a byte slice. The zero value is ready to use and
// enforces the initial SETTINGS_MAX_FRAME_SIZE of 16384.
//
// A Parser owns one value of each frame type and reuses it: the Frame that
// Parse returns, and the byte slices in it (which alias the buffer passed to
// Parse), are valid only until the next call to Parse and only while that
// buffer is unmodified. [Settings] reuses its []Setting slice the same way.
// A Parser must not be used from several goroutines at once.
type Parser struct {
	// MaxFrameSize is the largest payload accepted, the
	// SETTINGS_MAX_FRAME_SIZE this endpoint advertised (RFC 9113,
	// Section 4.2). Zero means DefaultMaxFrameSize.
	MaxFrameSize uint32

	last Header

	data           Data
	headers        Headers
	priority       Priority
	rstStream      RSTStream
	settings       Settings
	pushPromise    PushPromise
	ping           Ping
	goAway         GoAway
	windowUpdate   WindowUpdate
	continuation   Continuation
	priorityUpdate PriorityUpdate
	unknown        Unknown
}

// parseFunc decodes the payload of one frame whose header is h into the
// Parser's reused value of that type. The header's Length has already been
// checked against the Parser's MaxFrameSize and len(payload) == h.Length.
type parseFunc func(p *Parser, h Header, payload []byte) (Frame, *Error)

// parsers dispatches on the frame type; nil entries are unknown types.
var parsers = [256]parseFunc{
	TypeData:           parseData,
	TypeHeaders:        parseHeaders,
	TypePriority:       parsePriority,
	TypeRSTStream:      parseRSTStream,
	TypeSettings:       parseSettings,
	TypePushPromise:    parsePushPromise,
	TypePing:           parsePing,
	TypeGoAway:         parseGoAway,
	TypeWindowUpdate:   parseWindowUpdate,
	TypeContinuation:   parseContinuation,
	TypePriorityUpdate: parsePriorityUpdate,
}

// Parse parses one frame from the start of b.
//
// It returns the frame and the number of bytes it occupied (HeaderLen plus
// the payload length). When b does not yet hold a whole frame it returns
// n == 0 and a nil error: call again with more bytes. A frame whose header
// announces a payload longer than MaxFrameSize is reported as soon as the
// 9-octet header is available, without waiting for the payload.
//
// Errors are always *[Error]. For a stream error, f is nil and n is the whole
// frame's length, so the caller can skip the frame, reset the stream and go
// on. For a connection error, f is nil and n is 0: the connection cannot go
// on. In both cases [Parser.LastHeader] returns the offending frame's header.
//
// Frames of unknown type are returned as [*Unknown], never as an error
// (RFC 9113, Section 4.1 and Section 5.5).
func (p *Parser) Parse(b []byte) (f Frame, n int, err error) {
	if len(b) < HeaderLen {
		return nil, 0, nil
	}
	h := ParseHeader(b)
	p.last = h
	maxSize := p.MaxFrameSize
	if maxSize == 0 {
		maxSize = DefaultMaxFrameSize
	}
	if h.Length > maxSize {
		// RFC 9113, Section 4.2: a frame exceeding SETTINGS_MAX_FRAME_SIZE
		// is a FRAME_SIZE_ERROR. We cannot tell whether such a frame would
		// alter connection state without reading it, and we will not
		// buffer it, so it is treated as a connection error.
		return nil, 0, connError(ErrCodeFrameSize, "frame length exceeds SETTINGS_MAX_FRAME_SIZE (RFC 9113, Section 4.2)")
	}
	n = HeaderLen + int(h.Length)
	if len(b) < n {
		return nil, 0, nil
	}
	// The capacity limit keeps an append to a payload slice from
	// overwriting the next frame in b.
	payload := b[HeaderLen:n:n]
	parse := parsers[h.Type]
	if parse == nil {
		p.unknown = Unknown{Hdr: h, Payload: payload}
		return &p.unknown, n, nil
	}
	f, e := parse(p, h, payload)
	if e != nil {
		if e.Stream {
			return nil, n, e
		}
		return nil, 0, e
	}
	return f, n, nil
}

// LastHeader returns the header of the frame most recently examined by
// Parse, as received: unused flags are kept and only the reserved bit is
// masked off. After an error it is the offending frame's header. It is the
// header to pass to [AppendSummary] for received frames.
func (p *Parser) LastHeader() Header { return p.last }

// unpad removes the Pad Length octet and the padding from the payload of a
// frame with the PADDED flag (RFC 9113, Sections 6.1, 6.2 and 6.6). fixed
// is the length of the mandatory fields that follow Pad Length. It returns
// the payload between Pad Length and the padding, and the pad length.
func unpad(payload []byte, fixed int, short, long string) ([]byte, uint8, *Error) {
	if len(payload) < 1+fixed {
		// RFC 9113, Section 4.2: a frame too small to contain mandatory
		// frame data is a FRAME_SIZE_ERROR. DATA counts against the
		// connection flow-control window and HEADERS and PUSH_PROMISE
		// carry field blocks, so all three alter connection state and the
		// error is a connection error.
		return nil, 0, connError(ErrCodeFrameSize, short)
	}
	pad := payload[0]
	if int(pad) > len(payload)-1-fixed {
		// RFC 9113, Sections 6.1, 6.2 and 6.6: padding as long as the
		// payload or longer is a connection error of type PROTOCOL_ERROR.
		// Padding that leaves no room for the mandatory fields is
		// treated the same way.
		return nil, 0, connError(ErrCodeProtocol, long)
	}
	return payload[1 : len(payload)-int(pad)], pad, nil
}
