package h2kit

import (
	"errors"
	"math"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// appendSettings appends the SETTINGS entries that describe s, leaving
// out values equal to the RFC defaults (the first SETTINGS frame).
func appendSettings(dst []frame.Setting, s Settings, role Role) []frame.Setting {
	add := func(id frame.SettingID, v uint32) { dst = append(dst, frame.Setting{ID: id, Val: v}) }
	if s.HeaderTableSize != frame.DefaultHeaderTableSize {
		add(frame.SettingHeaderTableSize, s.HeaderTableSize)
	}
	if role == Server || s.DisablePush {
		add(frame.SettingEnablePush, 0)
	}
	add(frame.SettingMaxConcurrentStreams, s.MaxConcurrentStreams)
	if s.InitialWindowSize != frame.DefaultInitialWindowSize {
		add(frame.SettingInitialWindowSize, s.InitialWindowSize)
	}
	if s.MaxFrameSize != frame.DefaultMaxFrameSize {
		add(frame.SettingMaxFrameSize, s.MaxFrameSize)
	}
	add(frame.SettingMaxHeaderListSize, s.MaxHeaderListSize)
	if s.EnableConnectProtocol {
		add(frame.SettingEnableConnectProtocol, 1)
	}
	if s.NoRFC7540Priorities {
		add(frame.SettingNoRFC7540Priorities, 1)
	}
	if s.TLSRenegPermitted != 0 {
		add(frame.SettingTLSRenegPermitted, s.TLSRenegPermitted&0x3)
	}
	return dst
}

// appendSettingsChanges appends the entries of s that differ from prev,
// for a SETTINGS frame after the first: a value going back to its RFC
// default must be sent too, or the peer keeps the old one.
func appendSettingsChanges(dst []frame.Setting, prev, s Settings, role Role) []frame.Setting {
	add := func(id frame.SettingID, a, b uint32) {
		if a != b {
			dst = append(dst, frame.Setting{ID: id, Val: b})
		}
	}
	b2u := func(b bool) uint32 {
		if b {
			return 1
		}
		return 0
	}
	add(frame.SettingHeaderTableSize, prev.HeaderTableSize, s.HeaderTableSize)
	if role == Client {
		add(frame.SettingEnablePush, b2u(!prev.DisablePush), b2u(!s.DisablePush))
	}
	add(frame.SettingMaxConcurrentStreams, prev.MaxConcurrentStreams, s.MaxConcurrentStreams)
	add(frame.SettingInitialWindowSize, prev.InitialWindowSize, s.InitialWindowSize)
	add(frame.SettingMaxFrameSize, prev.MaxFrameSize, s.MaxFrameSize)
	add(frame.SettingMaxHeaderListSize, prev.MaxHeaderListSize, s.MaxHeaderListSize)
	add(frame.SettingEnableConnectProtocol, b2u(prev.EnableConnectProtocol), b2u(s.EnableConnectProtocol))
	add(frame.SettingTLSRenegPermitted, prev.TLSRenegPermitted, s.TLSRenegPermitted)
	return dst
}

// sentSettings is one SETTINGS frame of ours waiting for its ACK: when it
// went out and the settings in force once it is acknowledged.
type sentSettings struct {
	at time.Time
	s  Settings
}

// queueSettings sends our SETTINGS (s replacing c.local) and starts the
// ACK deadline.
func (c *Conn) queueSettings(s Settings, first bool) {
	var list []frame.Setting
	if first {
		list = appendSettings(nil, s, c.role)
	} else {
		list = appendSettingsChanges(nil, c.local, s, c.role)
	}
	f := frame.Settings{Settings: list}
	c.queueControl(&f, false)
	c.local = s
	c.sentSettings = append(c.sentSettings, sentSettings{at: c.now, s: s})
	// Accept frames as large as either the old or new limit until ACK.
	c.parser.MaxFrameSize = max(c.parser.MaxFrameSize, s.MaxFrameSize)
}

// UpdateSettings sends a new SETTINGS frame with the values of s that
// changed. Each takes effect for what we receive once the peer
// acknowledges it (RFC 9113, Section 6.5.3); a new
// SETTINGS_INITIAL_WINDOW_SIZE then changes the receive window of every
// open stream by the difference, as the peer changes its send windows
// (Section 6.9.2). SETTINGS_NO_RFC7540_PRIORITIES cannot change after the
// first SETTINGS (RFC 9218, Section 2.1), nor
// SETTINGS_ENABLE_CONNECT_PROTOCOL go back to 0 (RFC 8441, Section 3):
// those fields of s are ignored.
func (c *Conn) UpdateSettings(s Settings) error {
	if c.terminated != nil {
		return ErrConnClosed
	}
	s.NoRFC7540Priorities = c.local.NoRFC7540Priorities
	s.EnableConnectProtocol = s.EnableConnectProtocol || c.local.EnableConnectProtocol
	cfg := c.cfg
	cfg.Settings = s
	s = cfg.withDefaults().Settings
	c.queueSettings(s, false)
	return nil
}

// onSettings handles SETTINGS (RFC 9113, Section 6.5).
func (c *Conn) onSettings(st *frame.Settings) error {
	if st.Ack {
		if len(c.sentSettings) == 0 {
			return nil // an ACK for nothing: ignored
		}
		c.settingsAcked(c.sentSettings[0].s)
		c.sentSettings = c.sentSettings[1:]
		c.pushEvent(eventRec{kind: evSettingsAck})
		return nil
	}
	if !c.flood.settings.take(c.now) {
		return connErr(frame.ErrCodeEnhanceYourCalm, "too many SETTINGS frames")
	}
	if len(c.events) == 0 {
		// No event holds c.changed any more (NextEvent drained them):
		// reuse it. Otherwise append, since an earlier SettingsReceived
		// not yet taken still points into it.
		c.changed = c.changed[:0]
	}
	start := len(c.changed)
	for _, s := range st.Settings {
		if err := c.applySetting(s); err != nil {
			return err
		}
		c.changed = append(c.changed, s)
	}
	// Section 6.5.3: acknowledge once applied.
	ack := frame.Settings{Ack: true}
	c.queueControl(&ack, true)
	c.pushEvent(eventRec{kind: evSettings, settings: c.changed[start:len(c.changed):len(c.changed)]})
	return nil
}

// settingsAcked puts our settings s in force for what we receive: the
// peer has applied them (RFC 9113, Section 6.5.3).
func (c *Conn) settingsAcked(s Settings) {
	prev := c.acked
	c.acked = s
	// Frames as large as a later, still unacknowledged SETTINGS allows
	// may come already.
	m := s.MaxFrameSize
	for _, p := range c.sentSettings[1:] {
		m = max(m, p.s.MaxFrameSize)
	}
	c.parser.MaxFrameSize = m
	c.dec.SetMaxDynamicTableSize(s.HeaderTableSize)
	c.dec.SetMaxHeaderListSize(s.MaxHeaderListSize)
	if delta := int64(s.InitialWindowSize) - int64(prev.InitialWindowSize); delta != 0 {
		// Section 6.9.2: the peer moved the window of every stream by
		// delta when it applied the setting; so do we.
		for st := range c.streams.Values() {
			st.recv.left += delta
			// The target is the policy for every stream, not a window:
			// streams opened before the ACK already use the new value.
			st.recv.target = max(1, int64(c.streamRecvWindow()))
		}
	}
}

// rfcDefaultSettings are the settings in force before the first SETTINGS
// is acknowledged (RFC 9113, Section 6.5.2; no limit where the RFC sets none).
func rfcDefaultSettings() Settings {
	return Settings{
		HeaderTableSize:      frame.DefaultHeaderTableSize,
		MaxConcurrentStreams: math.MaxUint32,
		InitialWindowSize:    frame.DefaultInitialWindowSize,
		MaxFrameSize:         frame.DefaultMaxFrameSize,
	}
}

// applySetting applies one of the peer's settings at once (Section 6.5.3).
func (c *Conn) applySetting(s frame.Setting) error {
	if err := s.Valid(); err != nil {
		var fe *frame.Error
		if errors.As(err, &fe) {
			return connErr(fe.Code, fe.Reason)
		}
		return connErr(frame.ErrCodeProtocol, err.Error())
	}
	p := &c.peer
	switch s.ID {
	case frame.SettingHeaderTableSize:
		p.headerTableSize = s.Val
		c.enc.SetMaxDynamicTableSize(s.Val)
	case frame.SettingEnablePush:
		if c.role == Client && s.Val == 1 {
			// Section 6.5.2: a server cannot enable push.
			return connErr(frame.ErrCodeProtocol, "SETTINGS_ENABLE_PUSH = 1 from a server")
		}
		if c.role == Server {
			p.enablePush = s.Val == 1
		}
	case frame.SettingMaxConcurrentStreams:
		p.maxConcurrentStreams = s.Val
	case frame.SettingInitialWindowSize:
		// Section 6.9.2: the change applies to every stream's send window,
		// which may go negative; past 2^31-1 is a FLOW_CONTROL_ERROR.
		delta := int64(s.Val) - int64(p.initialWindowSize)
		for st := range c.streams.Values() {
			if st.sendWindow+delta > frame.MaxWindowSize {
				return connErr(frame.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window")
			}
		}
		for st := range c.streams.Values() {
			st.sendWindow += delta
			if delta > 0 {
				c.streamWindowGrew(st, st.sendWindow-delta)
			} else {
				c.updateReady(st) // maybe held back now
			}
		}
		p.initialWindowSize = s.Val
	case frame.SettingMaxFrameSize:
		p.maxFrameSize = s.Val
	case frame.SettingMaxHeaderListSize:
		p.maxHeaderListSize = s.Val
	case frame.SettingEnableConnectProtocol:
		if p.enableConnectProtocol && s.Val == 0 {
			// RFC 8441, Section 3: it MUST NOT go from 1 back to 0.
			return connErr(frame.ErrCodeProtocol, "SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0")
		}
		p.enableConnectProtocol = s.Val == 1
	case frame.SettingNoRFC7540Priorities:
		p.noRFC7540Priorities = s.Val == 1
		if p.noRFC7540Priorities {
			c.sched.use9218 = true
		}
	case frame.SettingTLSRenegPermitted:
		// MS-HTTP2E: a bit field; bits other than 0x1 and 0x2 are ignored.
		// It takes effect on receipt, without waiting for the ACK.
		p.tlsRenegPermitted = s.Val & 0x3
	}
	return nil
}

// PeerSettings returns the settings the peer advertised so far (RFC
// defaults for those it did not send).
func (c *Conn) PeerSettings() Settings {
	p := c.peer
	return Settings{
		HeaderTableSize:       p.headerTableSize,
		DisablePush:           !p.enablePush,
		MaxConcurrentStreams:  p.maxConcurrentStreams,
		InitialWindowSize:     p.initialWindowSize,
		MaxFrameSize:          p.maxFrameSize,
		MaxHeaderListSize:     p.maxHeaderListSize,
		EnableConnectProtocol: p.enableConnectProtocol,
		NoRFC7540Priorities:   p.noRFC7540Priorities,
		TLSRenegPermitted:     p.tlsRenegPermitted,
	}
}

// LocalSettings returns the settings this endpoint advertised last.
func (c *Conn) LocalSettings() Settings { return c.local }

// settingsDeadline is when our oldest unacknowledged SETTINGS times out.
func (c *Conn) settingsDeadline() time.Time {
	if len(c.sentSettings) == 0 || c.cfg.SettingsTimeout < 0 {
		return time.Time{}
	}
	return c.sentSettings[0].at.Add(c.cfg.SettingsTimeout)
}
