package h2kit

import (
	"bytes"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// gather appends the output AppendOutgoingSegments described (buf and
// segs) to dst, in wire order.
func gather(dst, buf []byte, segs []OutSegment) []byte {
	at := 0
	for _, s := range segs {
		dst = append(dst, buf[at:s.End]...)
		dst = append(dst, s.Data...)
		at = s.End
	}
	return append(dst, buf[at:]...)
}

// request sends a request the server engine receives and leaves
// unanswered; it returns the stream id.
func (rt *roundTrip) request(t *testing.T) uint32 {
	t.Helper()
	id, err := rt.client.SendRequest(rt.req, true)
	if err != nil {
		t.Fatal(err)
	}
	rt.srv.Receive(rt.client.AppendOutgoing(nil), rt.now)
	for ev := rt.srv.NextEvent(); ev != nil; ev = rt.srv.NextEvent() {
	}
	return id
}

// TestSegmentsSameWire: AppendOutgoingSegments describes the same bytes
// AppendOutgoing writes (RFC 9113, Section 6.1: DATA frames no larger
// than SETTINGS_MAX_FRAME_SIZE, END_STREAM on the last), with the large
// payloads left in the engine's buffers and the small ones copied.
func TestSegmentsSameWire(t *testing.T) {
	body := make([]byte, 100000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	run := func(segments bool) ([]byte, int) {
		rt := newRoundTrip(t, 0)
		id := rt.request(t)
		rt.srv.SendHeaders(id, rt.resp, false)
		rt.srv.SendData(id, body[:100], false) // small: copied
		rt.srv.SendData(id, body[100:], true)  // large: lent
		var out []byte
		nsegs := 0
		for rt.srv.WantWrite() {
			if segments {
				var segs []OutSegment
				rt.buf, segs = rt.srv.AppendOutgoingSegments(rt.buf[:0], nil)
				nsegs += len(segs)
				out = gather(out, rt.buf, segs)
				rt.srv.ReleaseOutgoing()
			} else {
				out = rt.srv.AppendOutgoing(out)
			}
		}
		return out, nsegs
	}
	plain, _ := run(false)
	seg, n := run(true)
	if !bytes.Equal(plain, seg) {
		t.Fatalf("segments describe %d bytes, AppendOutgoing wrote %d, or they differ", len(seg), len(plain))
	}
	// 100 bytes in one frame (copied), then frames of at most 16384.
	if want := (len(body) - 100 + 16383) / 16384; n != want {
		t.Errorf("%d segments, want %d", n, want)
	}
}

// TestSegmentsStayValid: until ReleaseOutgoing, what the engine does next
// leaves the bytes of the segments alone: a drained buffer is not handed
// to the next SendData, a partly written one is not compacted by more
// SendData, a reset stream's buffer is not reused.
func TestSegmentsStayValid(t *testing.T) {
	rt := newRoundTrip(t, 0)
	a, b := rt.request(t), rt.request(t)
	rt.srv.SendHeaders(a, rt.resp, false)
	rt.srv.SendHeaders(b, rt.resp, false)
	pattern := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i % 251)
		}
		return p
	}
	type batch struct {
		buf  []byte
		segs []OutSegment
		want []byte
	}
	var out []batch
	take := func() {
		buf, segs := rt.srv.AppendOutgoingSegments(nil, nil)
		if len(segs) == 0 {
			t.Fatal("no segments")
		}
		out = append(out, batch{buf, segs, gather(nil, buf, segs)})
	}
	check := func(step string) {
		t.Helper()
		for i, o := range out {
			if !bytes.Equal(gather(nil, o.buf, o.segs), o.want) {
				t.Fatalf("after %s: batch %d changed before ReleaseOutgoing", step, i)
			}
		}
	}
	// b drains its buffer; the next SendData would take it from the pool.
	rt.srv.SendData(b, pattern(20000), false)
	take()
	rt.srv.SendData(a, bytes.Repeat([]byte{'z'}, 1000), false)
	check("a SendData after a drained buffer")
	rt.srv.SendData(a, pattern(100000), false)
	// a's first call takes about 64 KiB: the rest stays in a's buffer,
	// behind the lent bytes, and more SendData would compact it.
	take()
	if rt.srv.SendBuffered(a) == 0 {
		t.Fatal("a drained in one call")
	}
	rt.srv.SendData(a, bytes.Repeat([]byte{'x'}, 30000), false)
	check("SendData on a partly written buffer")
	rt.srv.ResetStream(a, frame.ErrCodeCancel)
	rt.srv.SendData(b, bytes.Repeat([]byte{'y'}, 50000), false)
	check("a reset")
	for rt.srv.WantWrite() {
		take()
	}
	check("the rest")
	if len(rt.srv.lend.bufs) == 0 {
		t.Fatal("no buffer kept aside for the segments")
	}
	rt.srv.ReleaseOutgoing()
	if len(rt.srv.lend.bufs) != 0 || rt.srv.lend.lending {
		t.Fatal("ReleaseOutgoing kept buffers")
	}
}

// TestAllocsRoundTripSegments: the gathering path allocates nothing in
// the steady state either.
func TestAllocsRoundTripSegments(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, size := range []int{16, 20000, 64 << 10, 1 << 20} {
		rt := newRoundTrip(t, size)
		rt.segments = true
		wantNoAllocs(t, "GET with a body of "+itoa(size)+" in segments", func() { rt.once(t) })
	}
}

