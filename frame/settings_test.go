package frame

import (
	"errors"
	"testing"
)

func TestSettings(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "empty", in: raw(TypeSettings, 0, 0),
			want: &Settings{}},
		{name: "ack", in: raw(TypeSettings, FlagAck, 0),
			want: &Settings{Ack: true}},
		{name: "nghttp client", in: raw(TypeSettings, 0, 0, setting(SettingMaxConcurrentStreams, 100), setting(SettingInitialWindowSize, 16383)),
			want: &Settings{Settings: []Setting{{SettingMaxConcurrentStreams, 100}, {SettingInitialWindowSize, 16383}}}},
		{name: "every known setting at its limits", in: raw(TypeSettings, 0, 0,
			setting(SettingHeaderTableSize, 1<<32-1),
			setting(SettingEnablePush, 0),
			setting(SettingEnablePush, 1),
			setting(SettingMaxConcurrentStreams, 0),
			setting(SettingInitialWindowSize, MaxWindowSize),
			setting(SettingMaxFrameSize, DefaultMaxFrameSize),
			setting(SettingMaxFrameSize, MaxMaxFrameSize),
			setting(SettingMaxHeaderListSize, 1<<32-1),
			setting(SettingEnableConnectProtocol, 1),
			setting(SettingNoRFC7540Priorities, 1),
			setting(SettingTLSRenegPermitted, 0xffffffff)),
			want: &Settings{Settings: []Setting{
				{SettingHeaderTableSize, 1<<32 - 1},
				{SettingEnablePush, 0},
				{SettingEnablePush, 1},
				{SettingMaxConcurrentStreams, 0},
				{SettingInitialWindowSize, MaxWindowSize},
				{SettingMaxFrameSize, DefaultMaxFrameSize},
				{SettingMaxFrameSize, MaxMaxFrameSize},
				{SettingMaxHeaderListSize, 1<<32 - 1},
				{SettingEnableConnectProtocol, 1},
				{SettingNoRFC7540Priorities, 1},
				{SettingTLSRenegPermitted, 0xffffffff},
			}}},
		{name: "MS-HTTP2E TLS_RENEG_PERMITTED", in: raw(TypeSettings, 0, 0, setting(SettingTLSRenegPermitted, 2)),
			want: &Settings{Settings: []Setting{{SettingTLSRenegPermitted, 2}}}},
		{name: "unknown ids kept, any value", in: raw(TypeSettings, 0, 0, setting(0, 9), setting(7, 1<<31), setting(0xffff, 1<<32-1)),
			want: &Settings{Settings: []Setting{{0, 9}, {7, 1 << 31}, {0xffff, 1<<32 - 1}}}},
		{name: "unused flags and reserved bit ignored", in: raw(TypeSettings, 0xfe, 1<<31, setting(SettingEnablePush, 0)),
			want: &Settings{Settings: []Setting{{SettingEnablePush, 0}}}, lossy: true},

		// RFC 9113, Section 6.5.
		{name: "stream 1", in: raw(TypeSettings, 0, 1), err: connErr(ErrCodeProtocol)},
		{name: "ack stream 1", in: raw(TypeSettings, FlagAck, 1), err: connErr(ErrCodeProtocol)},
		{name: "ack not empty", in: raw(TypeSettings, FlagAck, 0, setting(SettingEnablePush, 0)), err: connErr(ErrCodeFrameSize)},
		{name: "ack odd length", in: raw(TypeSettings, FlagAck, 0, zeros(1)), err: connErr(ErrCodeFrameSize)},
		{name: "length 5", in: raw(TypeSettings, 0, 0, zeros(5)), err: connErr(ErrCodeFrameSize)},
		{name: "length 7", in: raw(TypeSettings, 0, 0, setting(1, 1), zeros(1)), err: connErr(ErrCodeFrameSize)},
		// RFC 9113, Section 6.5.2.
		{name: "enable push 2", in: raw(TypeSettings, 0, 0, setting(SettingEnablePush, 2)), err: connErr(ErrCodeProtocol)},
		{name: "initial window 2^31", in: raw(TypeSettings, 0, 0, setting(SettingInitialWindowSize, 1<<31)), err: connErr(ErrCodeFlowControl)},
		{name: "max frame size 16383", in: raw(TypeSettings, 0, 0, setting(SettingMaxFrameSize, 16383)), err: connErr(ErrCodeProtocol)},
		{name: "max frame size 2^24", in: raw(TypeSettings, 0, 0, setting(SettingMaxFrameSize, 1<<24)), err: connErr(ErrCodeProtocol)},
		{name: "max frame size 0", in: raw(TypeSettings, 0, 0, setting(SettingMaxFrameSize, 0)), err: connErr(ErrCodeProtocol)},
		{name: "invalid after valid", in: raw(TypeSettings, 0, 0, setting(SettingEnablePush, 0), setting(SettingEnablePush, 7)), err: connErr(ErrCodeProtocol)},
		// RFC 8441, Section 3 and RFC 9218, Section 2.1.
		{name: "enable connect protocol 2", in: raw(TypeSettings, 0, 0, setting(SettingEnableConnectProtocol, 2)), err: connErr(ErrCodeProtocol)},
		{name: "no rfc7540 priorities 2", in: raw(TypeSettings, 0, 0, setting(SettingNoRFC7540Priorities, 2)), err: connErr(ErrCodeProtocol)},
	})
}

