//go:build unix

package h2server

import (
	"bytes"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// The published HTTP/2 attacks, each run against a real server over
// loopback by a raw client (attack_helpers_test.go). Each test checks that
// the server ends the connection as it should (usually GOAWAY
// ENHANCE_YOUR_CALM) within a number of frames derived from the limit it
// was configured with, that memory and CPU stay bounded, and that a fresh
// connection still gets 200 afterwards. The bounds are generous (the race
// detector slows everything) but an unbounded server fails them: without
// its limit it would take every frame the attacker sends (tens of
// thousands), and its memory would grow with them.

// TestAttack_CVE_2023_44487_RapidReset: the client opens streams and resets
// each at once, so the server starts work that never counts against
// SETTINGS_MAX_CONCURRENT_STREAMS.
func TestAttack_CVE_2023_44487_RapidReset(t *testing.T) {
	const mcs = 50
	lim := h2kit.Rate{Burst: 200, PerSecond: 100}
	as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs, Limits: h2kit.Limits{RemoteResets: lim}})
	a := dialAttacker(t, as, true)
	var sent int
	u := measure(func() {
		sent = a.sendUntil(200000, 3*time.Second, func() int {
			for range 20 {
				id := a.request("GET", "/work?ms=200", true)
				a.frame(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
			}
			return 40
		})
		a.waitClosed(5 * time.Second)
	})
	ct := a.ct
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	opened := ct.recvAtGoAway[frame.TypeHeaders]
	t.Logf("%d frames sent; %d streams opened and reset before GOAWAY ENHANCE_YOUR_CALM after %v; handlers: %d started, at most %d at once; %v",
		sent, opened, a.elapsed(ct).Round(time.Millisecond), as.started.Load(), as.maxRunning.Load(), u)
	if max := rateBound(lim, a.elapsed(ct), 20); opened > max {
		t.Errorf("%d streams reset before GOAWAY, want at most %d (burst %d + %d/s)", opened, max, lim.Burst, lim.PerSecond)
	}
	if n := as.maxRunning.Load(); n > mcs {
		t.Errorf("%d handlers ran at once, want at most SETTINGS_MAX_CONCURRENT_STREAMS = %d", n, mcs)
	}
	if frame.ErrCode(a.goAwayErr.Load()) != frame.ErrCodeEnhanceYourCalm {
		t.Errorf("the client read GOAWAY %v", frame.ErrCode(a.goAwayErr.Load()))
	}
	u.within(t, 16<<20, 3*time.Second)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}

