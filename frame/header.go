package frame

// HeaderLen is the length of the frame header that begins every frame
// (RFC 9113, Section 4.1).
const HeaderLen = 9

// Frame size limits of RFC 9113, Section 4.2 and Section 6.5.2.
const (
	// DefaultMaxFrameSize is the initial value of SETTINGS_MAX_FRAME_SIZE and
	// the smallest value it may take.
	DefaultMaxFrameSize = 1 << 14

	// MaxMaxFrameSize is the largest value SETTINGS_MAX_FRAME_SIZE may take,
	// and the largest payload the 24-bit Length field can describe.
	MaxMaxFrameSize = 1<<24 - 1
)

// MaxWindowSize is the largest flow-control window, the largest
// WINDOW_UPDATE increment and the largest SETTINGS_INITIAL_WINDOW_SIZE
// (RFC 9113, Section 6.9).
const MaxWindowSize = 1<<31 - 1

// ClientPreface is the connection preface a client sends before its first
// SETTINGS frame (RFC 9113, Section 3.4).
const ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// streamIDMask clears the reserved bit that precedes every 31-bit stream
// identifier (RFC 9113, Section 4.1).
const streamIDMask = 1<<31 - 1

// Type is the 8-bit frame type (RFC 9113, Section 4.1).
type Type uint8

// Frame types of RFC 9113, Section 6 and RFC 9218, Section 7.1.
const (
	TypeData           Type = 0x0
	TypeHeaders        Type = 0x1
	TypePriority       Type = 0x2
	TypeRSTStream      Type = 0x3
	TypeSettings       Type = 0x4
	TypePushPromise    Type = 0x5
	TypePing           Type = 0x6
	TypeGoAway         Type = 0x7
	TypeWindowUpdate   Type = 0x8
	TypeContinuation   Type = 0x9
	TypePriorityUpdate Type = 0x10
)

var typeNames = [...]string{
	TypeData:           "DATA",
	TypeHeaders:        "HEADERS",
	TypePriority:       "PRIORITY",
	TypeRSTStream:      "RST_STREAM",
	TypeSettings:       "SETTINGS",
	TypePushPromise:    "PUSH_PROMISE",
	TypePing:           "PING",
	TypeGoAway:         "GOAWAY",
	TypeWindowUpdate:   "WINDOW_UPDATE",
	TypeContinuation:   "CONTINUATION",
	TypePriorityUpdate: "PRIORITY_UPDATE",
}

// String returns the type's name as the RFC spells it ("DATA", "HEADERS",
// ..., "PRIORITY_UPDATE"), or "UNKNOWN" for a type this package does not
// define. It does not allocate.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// Known reports whether the package parses frames of type t into a
// dedicated frame value; frames of other types are parsed into [Unknown].
func (t Type) Known() bool {
	return int(t) < len(typeNames) && typeNames[t] != ""
}

// Flags is the 8-bit flags field of the frame header. Each frame type gives
// meaning to its own flags; the others are unused (RFC 9113, Section 4.1).
type Flags uint8

// Flags defined by RFC 9113, Section 6.
const (
	FlagEndStream  Flags = 0x1  // DATA, HEADERS
	FlagAck        Flags = 0x1  // SETTINGS, PING
	FlagEndHeaders Flags = 0x4  // HEADERS, PUSH_PROMISE, CONTINUATION
	FlagPadded     Flags = 0x8  // DATA, HEADERS, PUSH_PROMISE
	FlagPriority   Flags = 0x20 // HEADERS
)

// Has reports whether every bit of x is set in f.
func (f Flags) Has(x Flags) bool { return f&x == x }

// Header is the 9-octet frame header (RFC 9113, Section 4.1):
//
//	HTTP Frame {
//	  Length (24),
//	  Type (8),
//	  Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Frame Payload (..),
//	}
type Header struct {
	Length   uint32 // payload length, not counting the header; 24 bits on the wire
	Type     Type
	Flags    Flags
	StreamID uint32 // 31 bits; the reserved bit is masked off when parsing
}

// ParseHeader decodes the frame header at the start of b, which must hold at
// least [HeaderLen] bytes. The reserved bit before the stream identifier is
// ignored, as RFC 9113, Section 4.1 requires.
func ParseHeader(b []byte) Header {
	_ = b[8] // one bounds check
	return Header{
		Length:   uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Type:     Type(b[3]),
		Flags:    Flags(b[4]),
		StreamID: be32(b[5:]) & streamIDMask,
	}
}

// Append appends the 9-octet encoding of h to dst. The reserved bit is sent
// as zero (RFC 9113, Section 4.1) and only the low 24 bits of Length are
// written: keeping payloads within the peer's SETTINGS_MAX_FRAME_SIZE is the
// caller's responsibility.
func (h Header) Append(dst []byte) []byte {
	id := h.StreamID & streamIDMask
	return append(dst,
		byte(h.Length>>16), byte(h.Length>>8), byte(h.Length),
		byte(h.Type), byte(h.Flags),
		byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

func be32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func appendBE32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendZeros appends n zero octets, used for padding. The compiler turns
// this append of a make into a memclr without allocating.
func appendZeros(dst []byte, n int) []byte {
	return append(dst, make([]byte, n)...)
}
