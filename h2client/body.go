package h2client

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
	"github.com/h2kit/h2kit/internal/pipe"
)

// chunkSize is the read size of the request body writer.
const chunkSize = 16 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// writeBody is the request body writer goroutine: it waits for the
// stream to open (and, with Expect: 100-continue, for the server's
// go-ahead), then reads the body and queues it for the owner.
func (st *clientStream) writeBody() {
	if !st.waitOpen() {
		return // never opened: the body is left to RoundTrip (retry or close)
	}
	defer st.closeBody()
	if st.expect && !st.waitContinue() {
		return
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	var sent int64
	for {
		n, rerr := st.body.Read(buf)
		if n > 0 {
			sent += int64(n)
			if st.contentLength >= 0 && sent > st.contentLength {
				st.fail(fmt.Errorf("h2client: request body longer than ContentLength %d", st.contentLength), true)
				return
			}
			if err := st.queue(buf[:n]); err != nil {
				return
			}
		}
		if rerr == io.EOF {
			if st.contentLength >= 0 && sent != st.contentLength {
				st.fail(fmt.Errorf("h2client: request body of %d bytes, ContentLength %d", sent, st.contentLength), true)
				return
			}
			st.finishBody()
			return
		}
		if rerr != nil {
			st.fail(fmt.Errorf("h2client: reading the request body: %w", rerr), true)
			return
		}
	}
}

// closeBody closes the request body, once: the writer does when it is
// done with it, and a stream that ends early does at once (dropBody).
func (st *clientStream) closeBody() {
	if st.bodyClosed.CompareAndSwap(false, true) {
		st.closer.Close()
	}
}

// dropBody closes the request body of a stream that ended early, if the
// writer took it, as net/http's transport closes a cancelled request's
// body: a writer blocked in the body's Read (an io.Pipe the application
// no longer writes to, say) returns then, instead of waiting for the
// next write. In a goroutine of its own, since a body's Close may block
// and the owner, which calls this, must not (any goroutine).
func (st *clientStream) dropBody() {
	st.mu.Lock()
	taken := st.bodyRead
	st.mu.Unlock()
	if taken && !st.bodyClosed.Load() {
		go st.closeBody()
	}
}

// waitOpen waits until the owner opened the stream; it then claims the
// body (the writer closes it from now on). False: the stream ended first.
func (st *clientStream) waitOpen() bool {
	for {
		st.mu.Lock()
		if st.err != nil {
			st.mu.Unlock()
			return false
		}
		if st.opened {
			st.bodyRead = true
			st.mu.Unlock()
			return true
		}
		st.mu.Unlock()
		<-st.wsig
	}
}

// waitContinue waits for 100 (Continue), a 2xx final response or
// ExpectContinueTimeout; false: the body is not to be sent.
func (st *clientStream) waitContinue() bool {
	if tr := st.trace; tr != nil && tr.Wait100Continue != nil {
		tr.Wait100Continue()
	}
	timer := time.NewTimer(st.cc.t.expectContinueTimeout())
	defer timer.Stop()
	for {
		st.mu.Lock()
		switch {
		case st.err != nil || st.abortBody:
			st.mu.Unlock()
			return false
		case st.continued:
			st.mu.Unlock()
			return true
		}
		st.mu.Unlock()
		select {
		case <-st.wsig:
		case <-timer.C:
			st.mu.Lock()
			if !st.abortBody {
				st.continued = true
			}
			st.mu.Unlock()
			st.cc.markDirty(st)
		}
	}
}

// queue hands p to the owner, waiting while pipe.MaxPending bytes are
// queued: a server that opens its window slowly slows the upload, and
// memory stays bounded (this plus the engine's Limits.MaxStreamSendBuffer
// per stream).
func (st *clientStream) queue(p []byte) error {
	for len(p) > 0 {
		st.mu.Lock()
		if err := st.writeErrLocked(); err != nil {
			st.mu.Unlock()
			return err
		}
		if room := pipe.MaxPending - st.out.Len(); room > 0 {
			k := min(room, len(p))
			st.out.Write(p[:k])
			p = p[k:]
			st.mu.Unlock()
			st.cc.markDirty(st)
			continue
		}
		st.mu.Unlock()
		<-st.wsig
	}
	return nil
}

func (st *clientStream) writeErrLocked() error {
	switch {
	case st.err != nil:
		return st.err
	case st.sendErr != nil:
		return st.sendErr
	case st.abortBody:
		return errStopped
	}
	return nil
}

// finishBody queues the end of the body, with the request's trailers.
func (st *clientStream) finishBody() {
	var tr []hpack.Field
	if t := st.req.Trailer; len(t) > 0 {
		tr = httpcommon.AppendHeader(nil, t)
	}
	st.mu.Lock()
	st.outEnd = true
	st.outTrailers = tr
	st.mu.Unlock()
	st.cc.markDirty(st)
}

// responseBody is a response's Body: it reads what the owner buffered
// (pipe.Inbound) and tells it how much was taken, so the flow-control
// windows reopen only as fast as the caller reads.
//
// It holds the request goroutine's reference to the stream until it is
// closed and no Read or Close is under way: the stream may then be
// recycled, so a Read or Close that comes later must not touch it. state
// counts the calls under way (in steps of bodyCall), with bodyClosed,
// bodyDropped and bodyEOF as its low bits.
type responseBody struct {
	st    *clientStream
	state atomic.Uint32
}

const (
	bodyClosed  = 1 // Close was called
	bodyDropped = 2 // the stream reference is given up
	bodyEOF     = 4 // a Read returned io.EOF: every byte of the body was read
	bodyCall    = 8 // one Read or Close under way
)

// enter counts a call under way; false: the body is closed, the call must
// not touch the stream (and has left already).
func (b *responseBody) enter() bool {
	if b.state.Add(bodyCall)&bodyClosed != 0 {
		b.leave()
		return false
	}
	return true
}

// leave ends a call; the last one out of a closed body drops the stream.
func (b *responseBody) leave() {
	b.left(b.state.Add(^uint32(bodyCall - 1)))
}

// leaveEOF is leave for a call that returned io.EOF: it records that the
// body was read to its end.
func (b *responseBody) leaveEOF() {
	for {
		old := b.state.Load()
		if s := (old | bodyEOF) - bodyCall; b.state.CompareAndSwap(old, s) {
			b.left(s)
			return
		}
	}
}

// left drops the stream if s, the state a call left, is the state of a
// closed body without calls under way.
func (b *responseBody) left(s uint32) {
	if s&^bodyEOF == bodyClosed && b.state.CompareAndSwap(s, s|bodyDropped) {
		b.st.drop()
	}
}

// Read reads body bytes; io.EOF after the last one, when the response's
// trailers (if any) are in Response.Trailer.
func (b *responseBody) Read(p []byte) (int, error) {
	if !b.enter() {
		return 0, errBodyClosed
	}
	st := b.st
	// The body's last bytes come with io.EOF when the body is complete
	// (io.Reader allows it): a caller reading to the end (io.ReadAll,
	// say) makes no call only to hear io.EOF.
	n, err := st.in.ReadWithEOF(&st.mu, p, b)
	if err == io.EOF {
		b.leaveEOF()
	} else {
		b.leave()
	}
	return n, err
}

// smallCopy is the size of the buffer a stream keeps for WriteTo: the
// body of a small response goes out in one piece.
const smallCopy = 512

// WriteTo writes the body to w until it ends (io.WriterTo: io.Copy calls
// it instead of reading into a buffer of its own, or of io.Discard's
// pool). The bytes go through a small buffer the stream keeps and, once
// a body fills that, a pooled one of chunkSize. It returns the bytes
// written and the error Read would have returned other than io.EOF, or
// w's.
func (b *responseBody) WriteTo(w io.Writer) (int64, error) {
	if !b.enter() {
		return 0, errBodyClosed
	}
	st := b.st
	if st.copyBuf == nil {
		st.copyBuf = make([]byte, smallCopy)
	}
	buf := st.copyBuf
	var pooled *[]byte
	var total int64
	var err error
	eof := false
	for {
		n, rerr := st.in.ReadWithEOF(&st.mu, buf, b) // the last bytes come with io.EOF
		eof = rerr == io.EOF
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr == nil && m != n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				err = werr
				break
			}
		}
		if rerr != nil {
			if !eof {
				err = rerr
			}
			break
		}
		if n == len(buf) && pooled == nil {
			pooled = chunkPool.Get().(*[]byte)
			buf = *pooled
		}
	}
	if pooled != nil {
		chunkPool.Put(pooled)
	}
	if eof {
		b.leaveEOF()
	} else {
		b.leave()
	}
	return total, err
}