// TestHandlersWaitForResetStreams: handlers of streams the client reset
// still count until they return; requests beyond
// SETTINGS_MAX_CONCURRENT_STREAMS wait for them, then are served.
func TestHandlersWaitForResetStreams(t *testing.T) {
	as := startAttackServer(t, &Server{MaxConcurrentStreams: 2})
	c := newRawClient(t, dial(t, as.addr), h2kit.Config{})
	for range 2 {
		id, _ := c.eng.SendRequest(reqFields("GET", as.addr, "/work?ms=300"), true)
		c.flush()
		c.eng.ResetStream(id, frame.ErrCodeCancel)
	}
	start := time.Now()
	var ids []uint32
	for range 2 {
		id, err := c.eng.SendRequest(reqFields("GET", as.addr, "/"), true)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for done := 0; done < len(ids); {
		switch ev := c.next(); ev.kind {
		case "response":
			if field(ev.fields, ":status") != "200" {
				t.Fatal(ev.fields)
			}
		case "data":
			if ev.end {
				done++
			}
		default:
			t.Fatalf("%+v", ev)
		}
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("served after %v: the new requests did not wait for the running handlers", el)
	}
	if n := as.maxRunning.Load(); n > 2 {
		t.Errorf("%d handlers at once, want at most 2", n)
	}
}

// TestAttack_CVE_2025_8671_MadeYouReset: the client makes the server reset
// streams (stream errors) whose handlers already run, so the streams leave
// the concurrency count while the work goes on.
func TestAttack_CVE_2025_8671_MadeYouReset(t *testing.T) {
	const mcs = 50
	lim := h2kit.Rate{Burst: 100, PerSecond: 50}
	for _, c := range []struct {
		name string
		code frame.ErrCode // of the server's RST_STREAM
		step func(a *attacker)
	}{
		{"window-update-0", frame.ErrCodeProtocol, func(a *attacker) {
			id := a.request("POST", "/work?ms=200", false)
			a.frame(&frame.WindowUpdate{StreamID: id, Increment: 0})
		}},
		{"window-overflow", frame.ErrCodeFlowControl, func(a *attacker) {
			id := a.request("POST", "/work?ms=200", false)
			a.frame(&frame.WindowUpdate{StreamID: id, Increment: frame.MaxWindowSize})
		}},
		{"data-over-window", frame.ErrCodeFlowControl, func(a *attacker) {
			id := a.request("POST", "/work?ms=200", false)
			a.frame(&frame.Data{StreamID: id, Data: make([]byte, 2000)}) // window: 1000
		}},
		{"content-length-mismatch", frame.ErrCodeProtocol, func(a *attacker) {
			id := a.request("POST", "/work?ms=200", false, "content-length", "1")
			a.frame(&frame.Data{StreamID: id, Data: []byte("xx"), EndStream: true})
		}},
		{"trailers-without-end-stream", frame.ErrCodeProtocol, func(a *attacker) {
			id := a.request("POST", "/work?ms=200", false)
			a.frame(&frame.Headers{StreamID: id, EndHeaders: true, BlockFragment: a.block("GET", "/")})
		}},
		{"malformed-request", frame.ErrCodeProtocol, func(a *attacker) {
			a.request("GET", "/work?ms=200", true, "Upper-Case", "x")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs, InitialWindowSize: 1000,
				Limits: h2kit.Limits{LocalResets: lim}})
			a := dialAttacker(t, as, true)
			var sent int
			u := measure(func() {
				// Paced, so that the streams are reset for the error
				// provoked, not refused for exceeding
				// SETTINGS_MAX_CONCURRENT_STREAMS in one read.
				sent = a.sendUntil(100000, 3*time.Second, func() int {
					for range 10 {
						c.step(a)
					}
					time.Sleep(time.Millisecond)
					return 10
				})
				a.waitClosed(5 * time.Second)
			})
			ct := a.ct
			ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
			resets := ct.sentAtGoAway[frame.TypeRSTStream]
			t.Logf("%d streams sent; the server reset %d (%d with %v) before GOAWAY ENHANCE_YOUR_CALM after %v; handlers: %d started, at most %d at once; %v",
				sent, resets, ct.rstSent[c.code].Load(), c.code, a.elapsed(ct).Round(time.Millisecond), as.started.Load(), as.maxRunning.Load(), u)
			if max := rateBound(lim, a.elapsed(ct), 10); resets > max {
				t.Errorf("%d streams reset before GOAWAY, want at most %d (burst %d + %d/s)", resets, max, lim.Burst, lim.PerSecond)
			}
			if ct.rstSent[c.code].Load() == 0 {
				t.Errorf("no RST_STREAM %v", c.code)
			}
			if n := as.maxRunning.Load(); n > mcs {
				t.Errorf("%d handlers ran at once, want at most SETTINGS_MAX_CONCURRENT_STREAMS = %d", n, mcs)
			}
			u.within(t, 16<<20, 3*time.Second)
			as.waitHandlers(t, 5*time.Second)
			as.wantHealthy(t)
		})
	}
}

