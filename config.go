package h2kit

import (
	"time"

	"github.com/h2kit/h2kit/frame"
)

// Role says which end of the connection the engine plays.
type Role uint8

const (
	// Client sends the connection preface and opens odd-numbered streams.
	Client Role = iota
	// Server validates the preface and opens even-numbered (pushed) streams.
	Server
)

// String returns "client" or "server".
func (r Role) String() string {
	if r == Server {
		return "server"
	}
	return "client"
}

// Settings are the values this endpoint advertises in its SETTINGS frame
// (RFC 9113, Section 6.5.2). A zero field means the default noted.
type Settings struct {
	// HeaderTableSize is SETTINGS_HEADER_TABLE_SIZE. Default 4096.
	HeaderTableSize uint32
	// DisablePush sends SETTINGS_ENABLE_PUSH = 0 (clients only; a server
	// always sends 0 since clients never push).
	DisablePush bool
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS. Default 100.
	MaxConcurrentStreams uint32
	// InitialWindowSize is SETTINGS_INITIAL_WINDOW_SIZE: each stream's
	// receive window. Default 65535 (a zero window cannot be asked for).
	InitialWindowSize uint32
	// MaxFrameSize is SETTINGS_MAX_FRAME_SIZE. Default 16384.
	MaxFrameSize uint32
	// MaxHeaderListSize is SETTINGS_MAX_HEADER_LIST_SIZE. Default 64 KiB.
	MaxHeaderListSize uint32
	// EnableConnectProtocol sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1
	// (RFC 8441, Section 3): the peer may then send extended CONNECT
	// requests (a :protocol pseudo-header field, as WebSockets over
	// HTTP/2 do); without it such a request is reset with PROTOCOL_ERROR.
	// Once sent it cannot be withdrawn.
	EnableConnectProtocol bool
	// NoRFC7540Priorities sends SETTINGS_NO_RFC7540_PRIORITIES = 1 (RFC 9218).
	NoRFC7540Priorities bool
	// TLSRenegPermitted is the MS-HTTP2E TLS_RENEG_PERMITTED bit field
	// (0x1 client-initiated, 0x2 server-initiated); sent only when non-zero.
	TLSRenegPermitted uint32
}

// Rate is a token bucket: Burst events at once, refilled at PerSecond.
type Rate struct {
	Burst     int
	PerSecond int
}

// Limits bound what a peer may make this endpoint do. Exceeding one ends
// the connection with GOAWAY ENHANCE_YOUR_CALM (or the error the RFC names).
// A zero field means the default noted.
type Limits struct {
	// MaxContinuationFrames bounds the CONTINUATION frames of one header
	// block (CVE-2024-27316). Default 64.
	MaxContinuationFrames int
	// MaxHeaderBlockSize bounds the encoded size of one header block.
	// Default 2 x MaxHeaderListSize.
	MaxHeaderBlockSize int
	// RemoteResets bounds streams reset by the peer (rapid reset,
	// CVE-2023-44487; reset flood, CVE-2019-9514). Default 1000 burst, 200/s.
	RemoteResets Rate
	// LocalResets bounds streams this endpoint resets because of peer errors
	// (MadeYouReset, CVE-2025-8671), and requests refused because their
	// header list exceeds MaxHeaderListSize (RequestHeadersTooLarge).
	// Default 1000 burst, 200/s.
	LocalResets Rate
	// MaxQueuedControlFrames bounds control frames (SETTINGS ACK, PING ACK,
	// RST_STREAM, WINDOW_UPDATE) and a server's header sections produced
	// but not yet taken by AppendOutgoing (CVE-2019-9512, CVE-2019-9515,
	// CVE-2019-9517). Default 10000.
	MaxQueuedControlFrames int
	// EmptyFrames bounds frames that carry no progress: empty DATA without
	// END_STREAM, empty CONTINUATION, PRIORITY, PRIORITY_UPDATE, unknown
	// frames, SETTINGS without change (CVE-2019-9518). Default 1000 burst,
	// 500/s.
	EmptyFrames Rate
	// Pings bounds PINGs received (CVE-2019-9512). Default 1000 burst,
	// 100/s. A PING that arrives after DATA was sent since the previous
	// one (a peer measuring the data it receives) is not counted.
	Pings Rate
	// Settings bounds SETTINGS frames received (CVE-2019-9515). Default 100 burst, 20/s.
	Settings Rate
	// MaxClosedStreams is how many recently closed streams are remembered
	// to tell "closed" from "never opened" (RFC 9113, Section 5.1). Default 128.
	MaxClosedStreams int
	// MaxStreamSendBuffer bounds the bytes SendData buffers per stream.
	// Default 64 KiB.
	MaxStreamSendBuffer int
	// MaxPriorityNodes bounds the RFC 7540 priority tree nodes kept for
	// streams that are not open. Default 100.
	MaxPriorityNodes int
}