// Failed is the stream's error, for pipe.Inbound.Read (st.mu held).
func (b *responseBody) Failed() error { return b.st.err }

// ReadDeadline: a response body has none of its own (the request's
// context ends the stream instead).
func (b *responseBody) ReadDeadline() time.Time { return time.Time{} }

// Consumed asks the owner to give the bytes read back to flow control,
// unless the stream is over for it: reading the body of a complete
// response (the common case: the owner forgets the stream before the
// reader sees its last bytes) wakes nobody.
func (b *responseBody) Consumed() {
	if !b.st.forgotten.Load() {
		b.st.cc.markDirty(b.st)
	}
}

// Close discards the rest of the body: a response still arriving is
// cancelled (RST_STREAM CANCEL), and so is a request body still being
// sent.
func (b *responseBody) Close() error {
	// Usually no other call is under way: one step marks the body closed
	// and this call under way, as enter and the Or below would.
	s := b.state.Load()
	if s&^bodyEOF != 0 || !b.state.CompareAndSwap(s, s|bodyClosed|bodyCall) {
		if !b.enter() {
			return nil
		}
		if s = b.state.Or(bodyClosed); s&bodyClosed != 0 {
			b.leave()
			return nil // another Close got there first
		}
	}
	if s&bodyEOF != 0 && b.st.forgotten.Load() {
		// Read to its end, and over for the owner too (the common case):
		// nothing is left to drop or cancel, and nobody reads the
		// stream's body buffer before the stream is recycled.
		b.st.notifyWriter()
	} else {
		b.close()
	}
	// leave, in one step when this is the last call under way.
	for {
		s = b.state.Load()
		if s&^bodyEOF != bodyClosed|bodyCall {
			b.leave() // another call is under way: the last one drops
			break
		}
		if b.state.CompareAndSwap(s, s&bodyEOF|bodyClosed|bodyDropped) {
			b.st.drop()
			break
		}
	}
	return nil
}

// close is Close's work, with the body marked closed and the call under
// way counted.
func (b *responseBody) close() {
	st := b.st
	st.mu.Lock()
	if st.in.Closed() {
		st.mu.Unlock()
		return
	}
	keep := 0
	if st.pooled {
		keep = keepIn // for the stream's next request
	}
	unread := st.in.CloseWith(errBodyClosed, keep)
	reset := st.err == nil && (!st.in.Ended() || (!st.sentEnd && st.sendErr == nil && !st.abortBody))
	if reset {
		st.cancelReq = true
		st.setErrLocked(errBodyClosed)
	}
	st.mu.Unlock()
	st.notifyWriter()
	if (unread > 0 && !st.forgotten.Load()) || reset {
		st.cc.markDirty(st)
	}
	if reset {
		st.dropBody()
	}
}
