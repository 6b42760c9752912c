package pipe

import (
	"errors"
	"io"
	"sync"
	"time"
)

// ErrBodyClosed is what Read returns once the reader closed the body; it
// has net/http's text.
var ErrBodyClosed = errors.New("http: invalid Read on closed Body")

// ReportEvery is how many bytes a reader takes before it wakes the owner
// to give them back to flow control, before the buffer runs dry.
const ReportEvery = 16 << 10

// Inbound is a body on its way in: the owner delivers what the peer sent,
// a reader takes it, and the bytes taken (or dropped by Close) are
// counted until the owner gives them back to flow control
// (h2kit.Conn.ConsumeData), so the peer sends only as fast as the reader
// reads. Its methods are called with the stream's mutex held, but Read,
// which takes the mutex itself, and Wake and Signal, which need none.
type Inbound struct {
	q        Queue
	eof      bool  // the last byte has been delivered
	closed   error // why reads fail (the reader closed): later bytes are dropped
	consumed int   // taken or dropped, not yet given back
	sig      Signal
	// parked: a Read is waiting, or about to, on sig. Deliver, End and
	// CloseWith notify only then: a body that arrives before it is read
	// (most of them) leaves no notification for Init to drain.
	parked bool
}

// Init prepares in for use, or for reuse with its buffer kept when it is
// no larger than keep bytes.
func (in *Inbound) Init(keep int) {
	in.q.Reset(keep)
	in.eof, in.closed, in.consumed, in.parked = false, nil, 0, false
	if in.sig == nil {
		in.sig = NewSignal()
	} else {
		in.sig.Clear()
	}
}

// Deliver appends body bytes (owner). It returns false, keeping nothing,
// when the reader closed the body: the caller gives the bytes back to flow
// control at once.
func (in *Inbound) Deliver(p []byte) bool {
	if in.closed != nil {
		return false
	}
	in.q.Write(p)
	if in.parked {
		in.sig.Notify()
	}
	return true
}

// End marks the body complete (owner): once the buffered bytes are read,
// Read returns io.EOF.
func (in *Inbound) End() {
	in.eof = true
	if in.parked {
		in.sig.Notify()
	}
}

// Ended reports whether the last byte has been delivered.
func (in *Inbound) Ended() bool { return in.eof }

// Closed reports whether the reader closed the body.
func (in *Inbound) Closed() bool { return in.closed != nil }

// Buffered returns the bytes delivered and not yet read.
func (in *Inbound) Buffered() int { return in.q.Len() }

// Wake wakes a Read waiting for bytes, so that it looks at the stream's
// state again (an error, a deadline changed). It needs no lock.
func (in *Inbound) Wake() { in.sig.Notify() }

// Signal returns the signal a blocked Read waits on (valid from Init on;
// it needs no lock). The goroutine that will read the body may wait on it
// for what comes before the body too, such as a response's header
// section, if whoever delivers that calls Wake: Deliver, End and CloseWith
// notify only a waiting Read.
func (in *Inbound) Signal() Signal { return in.sig }

// TakeConsumed returns the bytes read or dropped since the last call, for
// the owner to give back to flow control.
func (in *Inbound) TakeConsumed() int {
	n := in.consumed
	in.consumed = 0
	return n
}

// Close drops the unread bytes (counted as consumed) and its buffer, and
// makes later reads fail with ErrBodyClosed; a Read blocked in another
// goroutine returns at once. It reports how many bytes were dropped.
func (in *Inbound) Close() (dropped int) { return in.CloseWith(ErrBodyClosed, 0) }

// CloseWith is Close with err for later reads, keeping the buffer for
// reuse unless it is larger than keep bytes. Once closed, the body stays
// so: a second close changes nothing and drops nothing.
func (in *Inbound) CloseWith(err error, keep int) (dropped int) {
	if in.closed != nil {
		return 0
	}
	in.closed = err
	n := in.q.Reset(keep)
	in.consumed += n
	if in.parked {
		in.sig.Notify()
	}
	return n
}

// Stream is the rest of a stream that a blocking Read needs.
type Stream interface {
	// Failed returns the error that ended the stream, nil while it goes
	// on. It is called with the stream's mutex held.
	Failed() error
	// ReadDeadline returns when a blocked Read gives up (zero: never).
	// It is called with the stream's mutex held; whoever changes it calls
	// Wake, so that a blocked Read sees the change.
	ReadDeadline() time.Time
	// Consumed is called, without the mutex, when a Read took enough
	// bytes that the owner should give them back to flow control: the
	// stream marks itself dirty and wakes the owner.
	Consumed()
}

// Read is the blocking Read of a body. mu is the stream's mutex. It
// returns buffered bytes first; then io.EOF once the body ended, the
// stream's error if it failed, ErrBodyClosed after Close (CloseWith's
// error), and os.ErrDeadlineExceeded once the stream's read deadline has
// passed.
func (in *Inbound) Read(mu *sync.Mutex, p []byte, st Stream) (int, error) {
	return in.read(mu, p, st, false)
}

// ReadWithEOF is Read, but returns io.EOF with the body's last bytes when
// the body has ended (as io.Reader allows), so that a caller reading to
// the end makes no call (and no lock round trip) only to hear io.EOF.
func (in *Inbound) ReadWithEOF(mu *sync.Mutex, p []byte, st Stream) (int, error) {
	return in.read(mu, p, st, true)
}

func (in *Inbound) read(mu *sync.Mutex, p []byte, st Stream, eofWithLast bool) (int, error) {
	var w Waiter // stopped on every return after a wait, without a defer
	for {
		n, deadline, done, err := in.try(mu, p, st, eofWithLast)
		if !done {
			err = w.Wait(in.sig, deadline)
			if err == nil {
				continue
			}
		}
		w.Stop()
		return n, err
	}
}

// try is one look of read under mu: done with what read returns, or not
// done and the deadline to wait until for in.sig.
func (in *Inbound) try(mu *sync.Mutex, p []byte, st Stream, eofWithLast bool) (n int, deadline time.Time, done bool, err error) {
	mu.Lock()
	in.parked = false
	if err := in.closed; err != nil {
		mu.Unlock()
		return 0, deadline, true, err
	}
	if in.q.Len() > 0 {
		n := in.q.Read(p)
		in.consumed += n
		left := in.q.Len()
		wake := in.consumed >= ReportEvery || left == 0
		if eofWithLast && left == 0 && in.eof {
			err = io.EOF
		}
		mu.Unlock()
		if wake {
			st.Consumed()
		}
		return n, deadline, true, err
	}
	if in.eof {
		mu.Unlock()
		return 0, deadline, true, io.EOF
	}
	if err := st.Failed(); err != nil {
		mu.Unlock()
		return 0, deadline, true, err
	}
	deadline = st.ReadDeadline()
	in.parked = len(p) > 0
	mu.Unlock()
	if len(p) == 0 {
		return 0, deadline, true, nil
	}
	return 0, deadline, false, nil
}
