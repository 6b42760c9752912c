package h2server

import (
	"sync"

	"github.com/h2kit/h2kit/internal/pipe"
)

// requestBody is a request's Body: it reads what the owner buffered
// (pipe.Inbound) and tells it how much was taken, so flow control reopens
// the window only as fast as the handler reads (a slow handler slows the
// client).
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

// errBodyClosed is what Read returns after Close, as net/http's.
var errBodyClosed = pipe.ErrBodyClosed

// keepIn is the largest request body buffer a recycled stream keeps.
const keepIn = 1 << 20

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
	if st.expect100.Load() {
		// The first read asks for the client's body: 100 (Continue).
		st.mu.Lock()
		ask := !st.in.Closed() && st.expect100.CompareAndSwap(true, false)
		if ask {
			st.want100 = true
		}
		st.mu.Unlock()
		if ask {
			st.sc.markDirty(st)
		}
	}
	return st.in.Read(&st.mu, p, st)
}

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
	unread := st.in.CloseWith(errBodyClosed, keepIn)
	st.mu.Unlock()
	if unread > 0 {
		st.sc.markDirty(st)
	}
	return nil
}