// TestSegmentsIdlePool: while segments are out, streams that drain and
// refill their buffers need new ones, and up to maxLentBufs come back to
// the pool for the next batch; once no stream is active, the pool keeps
// no more large buffers than AppendOutgoing does (maxDrainedBufs).
func TestSegmentsIdlePool(t *testing.T) {
	rt := newRoundTrip(t, 0)
	rt.srv.cfg.Limits.MaxStreamSendBuffer = 16 << 10
	body := make([]byte, 200<<10)
	ids := map[uint32][]byte{}
	for range 8 {
		id := rt.request(t)
		rt.srv.SendHeaders(id, rt.resp, false)
		ids[id] = body
	}
	large := func() int {
		n := 0
		for _, b := range rt.srv.bufPool {
			if cap(b) > minSendBuf {
				n++
			}
		}
		return n
	}
	most := 0
	for len(ids) > 0 {
		for id, b := range ids {
			n, _ := rt.srv.SendData(id, b, true)
			if n == len(b) {
				delete(ids, id)
			} else {
				ids[id] = b[n:]
			}
		}
		for rt.srv.WantWrite() {
			var segs []OutSegment
			rt.buf, segs = rt.srv.AppendOutgoingSegments(rt.buf[:0], nil)
			rt.client.Receive(gather(nil, rt.buf, segs), rt.now)
			rt.srv.ReleaseOutgoing()
			rt.clientEvents()
			most = max(most, large())
		}
		rt.flush()
	}
	if most <= maxDrainedBufs {
		t.Errorf("at most %d large buffers pooled while streaming, want more than %d", most, maxDrainedBufs)
	}
	if rt.srv.ActiveStreams() != 0 {
		t.Fatal("streams still active")
	}
	if n := large(); n > maxDrainedBufs {
		t.Errorf("%d large buffers pooled on an idle connection, want at most %d", n, maxDrainedBufs)
	}
}

// TestSendDataRef: SendDataRef keeps a reference to the caller's bytes
// (what AppendOutgoing writes is what the slice holds then), takes what
// flow control allows whatever the send buffer's limit (RFC 9113,
// Section 6.9), copies behind buffered bytes, lets nothing in behind
// borrowed bytes until they are out (WindowUpdated then), and never puts
// the caller's slice in the pool, even when the stream is reset.
func TestSendDataRef(t *testing.T) {
	rt := newRoundTrip(t, 0)
	rt.srv.cfg.Limits.MaxStreamSendBuffer = 16 << 10
	id := rt.request(t)
	rt.srv.SendHeaders(id, rt.resp, false)
	rt.srv.AppendOutgoing(nil)
	p := bytes.Repeat([]byte{'a'}, 40000)
	if n, err := rt.srv.SendDataRef(id, p, false); n != len(p) || err != nil {
		t.Fatalf("SendDataRef: %d, %v; want all of %d (no send buffer limit)", n, err, len(p))
	}
	if n, _ := rt.srv.SendData(id, []byte("more"), false); n != 0 {
		t.Fatalf("SendData behind borrowed bytes took %d", n)
	}
	p[0] = 'b' // still the engine's to read: the frame carries it
	out := rt.srv.AppendOutgoing(nil)
	if !bytes.Contains(out, []byte("baaa")) {
		t.Fatal("the bytes were copied when SendDataRef was called")
	}
	if rt.srv.SendBuffered(id) != 0 {
		t.Fatalf("%d bytes still buffered", rt.srv.SendBuffered(id))
	}
	sawWindow := false
	for ev := rt.srv.NextEvent(); ev != nil; ev = rt.srv.NextEvent() {
		if w, ok := ev.(*WindowUpdated); ok && w.StreamID == id {
			sawWindow = true
		}
	}
	if !sawWindow {
		t.Error("no WindowUpdated once the borrowed bytes were out")
	}
	// Behind buffered bytes SendDataRef copies.
	rt.srv.SendData(id, []byte("head"), false)
	q := bytes.Repeat([]byte{'c'}, 2000)
	if n, _ := rt.srv.SendDataRef(id, q, false); n != len(q) {
		t.Fatalf("SendDataRef behind buffered bytes took %d", n)
	}
	q[0] = 'd'
	if out := rt.srv.AppendOutgoing(nil); !bytes.Contains(out, []byte("headcccc")) {
		t.Fatal("SendDataRef behind buffered bytes did not copy")
	}
	// A reset stream's borrowed slice is not pooled: the next stream's
	// SendData does not write into it.
	r := bytes.Repeat([]byte{'e'}, 3000)
	rt.srv.SendDataRef(id, r, false)
	rt.srv.ResetStream(id, frame.ErrCodeCancel)
	id2 := rt.request(t)
	rt.srv.SendHeaders(id2, rt.resp, false)
	rt.srv.SendData(id2, bytes.Repeat([]byte{'f'}, 3000), true)
	rt.srv.AppendOutgoing(nil)
	if !bytes.Equal(r, bytes.Repeat([]byte{'e'}, 3000)) {
		t.Fatal("the engine wrote into a borrowed slice")
	}
}

// TestAllocsRoundTripRef: SendDataRef with gathering writes, the path of
// h2server's large writes on plain sockets, allocates nothing.
func TestAllocsRoundTripRef(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, size := range []int{16, 20000, 1 << 20} {
		rt := newRoundTrip(t, size)
		rt.segments, rt.ref = true, true
		wantNoAllocs(t, "GET with a body of "+itoa(size)+" by reference", func() { rt.once(t) })
	}
}
