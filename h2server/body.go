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
type requestBody struct {
	mu sync.Mutex // guards st against the handler's return
	st *stream
}

// reportEvery is how many read bytes make the reader wake the owner to
// reopen the window before the buffer runs dry.
const reportEvery = 16 << 10

// Read reads body bytes; io.EOF after the last one, when the request's
// trailers (if any) are in Request.Trailer.
func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	st := b.st
	b.mu.Unlock()
	if st == nil {
		return 0, errHandlerDone
	}
	if st.expect100 {
		st.expect100 = false
		st.mu.Lock()
		st.want100 = true
		st.mu.Unlock()
		st.sc.markDirty(st)
	}
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

var errBodyClosed = errors.New("http: invalid Read on closed Body")

// Close makes later reads fail; the unread body is discarded (its window
// given back) once the handler returns.
func (b *requestBody) Close() error {
	b.mu.Lock()
	st := b.st
	b.mu.Unlock()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	st.bodyClosed = true
	unread := len(st.in) - st.inOff
	if unread > 0 {
		st.consumed += unread
		st.in, st.inOff = st.in[:0], 0
	}
	st.mu.Unlock()
	if unread > 0 {
		st.sc.markDirty(st)
	}
	return nil
}