// TestAttack_CVE_2025_8671_UnparsablePath: a request whose :path is no
// request target is answered 400 without a handler, not reset: a reset
// here would escape Limits.LocalResets. The requests are then ordinary
// work, which the client must read like any other.
func TestAttack_CVE_2025_8671_UnparsablePath(t *testing.T) {
	as := startAttackServer(t, nil)
	a := dialAttacker(t, as, true)
	const n = 1000
	u := measure(func() {
		for i := 0; i < n; i += 10 {
			for range 10 {
				a.request("GET", "/%zz", true)
			}
			a.request("POST", "/%zz", false) // a body follows: reset NO_ERROR after the 400
			if err := a.flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		end := time.Now().Add(5 * time.Second)
		for a.ct.sent[frame.TypeHeaders].Load() < n+n/10 && time.Now().Before(end) {
			time.Sleep(5 * time.Millisecond)
		}
	})
	ct := a.ct
	t.Logf("%d requests with an unparsable :path: %d responses, RST_STREAM %d (NO_ERROR %d); handlers started: %d; %v",
		n+n/10, ct.sent[frame.TypeHeaders].Load(), ct.sent[frame.TypeRSTStream].Load(), ct.rstSent[frame.ErrCodeNo].Load(), as.started.Load(), u)
	if got := ct.sent[frame.TypeHeaders].Load(); got != n+n/10 {
		t.Errorf("%d responses, want %d", got, n+n/10)
	}
	if got := ct.sent[frame.TypeRSTStream].Load(); got != ct.rstSent[frame.ErrCodeNo].Load() || got != n/10 {
		t.Errorf("%d RST_STREAM (%d NO_ERROR), want %d NO_ERROR", got, ct.rstSent[frame.ErrCodeNo].Load(), n/10)
	}
	if as.started.Load() != 0 {
		t.Errorf("%d handlers started", as.started.Load())
	}
	ct.noGoAway(t)
	as.wantHealthy(t)
}

// TestAttack_CVE_2024_27316_ContinuationFlood (and CVE-2023-45288): a
// header block that never ends, CONTINUATION after CONTINUATION.
func TestAttack_CVE_2024_27316_ContinuationFlood(t *testing.T) {
	for _, c := range []struct {
		name     string
		limits   h2kit.Limits
		frag     int // bytes per CONTINUATION
		maxFrags int // CONTINUATION frames the server may take
	}{
		{"tiny-fragments", h2kit.Limits{MaxContinuationFrames: 16}, 1, 16},
		{"empty-fragments", h2kit.Limits{MaxContinuationFrames: 16}, 0, 16},
		{"large-fragments", h2kit.Limits{MaxHeaderBlockSize: 64 << 10}, 16 << 10, 4},
		{"defaults", h2kit.Limits{}, 100, 64},
	} {
		t.Run(c.name, func(t *testing.T) {
			as := startAttackServer(t, &Server{Limits: c.limits})
			a := dialAttacker(t, as, true)
			frag := bytes.Repeat([]byte{'a'}, c.frag)
			var sent int
			u := measure(func() {
				// A literal header whose value never ends: the block
				// cannot be decoded before END_HEADERS.
				a.frame(&frame.Headers{StreamID: 1, BlockFragment: []byte{0x40, 0x01, 'x', 0x7f, 0xff, 0xff, 0x7f}})
				sent = a.sendUntil(1<<20, 3*time.Second, func() int {
					for range 50 {
						a.frame(&frame.Continuation{StreamID: 1, BlockFragment: frag})
					}
					return 50
				})
				a.waitClosed(5 * time.Second)
			})
			ct := a.ct
			ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
			took := ct.recvAtGoAway[frame.TypeContinuation]
			t.Logf("%d CONTINUATION frames sent, the server took %d before GOAWAY ENHANCE_YOUR_CALM (%q) after %v; %v",
				sent, took, ct.goAwayDebug, a.elapsed(ct).Round(time.Millisecond), u)
			if took > int64(c.maxFrags) {
				t.Errorf("the server took %d CONTINUATION frames, want at most %d", took, c.maxFrags)
			}
			if as.started.Load() != 0 {
				t.Errorf("%d handlers started", as.started.Load())
			}
			u.within(t, 8<<20, 2*time.Second)
			as.wantHealthy(t)
		})
	}
}

// TestAttack_CVE_2016_6581_HPACKBomb (first reported against another
// implementation): one large header field enters the dynamic table, then
// each request refers to it thousands of times, one octet each: 16 KiB on
// the wire decode to 64 MiB of header list.
func TestAttack_CVE_2016_6581_HPACKBomb(t *testing.T) {
	lim := h2kit.Rate{Burst: 100, PerSecond: 50}
	as := startAttackServer(t, &Server{Limits: h2kit.Limits{LocalResets: lim}})
	a := dialAttacker(t, as, true)
	// The requests use only the static table (:method GET, :scheme http,
	// :path /, :authority "x" without indexing), so that the one entry
	// of the dynamic table is the bomb, index 62.
	head := []byte{0x82, 0x86, 0x84, 0x01, 0x01, 'x'}
	// Literal with incremental indexing, new name (RFC 7541, Section
	// 6.2.1): "x-bomb" with a 4000-octet value, 4038 octets in the table.
	seed := append(append([]byte{}, head...), 0x40, 6)
	seed = append(seed, "x-bomb"...)
	seed = appendHPACKInt(seed, 0x00, 7, 4000)
	seed = append(seed, bytes.Repeat([]byte{'v'}, 4000)...)
	a.frame(&frame.Headers{StreamID: a.nextID, EndHeaders: true, EndStream: true, BlockFragment: seed})
	a.nextID += 2
	bomb := append(append([]byte{}, head...), bytes.Repeat([]byte{0x80 | 62}, 16000)...)
	var sent int
	u := measure(func() {
		sent = a.sendUntil(100000, 3*time.Second, func() int {
			for range 4 {
				id := a.nextID
				a.nextID += 2
				a.frame(&frame.Headers{StreamID: id, EndHeaders: true, EndStream: true, BlockFragment: bomb})
			}
			return 4
		})
		a.waitClosed(5 * time.Second)
	})
	ct := a.ct
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	// Each bomb is refused with 431 (HEADERS) or, for one whose body
	// was not ended, a RST_STREAM; the seed's 200 is one HEADERS more.
	refused := ct.sentAtGoAway[frame.TypeRSTStream] + ct.sentAtGoAway[frame.TypeHeaders] - 1
	t.Logf("%d bombs sent (%.0f MiB of header list each); %d refused (431 or RST_STREAM) before GOAWAY ENHANCE_YOUR_CALM after %v; handlers started: %d; %v",
		sent, 16000*4038.0/(1<<20), refused, a.elapsed(ct).Round(time.Millisecond), as.started.Load(), u)
	if max := rateBound(lim, a.elapsed(ct), 4); refused > max {
		t.Errorf("%d bombs refused before GOAWAY, want at most %d", refused, max)
	}
	if as.started.Load() > 1 {
		t.Errorf("%d handlers started: only the seed request should be served", as.started.Load())
	}
	u.within(t, 8<<20, 3*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9516_ZeroLengthHeaders: requests made of thousands
// of header fields with an empty name and value (3 octets each on the
// wire), which an implementation may keep for the life of the connection.
// An empty name is malformed (RFC 9113, Section 8.2.1): each is a stream
// error, counted against Limits.LocalResets.
func TestAttack_CVE_2019_9516_ZeroLengthHeaders(t *testing.T) {
	lim := h2kit.Rate{Burst: 100, PerSecond: 50}
	as := startAttackServer(t, &Server{Limits: h2kit.Limits{LocalResets: lim}})
	a := dialAttacker(t, as, true)
	// :method GET, :scheme http, :path /, :authority "x" (static table
	// only), then literals without indexing, new name: "" = "".
	block := append([]byte{0x82, 0x86, 0x84, 0x01, 0x01, 'x'}, bytes.Repeat([]byte{0x00, 0x00, 0x00}, 5000)...)
	var sent int
	u := measure(func() {
		sent = a.sendUntil(100000, 3*time.Second, func() int {
			for range 4 {
				id := a.nextID
				a.nextID += 2
				a.frame(&frame.Headers{StreamID: id, EndHeaders: true, EndStream: true, BlockFragment: block})
			}
			time.Sleep(time.Millisecond)
			return 4
		})
		a.waitClosed(5 * time.Second)
	})
	ct := a.ct
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	refused := ct.sentAtGoAway[frame.TypeRSTStream]
	t.Logf("%d requests of 5000 empty fields sent; %d reset before GOAWAY ENHANCE_YOUR_CALM after %v; handlers started: %d; %v",
		sent, refused, a.elapsed(ct).Round(time.Millisecond), as.started.Load(), u)
	if max := rateBound(lim, a.elapsed(ct), 4); refused > max {
		t.Errorf("%d requests reset before GOAWAY, want at most %d", refused, max)
	}
	if as.started.Load() != 0 {
		t.Errorf("%d handlers started", as.started.Load())
	}
	u.within(t, 8<<20, 3*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9512_PingFlood: PINGs, never reading the ACKs.
func TestAttack_CVE_2019_9512_PingFlood(t *testing.T) {
	for _, c := range []struct {
		name   string
		limits h2kit.Limits
		bound  func(a *attacker) int64 // most PINGs the server may take
	}{
		// The PING rate limit.
		{"rate", h2kit.Limits{Pings: h2kit.Rate{Burst: 200, PerSecond: 50}}, func(a *attacker) int64 {
			return rateBound(h2kit.Rate{Burst: 200, PerSecond: 50}, a.elapsed(a.ct), 1)
		}},
		// Without it, the queue of unsent control frames: at most
		// MaxQueuedControlFrames ACKs wait, plus what one write batch
		// (256 KiB) and the socket buffers hold, 17 octets each.
		{"queue", h2kit.Limits{Pings: h2kit.Rate{Burst: 1 << 30, PerSecond: 1 << 30}, MaxQueuedControlFrames: 1000}, func(*attacker) int64 {
			return 1000 + (256<<10+64<<10)/17
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			as := startAttackServer(t, &Server{Limits: c.limits})
			a := dialAttacker(t, as, false)
			var sent int
			var closed bool
			u := measure(func() {
				sent = a.sendUntil(1<<20, 3*time.Second, func() int {
					for i := range 100 {
						a.frame(&frame.Ping{Data: [8]byte{byte(i)}})
					}
					return 100
				})
				closed = a.drainUntilClosed(5 * time.Second)
			})
			ct := a.ct
			ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
			took := ct.recvAtGoAway[frame.TypePing]
			t.Logf("%d PINGs sent; the server took %d before GOAWAY ENHANCE_YOUR_CALM (%q) after %v; %v",
				sent, took, ct.goAwayDebug, a.elapsed(ct).Round(time.Millisecond), u)
			if max := c.bound(a); took > max {
				t.Errorf("the server took %d PINGs, want at most %d", took, max)
			}
			if !closed {
				t.Error("the server did not close the connection")
			}
			u.within(t, 16<<20, 3*time.Second)
			as.wantHealthy(t)
		})
	}
}

// TestAttack_CVE_2019_9514_ResetFlood: invalid requests, each answered by
// RST_STREAM, never reading them.
func TestAttack_CVE_2019_9514_ResetFlood(t *testing.T) {
	lim := h2kit.Rate{Burst: 200, PerSecond: 100}
	as := startAttackServer(t, &Server{Limits: h2kit.Limits{LocalResets: lim}})
	a := dialAttacker(t, as, false)
	// No :path: a malformed request, a stream error (RFC 9113, Section 8.3.1).
	var sent int
	var closed bool
	u := measure(func() {
		sent = a.sendUntil(1<<20, 3*time.Second, func() int {
			for range 50 {
				id := a.nextID
				a.nextID += 2
				a.frame(&frame.Headers{StreamID: id, EndHeaders: true, EndStream: true,
					BlockFragment: a.enc.Encode(nil, reqFields("GET", "x", "/")[:3])})
			}
			return 50
		})
		closed = a.drainUntilClosed(5 * time.Second)
	})
	ct := a.ct
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	resets := ct.sentAtGoAway[frame.TypeRSTStream]
	t.Logf("%d invalid requests sent; %d RST_STREAM before GOAWAY ENHANCE_YOUR_CALM after %v; %v",
		sent, resets, a.elapsed(ct).Round(time.Millisecond), u)
	if max := rateBound(lim, a.elapsed(ct), 1); resets > max {
		t.Errorf("%d RST_STREAM before GOAWAY, want at most %d", resets, max)
	}
	if !closed {
		t.Error("the server did not close the connection")
	}
	u.within(t, 16<<20, 3*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9515_SettingsFlood: SETTINGS frames, never reading
// the ACKs, with the default limits.
func TestAttack_CVE_2019_9515_SettingsFlood(t *testing.T) {
	lim := h2kit.Rate{Burst: 100, PerSecond: 20} // Limits.Settings' default
	as := startAttackServer(t, nil)
	a := dialAttacker(t, as, false)
	var sent int
	var closed bool
	u := measure(func() {
		sent = a.sendUntil(1<<20, 3*time.Second, func() int {
			for range 100 {
				a.frame(&frame.Settings{Settings: []frame.Setting{{ID: frame.SettingInitialWindowSize, Val: 65535}}})
			}
			return 100
		})
		closed = a.drainUntilClosed(5 * time.Second)
	})
	ct := a.ct
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	took := ct.recvAtGoAway[frame.TypeSettings] - 1 // less the preface's
	t.Logf("%d SETTINGS sent; the server took %d before GOAWAY ENHANCE_YOUR_CALM after %v; %v",
		sent, took, a.elapsed(ct).Round(time.Millisecond), u)
	if max := rateBound(lim, a.elapsed(ct), 1); took > max {
		t.Errorf("the server took %d SETTINGS, want at most %d", took, max)
	}
	if !closed {
		t.Error("the server did not close the connection")
	}
	u.within(t, 16<<20, 3*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9518_EmptyFrames: frames that cost work and carry
// nothing.
func TestAttack_CVE_2019_9518_EmptyFrames(t *testing.T) {
	lim := h2kit.Rate{Burst: 300, PerSecond: 100}
	for _, c := range []struct {
		name string
		typ  frame.Type
		open bool // open stream 1 first (a POST to /discard)
		f    func(a *attacker, i int) frame.Frame
	}{
		{"empty-data", frame.TypeData, true, func(*attacker, int) frame.Frame { return &frame.Data{StreamID: 1} }},
		{"padding-only-data", frame.TypeData, true, func(*attacker, int) frame.Frame {
			return &frame.Data{StreamID: 1, Padded: true, PadLength: 10}
		}},
		{"unknown-type", 0xfa, false, func(*attacker, int) frame.Frame {
			return &frame.Unknown{Hdr: frame.Header{Type: 0xfa}}
		}},
		{"priority", frame.TypePriority, false, func(_ *attacker, i int) frame.Frame {
			return &frame.Priority{StreamID: uint32(2*i + 1), PriorityParam: frame.PriorityParam{StreamDep: 0, Weight: 15}}
		}},
		{"priority-update", frame.TypePriorityUpdate, true, func(*attacker, int) frame.Frame {
			return &frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=3")}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			as := startAttackServer(t, &Server{Limits: h2kit.Limits{EmptyFrames: lim}})
			a := dialAttacker(t, as, true)
			if c.open {
				a.request("POST", "/discard", false)
			}
			i := 0
			var sent int
			u := measure(func() {
				sent = a.sendUntil(1<<20, 3*time.Second, func() int {
					for range 100 {
						a.frame(c.f(a, i))
						i++
					}
					return 100
				})
				a.waitClosed(5 * time.Second)
			})
			ct := a.ct
			ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
			took := ct.recvAtGoAway[c.typ]
			t.Logf("%d frames sent; the server took %d before GOAWAY ENHANCE_YOUR_CALM (%q) after %v; %v",
				sent, took, ct.goAwayDebug, a.elapsed(ct).Round(time.Millisecond), u)
			if max := rateBound(lim, a.elapsed(ct), 1); took > max {
				t.Errorf("the server took %d frames, want at most %d", took, max)
			}
			u.within(t, 8<<20, 2*time.Second)
			as.waitHandlers(t, 5*time.Second)
			as.wantHealthy(t)
		})
	}
}

// TestAttack_CVE_2019_9517_InternalDataBuffering: requests for responses
// without a body, as fast as possible, never reading: every response is
// a HEADERS frame that closes its stream at once, so
// SETTINGS_MAX_CONCURRENT_STREAMS does not hold them back.
func TestAttack_CVE_2019_9517_InternalDataBuffering(t *testing.T) {
	const maxQueued = 1000
	as := startAttackServer(t, &Server{Limits: h2kit.Limits{MaxQueuedControlFrames: maxQueued}})
	a := dialAttacker(t, as, false)
	var sent int
	var closed bool
	u := measure(func() {
		// Paced below SETTINGS_MAX_CONCURRENT_STREAMS: each batch is
		// answered before the next arrives, so no stream is refused.
		sent = a.sendUntil(1<<20, 3*time.Second, func() int {
			for range 20 {
				a.request("HEAD", "/empty", true)
			}
			time.Sleep(time.Millisecond)
			return 20
		})
		closed = a.drainUntilClosed(5 * time.Second)
	})
	ct := a.ct
	t.Logf("%d requests sent, %d taken; %v", sent, ct.recv[frame.TypeHeaders].Load(), u)
	ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
	took := ct.recvAtGoAway[frame.TypeHeaders]
	t.Logf("the server took %d requests before GOAWAY ENHANCE_YOUR_CALM (%q) after %v",
		took, ct.goAwayDebug, a.elapsed(ct).Round(time.Millisecond))
	if max := int64(maxQueued + (256<<10+64<<10)/9); took > max {
		// At most MaxQueuedControlFrames responses wait, plus what one
		// write batch and the socket buffers hold (HEADERS of 9 octets
		// at least).
		t.Errorf("the server took %d requests, want at most %d", took, max)
	}
	if !closed {
		t.Error("the server did not close the connection")
	}
	u.within(t, 16<<20, 3*time.Second)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9517_ZeroWindow: SETTINGS_INITIAL_WINDOW_SIZE = 0 and
// many requests for large responses: the server may buffer a bounded
// amount per stream, and WriteTimeout ends the streams.
func TestAttack_CVE_2019_9517_ZeroWindow(t *testing.T) {
	const mcs = 50
	as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs, WriteTimeout: time.Second})
	a := dialAttacker(t, as, true, frame.Setting{ID: frame.SettingInitialWindowSize, Val: 0})
	u := measure(func() {
		for range mcs {
			a.request("GET", "/big?kb=4096", true)
		}
		a.flush()
		end := time.Now().Add(5 * time.Second)
		for a.rst[frame.ErrCodeCancel].Load() < mcs && time.Now().Before(end) {
			time.Sleep(10 * time.Millisecond)
		}
	})
	cancelled := a.rst[frame.ErrCodeCancel].Load()
	t.Logf("%d streams of 4 MiB with a zero window: %d reset (CANCEL) by WriteTimeout; %.1f KiB of heap per stream at the peak; %v",
		mcs, cancelled, float64(u.heapPeak)/1024/mcs, u)
	if cancelled != mcs {
		t.Errorf("%d streams reset by the write timeout, want %d", cancelled, mcs)
	}
	// Per stream: the handler's 8 KiB buffer, 8 KiB queued beyond what
	// the engine would take (nothing, the window being shut), the
	// request's state and the handler's goroutine. It was 120 KiB when
	// a handler could queue 64 KiB whatever the window.
	u.within(t, mcs*96<<10, 3*time.Second)
	a.ct.noGoAway(t)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9511_DataDribble: the client opens each stream's
// window one octet at a time, so the response trickles in 1-octet DATA
// frames; memory stays bounded and WriteTimeout ends the streams.
func TestAttack_CVE_2019_9511_DataDribble(t *testing.T) {
	const streams = 20
	as := startAttackServer(t, &Server{MaxConcurrentStreams: streams, WriteTimeout: time.Second})
	a := dialAttacker(t, as, true, frame.Setting{ID: frame.SettingInitialWindowSize, Val: 0})
	var sent int
	u := measure(func() {
		ids := make([]uint32, streams)
		for i := range ids {
			ids[i] = a.request("GET", "/big?kb=1024", true)
		}
		end := time.Now().Add(3 * time.Second)
		for a.rst[frame.ErrCodeCancel].Load() < streams && time.Now().Before(end) && !a.over() {
			for _, id := range ids {
				a.frame(&frame.WindowUpdate{StreamID: id, Increment: 1})
			}
			if err := a.flush(); err != nil {
				break
			}
			sent += len(ids)
			time.Sleep(time.Millisecond)
		}
	})
	data := a.recv[frame.TypeData].Load()
	cancelled := a.rst[frame.ErrCodeCancel].Load()
	t.Logf("%d one-octet WINDOW_UPDATEs; %d DATA frames back; %d streams reset (CANCEL) by WriteTimeout; %v",
		sent, data, cancelled, u)
	if cancelled != streams {
		t.Errorf("%d streams reset by the write timeout, want %d", cancelled, streams)
	}
	// 20 responses of 1 MiB: an unbounded server would hold 20 MiB.
	u.within(t, 8<<20, 3*time.Second)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}

// TestAttack_CVE_2019_9517_SlowRead: windows wide open, but the client
// reads the socket slowly: WriteTimeout bounds each write, and the
// connection ends.
func TestAttack_CVE_2019_9517_SlowRead(t *testing.T) {
	const streams = 20
	as := startAttackServer(t, &Server{MaxConcurrentStreams: streams, WriteTimeout: 500 * time.Millisecond})
	a := dialAttacker(t, as, false, frame.Setting{ID: frame.SettingInitialWindowSize, Val: frame.MaxWindowSize})
	a.frame(&frame.WindowUpdate{Increment: frame.MaxWindowSize - 65535})
	var read int
	var closed bool
	u := measure(func() {
		for range streams {
			a.request("GET", "/big?kb=4096", true)
		}
		a.flush()
		buf := make([]byte, 1024)
		end := time.Now().Add(5 * time.Second)
		for time.Now().Before(end) {
			a.nc.SetReadDeadline(time.Now().Add(time.Second))
			n, err := a.nc.Read(buf)
			read += n
			if err != nil {
				closed = true
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Logf("%d streams of 4 MiB read at 100 KiB/s: the server ended the connection after %d octets; %v", streams, read, u)
	if !closed {
		t.Error("the server did not end the connection")
	}
	// Per stream: the engine's send buffer (64 KiB), what the handler
	// queued and its buffer; the write batch of the connection. An
	// unbounded server would hold the 80 MiB of responses.
	u.within(t, 16<<20, 3*time.Second)
	as.waitHandlers(t, 5*time.Second)
	as.wantHealthy(t)
}

// TestAttack_StreamExhaustion: streams beyond SETTINGS_MAX_CONCURRENT_STREAMS
// are refused (RFC 9113, Section 5.1.2) and the connection goes on; a
// client that keeps opening them is cut off like any stream-error flood.
func TestAttack_StreamExhaustion(t *testing.T) {
	const mcs = 10
	t.Run("refused", func(t *testing.T) {
		as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs})
		a := dialAttacker(t, as, true)
		var held []uint32
		for range mcs {
			held = append(held, a.request("GET", "/wait", true))
		}
		for range 3 * mcs {
			a.request("GET", "/", true)
		}
		a.flush()
		end := time.Now().Add(5 * time.Second)
		for a.rst[frame.ErrCodeRefusedStream].Load() < 3*mcs && time.Now().Before(end) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := a.rst[frame.ErrCodeRefusedStream].Load(); n != 3*mcs {
			t.Fatalf("%d streams refused, want %d", n, 3*mcs)
		}
		if n := as.maxRunning.Load(); n > mcs {
			t.Errorf("%d handlers at once", n)
		}
		for _, id := range held {
			a.frame(&frame.RSTStream{StreamID: id, Code: frame.ErrCodeCancel})
		}
		a.flush()
		as.waitHandlers(t, 5*time.Second)
		// The same connection serves again.
		a.request("GET", "/", true)
		a.flush()
		end = time.Now().Add(5 * time.Second)
		for a.recv[frame.TypeData].Load() == 0 && time.Now().Before(end) {
			time.Sleep(5 * time.Millisecond)
		}
		if a.recv[frame.TypeData].Load() == 0 {
			t.Fatal("no response on the connection after the refused streams")
		}
		a.ct.noGoAway(t)
		t.Logf("%d streams held, %d refused with REFUSED_STREAM, the connection still serves", mcs, 3*mcs)
		as.wantHealthy(t)
	})
	t.Run("flood", func(t *testing.T) {
		lim := h2kit.Rate{Burst: 200, PerSecond: 100}
		as := startAttackServer(t, &Server{MaxConcurrentStreams: mcs, Limits: h2kit.Limits{LocalResets: lim}})
		a := dialAttacker(t, as, true)
		var sent int
		u := measure(func() {
			for range mcs {
				a.request("GET", "/wait", true)
			}
			sent = a.sendUntil(1<<20, 3*time.Second, func() int {
				for range 50 {
					a.request("GET", "/", true)
				}
				return 50
			})
			a.waitClosed(5 * time.Second)
		})
		ct := a.ct
		ct.wantGoAway(t, frame.ErrCodeEnhanceYourCalm)
		refused := ct.sentAtGoAway[frame.TypeRSTStream]
		t.Logf("%d streams opened beyond %d; %d refused before GOAWAY ENHANCE_YOUR_CALM after %v; %v",
			sent, mcs, refused, a.elapsed(ct).Round(time.Millisecond), u)
		if max := rateBound(lim, a.elapsed(ct), 1); refused > max {
			t.Errorf("%d streams refused before GOAWAY, want at most %d", refused, max)
		}
		u.within(t, 8<<20, 3*time.Second)
		as.waitHandlers(t, 5*time.Second)
		as.wantHealthy(t)
	})
}

// appendHPACKInt appends v with an n-bit prefix after the pattern bits
// (RFC 7541, Section 5.1).
func appendHPACKInt(b []byte, pattern byte, n uint, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, pattern|byte(v))
	}
	b = append(b, pattern|byte(max))
	for v -= max; v >= 128; v >>= 7 {
		b = append(b, byte(v&0x7f)|0x80)
	}
	return append(b, byte(v))
}

// TestAttack_ReadHeaderTimeoutBlockedWriter: a client that never sends a
// request and never reads. When ReadHeaderTimeout ends the connection the
// final GOAWAY cannot be written; the server must wait for the write
// without burning CPU (it once re-fired the passed deadline in a loop).
func TestAttack_ReadHeaderTimeoutBlockedWriter(t *testing.T) {
	as := startAttackServer(t, &Server{ReadHeaderTimeout: 100 * time.Millisecond,
		Limits: h2kit.Limits{Pings: h2kit.Rate{Burst: 5000, PerSecond: 1}}})
	a := dialAttacker(t, as, false)
	// 85 KiB of PING ACKs fill the socket buffers (8 KiB and 4 KiB) and
	// block the server's writer.
	for range 50 {
		for i := range 100 {
			a.frame(&frame.Ping{Data: [8]byte{byte(i)}})
		}
		if err := a.flush(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the timeout has passed
	u := measure(func() { time.Sleep(time.Second) })
	t.Logf("a second with the connection timed out and its writer blocked: %v", u)
	u.within(t, 0, 300*time.Millisecond)
	if !a.ct.goAwaySent.Load() && a.ct.sent[frame.TypeGoAway].Load() == 0 {
		t.Error("no GOAWAY queued after ReadHeaderTimeout")
	}
	if !a.drainUntilClosed(5 * time.Second) {
		t.Error("the connection was not closed once the client read")
	}
	as.wantHealthy(t)
}
