package connloop

import (
	"net"
	"sync"
	"time"
)

// The buffers. An idle connection should hold none: thousands of them
// must not cost a read buffer each. So buffers come from pools, the reader
// takes one just before a read and the owner gives it back once it has
// handled the events that alias it; the owner takes a write buffer per
// batch and gives it back once the writer is done with it.
//
// A read needs a buffer before it blocks, and a Read on a quiet connection
// blocks for as long as the connection stays quiet. On a plain socket (see
// newRawReader) the reader waits for readability without a buffer and
// reads into a large one, given back as soon as the owner handled it (a
// burst costs no more than before: two large buffers in flight, one being
// read into, one being handled). Otherwise it
// reads into a small buffer, and into a large one only after a read filled
// the buffer it had: while data streams in. A read that comes back short
// (the input is drained) puts it back to small buffers, so a connection
// that goes quiet holds at most a small buffer, unless its last read
// filled a large buffer exactly.

// smallReadSize is the size of the buffer a Read waits with on a
// connection that cannot wait for readability without one.
const smallReadSize = 4 << 10

// smallWriteSize separates small write buffers (control frames, headers,
// small responses) from large ones, pooled apart so that a large batch
// does not start in a small buffer and grow it again.
const smallWriteSize = 16 << 10

// keepWriteFor is how long a Loop keeps a large write buffer without using it.
const keepWriteFor = time.Second

var (
	smallPool      sync.Pool // *[]byte, read buffers of capacity smallReadSize or more
	largePool      sync.Pool // *[]byte, larger read buffers
	smallWritePool sync.Pool // *[]byte, length 0, capacity up to smallWriteSize
	largeWritePool sync.Pool // *[]byte, length 0, larger
)

// getReadBuf returns a pooled buffer of length size.
func (l *Loop) getReadBuf(size int) *[]byte {
	pool := &largePool
	if size <= smallReadSize {
		pool = &smallPool
	}
	p, _ := pool.Get().(*[]byte)
	if p == nil || cap(*p) < size {
		b := make([]byte, max(size, smallReadSize))
		p = &b
	}
	*p = (*p)[:size]
	l.held.Add(int64(cap(*p)))
	return p
}

// putReadBuf recycles a buffer of getReadBuf (nil: none).
func (l *Loop) putReadBuf(p *[]byte) {
	if p == nil {
		return
	}
	l.held.Add(-int64(cap(*p)))
	if cap(*p) <= smallReadSize {
		smallPool.Put(p)
	} else {
		largePool.Put(p)
	}
}

// readLoop is the reader goroutine: it reads and hands what it read to the
// owner, until an error or quit. It holds at most one buffer, the owner at
// most another one.
func (l *Loop) readLoop() {
	if l.raw.ok() {
		l.rawReadLoop()
		return
	}
	for l.deliver(l.read()) {
	}
}

// deliver hands one read to the owner (reader); false means the reader is
// done: the read failed, or the loop is over.
func (l *Loop) deliver(r readResult) bool {
	if r.n == 0 && r.err == nil {
		l.putReadBuf(r.buf)
		return true
	}
	if l.handleRead(r) {
		return true
	}
	l.pendingReads.Add(1)
	select {
	case l.readCh <- r:
		// The owner's now.
	case <-l.quit:
		l.putReadBuf(r.buf)
		return false
	}
	return r.err == nil
}

// read reads from opts.Reader into a small buffer, or a large one if the
// last read filled its buffer.
func (l *Loop) read() readResult {
	size := l.readSize
	if l.bigRead {
		size = l.opts.ReadBufferSize
	}
	p := l.getReadBuf(size)
	n, err := l.opts.Reader.Read(*p)
	l.bigRead = n == len(*p)
	return readResult{p, n, err}
}

