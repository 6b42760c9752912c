package h2kit

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// UpgradeClient makes a client engine continue an h2c Upgrade (RFC 7540,
// Section 3.2) after the server's 101 response: stream 1 is the upgraded
// request, half-closed (local), and its response arrives as events. The
// engine must be new (nothing received yet); its first SETTINGS should
// match the HTTP2-Settings value sent (EncodeHTTP2Settings). isHead says
// whether the request was HEAD.
func (c *Conn) UpgradeClient(isHead bool) (uint32, error) {
	if c.role != Client {
		return 0, ErrWrongRole
	}
	if c.nextID != 1 {
		return 0, errors.New("h2kit: upgrade after streams were opened")
	}
	s := c.newStream(1)
	c.nextID = 3
	s.isHead = isHead
	c.apply(s, inSendHeadersEnd) // the request went out, whole, in HTTP/1.1: half-closed (local)
	s.sendPhase = phaseDone
	return 1, nil
}

// UpgradeServer makes a new server engine continue an h2c Upgrade: it
// applies the client's HTTP2-Settings value as if received in SETTINGS
// (the 101 acknowledges it implicitly) and opens stream 1, half-closed
// (remote), carrying the HTTP/1.1 request given as HTTP/2 fields
// (pseudo-headers first) and its body, read in full by the caller. A
// RequestReceived event (and DataReceived for a body) follows; answer it
// with SendHeaders(1, ...). The caller writes the 101 response before
// the engine's output.
func (c *Conn) UpgradeServer(http2Settings string, request []hpack.Field, body []byte) error {
	if c.role != Server {
		return ErrWrongRole
	}
	if c.lastPeerID != 0 {
		return errors.New("h2kit: upgrade after streams were opened")
	}
	// Both inputs are checked before anything changes.
	settings, err := decodeHTTP2Settings(http2Settings)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpgradeSettings, err)
	}
	m := messageInfo{contentLength: -1}
	if !c.cfg.DisableMessageRules {
		// RFC 9113, Section 8.3.1.
		if reason := checkRequest(request, &m, false); reason != "" {
			return errors.New("h2kit: upgraded request: " + reason)
		}
	}
	for _, s := range settings {
		if err := c.applySetting(s); err != nil {
			return fmt.Errorf("%w: %v", ErrUpgradeSettings, err)
		}
	}
	s := c.newStream(1)
	c.lastPeerID = 1
	c.apply(s, inRecvHeadersEnd) // the request came in, whole, in HTTP/1.1: half-closed (remote)
	s.recvPhase = phaseDone
	s.isHead = m.isHead
	// The fields are copied into c.fields (the caller may reuse its
	// slice); their strings are immutable as they are.
	at := len(c.fields)
	c.fields = append(c.fields, request...)
	c.pushEvent(eventRec{kind: evRequest, streamID: 1, fieldsAt: at, fieldsEnd: len(c.fields), endStream: len(body) == 0, prio: s.prio})
	if len(body) > 0 {
		c.pushEvent(eventRec{kind: evData, streamID: 1, data: body, n: 0, endStream: true})
	}
	return nil
}

// ErrUpgradeSettings is what UpgradeServer's error wraps (errors.Is) when
// the HTTP2-Settings value is not a valid SETTINGS payload in base64url, or
// carries a value SETTINGS may not (RFC 9113, Sections 3.2.1 and 6.5.2). A
// server answers such an upgrade with 400, as for a malformed request.
var ErrUpgradeSettings = errors.New("h2kit: invalid HTTP2-Settings value")

// EncodeHTTP2Settings returns the HTTP2-Settings header value for an h2c
// Upgrade request (RFC 7540, Section 3.2.1): the base64url SETTINGS
// payload of s, without padding.
func EncodeHTTP2Settings(s Settings) string {
	cfg := Config{Role: Client, Settings: s}.withDefaults()
	f := frame.Settings{Settings: appendSettings(nil, cfg.Settings, Client)}
	b := f.Append(nil)[frame.HeaderLen:]
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeHTTP2Settings parses an HTTP2-Settings header value.
func decodeHTTP2Settings(v string) ([]frame.Setting, error) {
	b, err := base64.RawURLEncoding.DecodeString(trimPadding(v))
	if err != nil {
		return nil, errors.New("h2kit: HTTP2-Settings is not base64url: " + err.Error())
	}
	if len(b)%6 != 0 {
		return nil, errors.New("h2kit: HTTP2-Settings length is not a multiple of 6")
	}
	var out []frame.Setting
	for i := 0; i < len(b); i += 6 {
		s := frame.Setting{ID: frame.SettingID(uint16(b[i])<<8 | uint16(b[i+1])),
			Val: uint32(b[i+2])<<24 | uint32(b[i+3])<<16 | uint32(b[i+4])<<8 | uint32(b[i+5])}
		if err := s.Valid(); err != nil {
			return nil, errors.New("h2kit: HTTP2-Settings: " + err.Error())
		}
		out = append(out, s)
	}
	return out, nil
}

func trimPadding(v string) string {
	for len(v) > 0 && v[len(v)-1] == '=' {
		v = v[:len(v)-1]
	}
	return v
}