// Config configures a Conn. The zero value of each field is a safe default.
type Config struct {
	// Role is Client or Server.
	Role Role
	// Settings are advertised in the first SETTINGS frame.
	Settings Settings
	// Limits protect against abusive peers.
	Limits Limits
	// DisableMessageRules switches off the HTTP message checks of RFC 9113,
	// Section 8 (pseudo-headers, connection-specific fields, content-length);
	// for conformance tools that must send or see malformed messages.
	DisableMessageRules bool
	// Tracer, if set, sees every frame sent and received.
	Tracer Tracer
	// ConnectionWindow is the connection-level receive window to open at
	// start (sent as a WINDOW_UPDATE on stream 0). Default 1 MiB; values
	// below 65535 mean 65535.
	ConnectionWindow uint32
	// AutoWindow grows receive windows from the bandwidth-delay product
	// measured with PINGs, while the peer is limited by them.
	AutoWindow bool
	// MaxAutoWindow caps AutoWindow growth. Default 16 MiB.
	MaxAutoWindow uint32
	// SettingsTimeout: an unacknowledged SETTINGS after this long is a
	// SETTINGS_TIMEOUT connection error. Default 10s; negative disables.
	SettingsTimeout time.Duration
	// PingTimeout: a PING without ACK after this long ends the connection.
	// Default 15s.
	PingTimeout time.Duration
	// KeepAlive, if positive, sends a PING after this much read silence.
	KeepAlive time.Duration
	// IdleTimeout, if positive, starts a graceful shutdown after this long
	// without open streams.
	IdleTimeout time.Duration
	// ShutdownTimeout bounds the first phase of a graceful shutdown (waiting
	// for the PING that follows the first GOAWAY). Default 1s.
	ShutdownTimeout time.Duration
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	s := &c.Settings
	if s.HeaderTableSize == 0 {
		s.HeaderTableSize = frame.DefaultHeaderTableSize
	}
	if s.MaxConcurrentStreams == 0 {
		s.MaxConcurrentStreams = 100
	}
	if s.InitialWindowSize == 0 {
		s.InitialWindowSize = frame.DefaultInitialWindowSize
	}
	if s.InitialWindowSize > frame.MaxWindowSize {
		s.InitialWindowSize = frame.MaxWindowSize
	}
	if s.MaxFrameSize < frame.DefaultMaxFrameSize {
		s.MaxFrameSize = frame.DefaultMaxFrameSize
	}
	if s.MaxFrameSize > frame.MaxMaxFrameSize {
		s.MaxFrameSize = frame.MaxMaxFrameSize
	}
	if s.MaxHeaderListSize == 0 {
		s.MaxHeaderListSize = 64 << 10
	}
	s.TLSRenegPermitted &= 0x3 // MS-HTTP2E: other bits are sent as 0
	l := &c.Limits
	setInt(&l.MaxContinuationFrames, 64)
	setInt(&l.MaxHeaderBlockSize, 2*int(s.MaxHeaderListSize))
	setRate(&l.RemoteResets, 1000, 200)
	setRate(&l.LocalResets, 1000, 200)
	setInt(&l.MaxQueuedControlFrames, 10000)
	setRate(&l.EmptyFrames, 1000, 500)
	setRate(&l.Pings, 1000, 100)
	setRate(&l.Settings, 100, 20)
	setInt(&l.MaxClosedStreams, 128)
	setInt(&l.MaxStreamSendBuffer, 64<<10)
	setInt(&l.MaxPriorityNodes, 100)
	if c.ConnectionWindow < frame.DefaultInitialWindowSize {
		if c.ConnectionWindow == 0 {
			c.ConnectionWindow = 1 << 20
		} else {
			c.ConnectionWindow = frame.DefaultInitialWindowSize
		}
	}
	if c.ConnectionWindow > frame.MaxWindowSize {
		c.ConnectionWindow = frame.MaxWindowSize
	}
	if c.MaxAutoWindow == 0 {
		c.MaxAutoWindow = 16 << 20
	}
	if c.MaxAutoWindow > frame.MaxWindowSize {
		c.MaxAutoWindow = frame.MaxWindowSize
	}
	if c.SettingsTimeout == 0 {
		c.SettingsTimeout = 10 * time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 15 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = time.Second
	}
	return c
}

func setInt(p *int, def int) {
	if *p <= 0 {
		*p = def
	}
}

func setRate(r *Rate, burst, perSecond int) {
	if r.Burst <= 0 {
		r.Burst = burst
	}
	if r.PerSecond <= 0 {
		r.PerSecond = perSecond
	}
}