// getWriteBuf returns an empty write buffer (owner): the one kept since
// the last batch, or a pooled one, large if the last batch was large.
func (l *Loop) getWriteBuf() *[]byte {
	if p := l.wkeep; p != nil {
		l.wkeep = nil
		l.wused = true
		l.held.Add(-int64(cap(*p)))
		return p
	}
	if l.lastWrite > smallWriteSize {
		if p, ok := largeWritePool.Get().(*[]byte); ok {
			return p
		}
		// Room for twice the last batch, rather than growing to it.
		b := make([]byte, 0, 2*l.lastWrite)
		return &b
	}
	if p, ok := smallWritePool.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

// putWriteBuf recycles a write buffer (owner).
func (l *Loop) putWriteBuf(p *[]byte) {
	*p = (*p)[:0]
	switch c := cap(*p); {
	case c <= smallWriteSize:
		smallWritePool.Put(p)
	case c <= 4*l.opts.MaxWriteBatch:
		largeWritePool.Put(p)
	}
}

// startWrite has the batch written, *p with the payloads of l.segs
// (gathering), by a new writer goroutine (owner), or recycles *p if the
// batch is empty. On a plain socket the owner first writes what the
// socket takes without blocking: a small batch (a few responses) then
// costs no goroutine and no handoff, and the writer only writes what is
// left.
func (l *Loop) startWrite(p *[]byte) {
	if len(*p) == 0 {
		l.putWriteBuf(p)
		return
	}
	total := l.pieces(*p)
	l.lentOut = len(l.segs) > 0
	l.woff = 0
	if l.raw.ok() && total <= syncWriteMax {
		n := l.rawWrite(l.pcs, total)
		if n == total {
			l.held.Add(int64(cap(*p)))
			l.writeDone(p)
			return
		}
		l.woff = n
	}
	l.held.Add(int64(cap(*p)))
	l.writing = true
	l.wout = p
	l.wbufs = nil
	if len(l.pcs) > 1 {
		l.pcsBack = append(l.pcsBack[:0], l.pcs...)
		l.wbufs = skipBytes(l.pcsBack, l.woff)
	}
	go l.writeFn()
}

// pieces sets l.pcs to the batch in write order, the pieces of b between
// the payloads of l.segs (AppendOutgoingSegments), and returns its
// length.
func (l *Loop) pieces(b []byte) int {
	pcs, at, total := l.pcs[:0], 0, len(b)
	for _, s := range l.segs {
		if s.End > at {
			pcs = append(pcs, b[at:s.End])
		}
		pcs = append(pcs, s.Data)
		at = s.End
		total += len(s.Data)
	}
	if at < len(b) {
		pcs = append(pcs, b[at:])
	}
	l.pcs = pcs
	return total
}

// skipBytes drops the first n bytes of v.
func skipBytes(v net.Buffers, n int) net.Buffers {
	for n > 0 && len(v) > 0 {
		if n < len(v[0]) {
			v[0] = v[0][n:]
			break
		}
		n -= len(v[0])
		v = v[1:]
	}
	return v
}

// writeDone takes the writer's result back (owner). A large buffer stays
// with the Loop for the next batches, until keepWriteFor passes
// without one (see keepTimer): a pool would do, but a pool mixes buffers of
// all sizes and the GC empties it, and a busy connection would grow a new
// buffer after every GC.
func (l *Loop) writeDone(p *[]byte) {
	l.writing = false
	l.fill = true
	l.lastWrite = len(*p)
	clear(l.pcs) // hold no engine buffer
	l.pcs = l.pcs[:0]
	clear(l.pcsBack)
	l.wbufs = nil
	clear(l.segs)
	l.segs = l.segs[:0]
	if l.lentOut {
		l.lentOut = false
		l.eng.ReleaseOutgoing()
	}
	if c := cap(*p); c > smallWriteSize && c <= 4*l.opts.MaxWriteBatch && l.keepWrite > 0 {
		*p = (*p)[:0]
		l.wkeep = p // still held
		if l.keepUntil.IsZero() {
			l.keepUntil = time.Now().Add(l.keepWrite)
		}
		return
	}
	l.held.Add(-int64(cap(*p)))
	l.putWriteBuf(p)
}

// stopWriter ends a write still outstanding once flushLast gave up on it
// (a peer that does not read): on a connection whose writes gather the
// Handler's memory (Releaser), the socket is closed, which makes the
// writer return, so that no write reads that memory once the Handler
// hears the connection is over.
func (l *Loop) stopWriter() {
	if !l.writing || !l.gathering {
		return
	}
	l.nc.Close()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case w := <-l.writeRes:
		l.writeDone(w.buf)
	case <-t.C:
		// Not seen with sockets, whose Close ends a pending write.
	}
	l.readErr = net.ErrClosed // no linger on a closed socket
}

// keepTimer runs when keepUntil has passed (owner): the kept write buffer
// goes back to its pool unless a batch used it since the last time.
func (l *Loop) keepTimer(now time.Time) {
	if l.wkeep == nil || now.Before(l.keepUntil) {
		return
	}
	if l.wused {
		l.wused = false
		l.keepUntil = now.Add(l.keepWrite)
		return
	}
	l.releaseWrite()
}

// releaseWrite gives the kept write buffer back (owner).
func (l *Loop) releaseWrite() {
	if p := l.wkeep; p != nil {
		l.wkeep = nil
		l.held.Add(-int64(cap(*p)))
		l.putWriteBuf(p)
	}
	l.keepUntil = time.Time{}
}

// writeOne is a writer goroutine: it writes one batch, l.wout, and
// reports. A goroutine per batch costs about what handing the batch to a
// long-lived writer would, and an idle connection keeps no writer (nor
// the stack a deep Write, through TLS say, grew).
func (l *Loop) writeOne() {
	p := l.wout
	if l.opts.WriteTimeout > 0 {
		l.nc.SetWriteDeadline(time.Now().Add(l.opts.WriteTimeout))
	}
	var err error
	if l.wbufs != nil {
		// Several pieces: one gathering write (writev) on the socket.
		_, err = l.wbufs.WriteTo(l.wconn)
	} else {
		_, err = l.nc.Write((*p)[l.woff:])
	}
	select {
	case l.writeRes <- writeResult{p, err}:
	case <-l.quit:
	}
}

// syncWriteMax is the largest batch the owner writes itself on a plain
// socket (startWrite). Larger ones go to a writer goroutine: while it
// copies one batch into the kernel, the owner prepares the next.
const syncWriteMax = 64 << 10