func TestSettingValid(t *testing.T) {
	for _, c := range []struct {
		s    Setting
		want ErrCode // 0xff: valid
	}{
		{Setting{SettingHeaderTableSize, 0}, 0xff},
		{Setting{SettingHeaderTableSize, 1<<32 - 1}, 0xff},
		{Setting{SettingEnablePush, 0}, 0xff},
		{Setting{SettingEnablePush, 1}, 0xff},
		{Setting{SettingEnablePush, 2}, ErrCodeProtocol},
		{Setting{SettingEnablePush, 1<<32 - 1}, ErrCodeProtocol},
		{Setting{SettingMaxConcurrentStreams, 0}, 0xff},
		{Setting{SettingMaxConcurrentStreams, 1<<32 - 1}, 0xff},
		{Setting{SettingInitialWindowSize, 0}, 0xff},
		{Setting{SettingInitialWindowSize, 1<<31 - 1}, 0xff},
		{Setting{SettingInitialWindowSize, 1 << 31}, ErrCodeFlowControl},
		{Setting{SettingInitialWindowSize, 1<<32 - 1}, ErrCodeFlowControl},
		{Setting{SettingMaxFrameSize, 1<<14 - 1}, ErrCodeProtocol},
		{Setting{SettingMaxFrameSize, 1 << 14}, 0xff},
		{Setting{SettingMaxFrameSize, 1<<24 - 1}, 0xff},
		{Setting{SettingMaxFrameSize, 1 << 24}, ErrCodeProtocol},
		{Setting{SettingMaxHeaderListSize, 1<<32 - 1}, 0xff},
		{Setting{SettingEnableConnectProtocol, 0}, 0xff},
		{Setting{SettingEnableConnectProtocol, 1}, 0xff},
		{Setting{SettingEnableConnectProtocol, 2}, ErrCodeProtocol},
		{Setting{SettingNoRFC7540Priorities, 0}, 0xff},
		{Setting{SettingNoRFC7540Priorities, 1}, 0xff},
		{Setting{SettingNoRFC7540Priorities, 2}, ErrCodeProtocol},
		{Setting{SettingTLSRenegPermitted, 1<<32 - 1}, 0xff},
		{Setting{0x7, 1<<32 - 1}, 0xff},
		{Setting{0xffff, 1<<32 - 1}, 0xff},
	} {
		err := c.s.Valid()
		if c.want == 0xff {
			if err != nil {
				t.Errorf("%v.Valid() = %v, want nil", c.s, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != c.want || e.Stream {
			t.Errorf("%v.Valid() = %#v, want connection error %v", c.s, err, c.want)
		}
	}
}

func TestSettingIDString(t *testing.T) {
	for id, want := range map[SettingID]string{
		0x1: "SETTINGS_HEADER_TABLE_SIZE", 0x2: "SETTINGS_ENABLE_PUSH",
		0x3: "SETTINGS_MAX_CONCURRENT_STREAMS", 0x4: "SETTINGS_INITIAL_WINDOW_SIZE",
		0x5: "SETTINGS_MAX_FRAME_SIZE", 0x6: "SETTINGS_MAX_HEADER_LIST_SIZE",
		0x8: "SETTINGS_ENABLE_CONNECT_PROTOCOL", 0x9: "SETTINGS_NO_RFC7540_PRIORITIES",
		0x10: "TLS_RENEG_PERMITTED", 0x0: "UNKNOWN", 0x7: "UNKNOWN",
		0xa: "UNKNOWN", 0x11: "UNKNOWN", 0xffff: "UNKNOWN",
	} {
		if got := id.String(); got != want {
			t.Errorf("SettingID(%#x).String() = %q, want %q", uint16(id), got, want)
		}
	}
	if got := (Setting{SettingMaxConcurrentStreams, 100}).String(); got != "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100" {
		t.Errorf("Setting.String() = %q", got)
	}
	if got := (Setting{0x1234, 7}).String(); got != "UNKNOWN(0x1234):7" {
		t.Errorf("Setting.String() = %q", got)
	}
}

func TestSettingsValue(t *testing.T) {
	f := &Settings{Settings: []Setting{{SettingEnablePush, 1}, {SettingMaxFrameSize, 20000}, {SettingEnablePush, 0}}}
	if v, ok := f.Value(SettingEnablePush); !ok || v != 0 {
		t.Errorf("Value(ENABLE_PUSH) = %d, %v; want the last value 0, true", v, ok)
	}
	if v, ok := f.Value(SettingMaxFrameSize); !ok || v != 20000 {
		t.Errorf("Value(MAX_FRAME_SIZE) = %d, %v", v, ok)
	}
	if _, ok := f.Value(SettingHeaderTableSize); ok {
		t.Errorf("Value(HEADER_TABLE_SIZE) present in a frame without it")
	}
}

// The Parser reuses its []Setting: a second SETTINGS frame overwrites the
// first one's settings (documented: valid until the next Parse).
func TestSettingsReuse(t *testing.T) {
	var p Parser
	f, _, err := p.Parse(raw(TypeSettings, 0, 0, setting(1, 1), setting(2, 0), setting(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	first := f.(*Settings).Settings
	f, _, err = p.Parse(raw(TypeSettings, 0, 0, setting(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	second := f.(*Settings).Settings
	if len(second) != 1 || second[0] != (Setting{4, 4}) {
		t.Fatalf("second = %v", second)
	}
	if &first[0] != &second[0] {
		t.Errorf("the []Setting was not reused")
	}
	// An ACK after settings must report none.
	f, _, err = p.Parse(raw(TypeSettings, FlagAck, 0))
	if err != nil || len(f.(*Settings).Settings) != 0 || !f.(*Settings).Ack {
		t.Fatalf("ACK = %+v, %v", f, err)
	}
}
