package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// TestSettingsTLSRenegPermitted: the MS-HTTP2E TLS_RENEG_PERMITTED bit
// field: 0x1 client-initiated, 0x2 server-initiated, other bits ignored;
// allowed only when both set the bit; in force on sending and on receipt,
// without waiting for the ACK.
func TestSettingsTLSRenegPermitted(t *testing.T) {
	// The seed example: both sides send 0x02.
	tr := &traceRec{}
	p := newRawPeer(t, Config{Role: Server, Settings: Settings{TLSRenegPermitted: 0xfe}, Tracer: tr})
	st := tr.sent[0].f.(*frame.Settings)
	if v, ok := st.Value(frame.SettingTLSRenegPermitted); !ok || v != 0x2 {
		t.Fatalf("sent TLS_RENEG_PERMITTED %v, %v; want 0x2 (other bits cleared)", v, ok)
	}
	p.writeRaw([]byte(frame.ClientPreface))
	if p.c.RenegotiationPermitted(RenegServerInitiated) {
		t.Fatal("permitted before the peer said so")
	}
	p.write(&frame.Settings{Settings: settingList(sTLSReneg, 0x2)}) // no ACK of ours yet
	if !p.c.RenegotiationPermitted(RenegServerInitiated) || p.c.RenegotiationPermitted(RenegClientInitiated) {
		t.Fatal("want server-initiated only")
	}
	// Extra bits from the peer are ignored.
	p.write(&frame.Settings{Settings: settingList(sTLSReneg, 0xfffffff5)})
	if got := p.c.PeerSettings().TLSRenegPermitted; got != 0x1 {
		t.Fatalf("peer value %#x, want 0x1", got)
	}
	if p.c.RenegotiationPermitted(RenegServerInitiated) || p.c.RenegotiationPermitted(RenegClientInitiated) {
		t.Fatal("peer 0x1 and local 0x2 share no bit")
	}
	// Changing ours: the new value is sent, even 0, and counts at once.
	p.c.UpdateSettings(Settings{TLSRenegPermitted: 0x3})
	if !p.c.RenegotiationPermitted(RenegClientInitiated) {
		t.Fatal("local 0x3, peer 0x1: client-initiated allowed")
	}
	p.c.UpdateSettings(Settings{})
	var last *frame.Settings
	for _, f := range p.frames() {
		if s, ok := f.(*frame.Settings); ok && !s.Ack {
			last = s
		}
	}
	if v, ok := last.Value(frame.SettingTLSRenegPermitted); !ok || v != 0 {
		t.Fatalf("update %v: want TLS_RENEG_PERMITTED 0", last.Settings)
	}
	if p.c.RenegotiationPermitted(RenegClientInitiated) {
		t.Fatal("withdrawn")
	}
}
