package h2server

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// requestBody is a request's Body: it reads what the owner buffered and
// tells it how much was taken, so flow control reopens the window only as
// fast as the handler reads (a slow handler slows the client).
//
// Read may run in a goroutine of the handler's while the handler itself
// goes on (gRPC's ServeHTTP reads the body in its own goroutine, then
// closes it and waits for that goroutine before it returns). So, as in
// net/http, Close and the handler's return wake a Read blocked in another
// goroutine, which then fails; and a Read holds a reference to the stream
// while it runs, so the stream is not recycled for another request under
// it.
type requestBody struct {
	mu sync.Mutex // guards st against the handler's return
	st *stream
}

// reportEvery is how many read bytes make the reader wake the owner to
// reopen the window before the buffer runs dry.
const reportEvery = 16 << 10

// acquire returns the stream with a reference taken for the caller (who
// must release it), or nil once the handler has returned.
func (b *requestBody) acquire() *stream {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	if st != nil {
		// The handler's reference is still held (stream.done clears
		// b.st under b.mu before dropping it): st cannot be recycled
		// between the load and the increment.
		st.refs.Add(1)
	}
	return st
}

// Read reads body bytes; io.EOF after the last one, when the request's
// trailers (if any) are in Request.Trailer. It fails with
// errBodyClosed after Close and errHandlerDone after the handler returned,
// also when it was blocked waiting for data at that moment.
func (b *requestBody) Read(p []byte) (int, error) {
	st := b.acquire()
	if st == nil {
		return 0, errHandlerDone
	}
	defer st.release()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		st.mu.Lock()
		if st.bodyClosed {
			st.mu.Unlock()
			return 0, errBodyClosed
		}
		if st.handlerDone {
			st.mu.Unlock()
			return 0, errHandlerDone
		}
		if st.expect100 {
			// The first read asks for the client's body: 100 (Continue).
			st.expect100 = false
			st.want100 = true
			st.mu.Unlock()
			st.sc.markDirty(st)
			continue
		}
		if n := len(st.in) - st.inOff; n > 0 {
			n = copy(p, st.in[st.inOff:])
			st.inOff += n
			st.consumed += n
			wake := st.consumed >= reportEvery || st.inOff == len(st.in)
			st.mu.Unlock()
			if wake {
				st.sc.markDirty(st)
			}
			return n, nil
		}
		if st.inEOF {
			st.mu.Unlock()
			return 0, io.EOF
		}
		if err := st.err; err != nil && err != errHandlerDone {
			st.mu.Unlock()
			return 0, err
		}
		st.mu.Unlock()
		if len(p) == 0 {
			return 0, nil
		}
		var expired <-chan time.Time
		if d := st.readDeadline; !d.IsZero() {
			wait := time.Until(d)
			if wait <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			expired = timer.C
		}
		select {
		case <-st.rsig:
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// errBodyClosed is what Read returns after Close, as net/http's.
var errBodyClosed = errors.New("http: invalid Read on closed Body")

// Close makes later reads fail, and wakes a Read blocked in another
// goroutine; the unread body is discarded (its window given back), and so
// is what the client sends after.
func (b *requestBody) Close() error {
	st := b.acquire()
	if st == nil {
		return nil
	}
	defer st.release()
	st.mu.Lock()
	st.bodyClosed = true
	unread := len(st.in) - st.inOff
	if unread > 0 {
		st.consumed += unread
		st.in, st.inOff = st.in[:0], 0
	}
	st.mu.Unlock()
	signal(st.rsig) // a Read blocked in another goroutine sees bodyClosed
	if unread > 0 {
		st.sc.markDirty(st)
	}
	return nil
}
