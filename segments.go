package h2kit

import "github.com/h2kit/h2kit/frame"

// OutSegment is one piece of AppendOutgoingSegments' output: the bytes of
// the frame buffer from the previous segment's End (0 for the first) up to
// End, then Data, a DATA payload that stays in the engine's send buffers.
// After the last segment come the frame buffer's remaining bytes.
type OutSegment struct {
	End  int
	Data []byte
}

// minSegment is the smallest DATA payload AppendOutgoingSegments leaves
// in place: a shorter one costs less to copy than a separate piece of
// the write (an iovec in the kernel, a slice in the writer), and a batch
// of many small responses stays one contiguous buffer.
const minSegment = 1024

// lendState tracks the send buffers whose bytes AppendOutgoingSegments
// handed out and the caller has not yet released (ReleaseOutgoing): they
// are neither reused nor compacted until then.
type lendState struct {
	lending bool     // segments are out
	epoch   uint32   // a stream lent its buffer in this epoch iff stream.lentEpoch == epoch
	bufs    [][]byte // drained or replaced buffers that segments still reference
}

// AppendOutgoingSegments is AppendOutgoing without copying DATA payloads:
// everything else (control frames, header blocks, the 9-byte header of
// each DATA frame, small payloads) is appended to dst, while each
// payload of at least 1 KiB is appended to segs, referencing the
// engine's send buffer it waits in. The output, in order, is dst's new
// bytes interleaved with the segments as OutSegment describes; a writer
// sends them with one gathering write (writev, net.Buffers).
//
// The segments stay valid, their bytes unchanged, until ReleaseOutgoing,
// which the caller must call once it has written them (or given up on
// them): until then the engine reuses none of the buffers they reference,
// so later commands (SendData) and later calls of this method do not
// disturb them. Other methods may be called meanwhile as usual.
func (c *Conn) AppendOutgoingSegments(dst []byte, segs []OutSegment) ([]byte, []OutSegment) {
	dst = c.appendOutgoing(dst, &segs)
	return dst, segs
}

// ReleaseOutgoing tells the engine that the caller is done with every
// segment AppendOutgoingSegments returned so far: their buffers may be
// reused.
func (c *Conn) ReleaseOutgoing() {
	l := &c.lend
	for i, b := range l.bufs {
		// A stream that drains its buffer and takes more data in the
		// same batch needs a new one each time: keep enough for the next
		// batch to need no allocation.
		if len(c.bufPool) < maxLentBufs {
			c.putBuf(b)
		}
		l.bufs[i] = nil
	}
	l.bufs = l.bufs[:0]
	l.lending = false
	l.epoch++
	if c.peerActive+c.localActive == 0 {
		c.trimBufPool() // idle: no more buffers than AppendOutgoing keeps
	}
}

// maxLentBufs bounds the pool while segments are in use: enough send
// buffers for the streams that drain and refill theirs within one
// batch.
const maxLentBufs = 16

// trimBufPool drops the pooled send buffers larger than minSendBuf
// beyond maxDrainedBufs.
func (c *Conn) trimBufPool() {
	k, large := 0, 0
	for _, b := range c.bufPool {
		if cap(b) > minSendBuf {
			if large == maxDrainedBufs {
				continue
			}
			large++
		}
		c.bufPool[k] = b
		k++
	}
	clear(c.bufPool[k:])
	c.bufPool = c.bufPool[:k]
}

// appendData appends a DATA frame: its payload is copied into dst, or,
// with segs set and a payload of at least minSegment bytes, listed in
// segs, and s's send buffer is then lent until ReleaseOutgoing.
func (c *Conn) appendData(dst []byte, segs *[]OutSegment, s *stream, d *frame.Data) []byte {
	if segs == nil || len(d.Data) < minSegment {
		return d.Append(dst)
	}
	dst = d.FrameHeader().Append(dst)
	*segs = append(*segs, OutSegment{End: len(dst), Data: d.Data})
	c.lend.lending = true
	s.lentEpoch = c.lend.epoch
	return dst
}

// lent reports whether s's send buffer holds bytes that segments out
// there reference.
func (c *Conn) lent(s *stream) bool {
	return c.lend.lending && s.lentEpoch == c.lend.epoch
}

// dropSendBuf takes s's send buffer away from it (drained, or the stream
// is over): back to the pool, or, while segments reference it, kept
// aside until ReleaseOutgoing.
func (c *Conn) dropSendBuf(s *stream) {
	switch {
	case s.borrowed:
		// The caller's: it knows when the engine is done with it.
		s.borrowed = false
	case s.sendBuf != nil && c.lent(s):
		c.lend.bufs = append(c.lend.bufs, s.sendBuf)
	default:
		c.recycleSendBuf(s.sendBuf)
	}
	s.sendBuf, s.sendOff = nil, 0
}

// SendDataRef is SendData without the copy: when stream id has nothing
// buffered, the engine keeps a reference to p[:n] instead of copying it,
// and takes as much as flow control allows, whatever the send buffer's
// limit (Limits.MaxStreamSendBuffer); otherwise it copies, as SendData.
// Either way the caller leaves p[:n] unchanged until the engine is done
// with it: SendBuffered(id) is 0 (all of it written out, or dropped with
// the stream) and, if AppendOutgoingSegments listed some of it,
// ReleaseOutgoing was called since. Until its bytes are out, SendData
// and SendDataRef on the stream take nothing.
func (c *Conn) SendDataRef(id uint32, p []byte, endStream bool) (int, error) {
	return c.sendData(id, p, endStream, true)
}

// recycleSendBuf puts a send buffer no stream uses back in the pool
// while the pool is small (or the buffer is), so that streams waiting
// for more data (a slow producer, or a peer that does not read) hold
// none, and the pool does not keep many large buffers.
func (c *Conn) recycleSendBuf(b []byte) {
	if len(c.bufPool) < maxDrainedBufs || cap(b) <= minSendBuf {
		c.putBuf(b)
	}
}
