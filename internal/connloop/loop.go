// Package connloop drives one sans-IO engine (h2kit.Conn) over a net.Conn.
//
// One goroutine, the owner, runs Loop.Run: it is the only one that touches
// the engine. Helpers do the blocking I/O: a reader goroutine reads into a
// buffer and hands it over a channel (the owner recycles it once it has
// handled the events that alias it), and a writer goroutine, started per
// batch, writes what AppendOutgoing produced, one Write per batch; while
// it writes, the engine keeps producing, so the next batch coalesces
// everything that became ready meanwhile. On a plain socket the owner
// first writes what the socket takes without blocking, and starts a
// writer only for the rest. When woken by the application, the owner
// yields first, so that the handlers that are ready to run queue their
// output for the same batch. Timers come from the engine's
// Deadline (and the Handler's), with one time.Timer per connection.
//
// An idle connection is cheap: two goroutines (the owner and the reader)
// and no I/O buffer. Read and write buffers come from pools and go back as
// soon as their bytes are handled or written. On a plain TCP or Unix
// connection (on Unix systems) the reader waits for readability without a
// buffer and takes one only to read; on other connections (TLS, or with
// Options.Reader) it waits in a Read with a small buffer and uses large
// ones only while reads fill the buffer they were given.
//
// Other goroutines (HTTP handlers) talk to the owner through the Handler:
// they queue their output in their own structures and call Wake, a
// non-blocking send on a capacity-1 channel; the owner then calls
// Handler.Wake to move that output into the engine.
//
// Being the owner is holding the Loop's lock. Run's goroutine holds it
// whenever it is not waiting in its select. Two others may take it, only
// when it is free (TryLock), to spare a hand-off to Run's goroutine: the
// reader, to handle what it has just read (when no earlier read waits in
// the channel), and a goroutine calling WakeNow, to do Handler.Wake's
// work itself. Either then does what Run's goroutine would: the events,
// the writes, the timer. So Handler methods run on whichever goroutine
// is the owner at the time, one at a time, each seeing what the previous
// owner did (the lock orders them).
package connloop

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// Handler is the application side of a Loop. Every method is called by
// the owner (Run's goroutine, or one acting for it: see the package doc),
// one call at a time, and may use the engine freely.
type Handler interface {
	// Event handles one engine event. The event and its slices are valid
	// only during the call.
	Event(ev h2kit.Event)
	// Wake is called after Loop.Wake: move queued output into the engine.
	Wake()
	// Written is called after a batch of output was taken from the engine
	// (AppendOutgoing), before its write starts: the frames it holds have
	// left the engine's queues, in order, and stream states reflect them
	// as sent, though the bytes may not have reached the socket yet (and
	// never will if the write then fails).
	Written()
	// Deadline returns the Handler's next timer (zero: none); Timer is
	// called once it has passed.
	Deadline() time.Time
	// Timer is called when the Handler's Deadline has passed.
	Timer(now time.Time)
	// Closed is called once, when the connection is over and its last
	// bytes written: err is why (nil after a clean end). No other call
	// follows. The socket closes after it, following a short linger.
	Closed(err error)
}

// A Filler is a Handler that holds output back while a write is
// outstanding (see Loop.Writing), so that a peer that does not read
// leaves it in one place: Fill is called once the write has completed,
// before the next batch is taken, to move that output into the engine
// (owner).
type Filler interface {
	Fill()
}

// A Releaser is a Handler that lends the engine memory of its own
// (h2kit.Conn.SendDataRef) and must hear when the loop holds none of it:
// Released is called (owner) whenever no batch is being written, every
// batch taken from the engine so far having been written, and once more
// with final set when the connection is over and nothing more will be
// written. Lent bytes are then free once the engine's SendBuffered says
// it has none of them left (all of them when final).
type Releaser interface {
	Released(final bool)
}

// Options tune a Loop. The zero value is usable.
type Options struct {
	// Prefix holds bytes already read from the connection (while sniffing
	// the protocol); they are given to the engine first.
	Prefix []byte
	// Reader, if set, is read instead of the net.Conn (a bufio.Reader that
	// holds buffered bytes, say).
	Reader io.Reader
	// ReadBufferSize is the size of the (pooled) buffers read into while
	// data streams in. Default 32 KiB.
	ReadBufferSize int
	// MaxWriteBatch bounds the bytes taken from the engine for one Write.
	// Default 256 KiB.
	MaxWriteBatch int
	// WriteTimeout, if positive, bounds each Write: a peer that does not
	// read for that long loses the connection.
	WriteTimeout time.Duration
	// LingerTimeout bounds how long, after the last bytes were written, the
	// connection keeps reading (and discarding) so that the peer gets a
	// final GOAWAY before the socket closes. Default 1s; negative: none.
	LingerTimeout time.Duration
}

// Loop runs one engine over one connection. Create it with New, run it
// with Run; Wake, Shutdown and Close may be called from any goroutine.
type Loop struct {
	nc   net.Conn
	eng  *h2kit.Conn
	h    Handler
	opts Options

	wake     chan struct{}
	quit     chan struct{} // closed when Run returns: helpers exit
	done     chan struct{} // closed when Run returns
	shutdown atomic.Bool
	closeReq atomic.Bool
	closeErr atomic.Pointer[error]

	readCh   chan readResult
	writeRes chan writeResult
	writeFn  func()       // l.writeOne, started per batch (a method value allocates)
	wout     *[]byte      // the batch for the next writeOne
	woff     int          // where writeOne starts in it (the owner wrote the rest)
	wbufs    net.Buffers  // or, for a batch of several pieces, what writeOne writes
	held     atomic.Int64 // bytes of pooled buffers this Loop holds

	// mu is held by the owner: Run's goroutine, except while it waits in
	// its select (for good once its loop is over), or the reader or a
	// WakeNow caller acting for it (see the package doc).
	mu sync.Mutex
	// pendingReads counts reads handed to Run's goroutine over readCh and
	// not yet handled: while there are some, the reader must not handle a
	// later read itself.
	pendingReads atomic.Int32
	owner        ownerCheck // the goroutine holding mu (race builds: AssertOwner)

	// Gathering writes (gather.go): on a plain socket, a batch is the
	// write buffer plus DATA payloads left in the engine's buffers.
	gathering bool               // take batches with AppendOutgoingSegments
	wconn     net.Conn           // the socket that gathering writes go to
	segs      []h2kit.OutSegment // the batch's payloads
	pcs       [][]byte           // the batch in order: the buffer's pieces and the payloads
	pcsBack   [][]byte           // wbufs' backing array (WriteTo consumes wbufs)
	lentOut   bool               // the batch being written holds segments: ReleaseOutgoing after
	rw        rawWriter          // the owner's direct writes (rawwrite_unix.go)

	// Owner-only state.
	filler    Filler   // h, if it is one
	releaser  Releaser // h, if it is one
	fill      bool     // a write completed: call filler.Fill before the next batch
	writing   bool
	lastWrite int           // the last batch's length
	wkeep     *[]byte       // a large write buffer kept for the next batch
	wused     bool          // wkeep was used since keepUntil was set
	keepUntil time.Time     // when to check whether wkeep is still used
	keepWrite time.Duration // how long to keep wkeep unused (keepWriteFor)
	readErr   error
	goAway    bool // the peer sent GOAWAY
	timer     *time.Timer
	timerAt   time.Time

	// Reader-only state.
	raw      rawReader // a plain socket, read directly (rawread_unix.go)
	bigRead  bool      // the last read filled its buffer: the next one gets a large one
	readSize int       // the small buffer's size, at most opts.ReadBufferSize
}

// readResult is one read: buf (pooled, nil if no buffer) holds n bytes.
type readResult struct {
	buf *[]byte
	n   int
	err error
}

type writeResult struct {
	buf *[]byte
	err error
}

// New returns a Loop for engine eng over nc.
func New(nc net.Conn, eng *h2kit.Conn, h Handler, opts Options) *Loop {
	if opts.ReadBufferSize <= 0 {
		opts.ReadBufferSize = 32 << 10
	}
	if opts.MaxWriteBatch <= 0 {
		opts.MaxWriteBatch = 256 << 10
	}
	if opts.LingerTimeout == 0 {
		opts.LingerTimeout = time.Second
	}
	l := &Loop{
		nc:        nc,
		eng:       eng,
		h:         h,
		wake:      make(chan struct{}, 1),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		readCh:    make(chan readResult),
		writeRes:  make(chan writeResult),
		readSize:  min(smallReadSize, opts.ReadBufferSize),
		keepWrite: keepWriteFor,
	}
	l.writeFn = l.writeOne
	l.filler, _ = h.(Filler)
	l.releaser, _ = h.(Releaser)
	if opts.Reader == nil {
		opts.Reader = nc
		l.raw = newRawReader(nc)
	}
	// Only where the owner writes the socket itself: elsewhere (TLS) a
	// gathering write would become one Write per piece.
	l.gathering = l.raw.ok()
	l.wconn = unwrapPassthrough(nc)
	l.opts = opts
	return l
}

// Engine returns the engine. Only the owner goroutine (inside Handler
// methods) may use it.
func (l *Loop) Engine() *h2kit.Conn { return l.eng }

// Gathering reports whether the loop writes DATA payloads from the
// engine's buffers (AppendOutgoingSegments), on a plain socket: only
// then may the Handler lend the engine its own memory with SendDataRef
// without the bytes being copied anyway. Safe from any goroutine.
func (l *Loop) Gathering() bool { return l.gathering }

// Writing reports whether a writer goroutine is writing a batch: the
// socket did not take it at once, so the peer is slow to read or not
// reading (owner).
func (l *Loop) Writing() bool { return l.writing }

// AssertOwner panics if the calling goroutine is not the owner, the one
// running Run, while Run runs. The adapters call it at the top of their
// owner-only methods. It checks only in race builds (-race), where finding
// the calling goroutine's id is affordable; elsewhere it does nothing.
func (l *Loop) AssertOwner() { l.owner.check() }

// Conn returns the network connection.
func (l *Loop) Conn() net.Conn { return l.nc }

// Wake asks the owner to call Handler.Wake soon. It never blocks: wakes
// that come while one is pending are merged.
func (l *Loop) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Shutdown asks for a graceful shutdown (engine Shutdown: GOAWAY, streams
// in flight finish). Safe from any goroutine.
func (l *Loop) Shutdown() {
	l.shutdown.Store(true)
	l.Wake()
}

// Close ends the connection now: the engine sends GOAWAY with err's text
// (NO_ERROR) and the socket closes. Safe from any goroutine.
func (l *Loop) Close(err error) {
	if err == nil {
		err = ErrClosed
	}
	l.closeErr.CompareAndSwap(nil, &err)
	l.closeReq.Store(true)
	l.Wake()
}

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// ErrClosed is the reason given when Close is called with nil.
var ErrClosed = errors.New("connloop: connection closed by the application")

// ErrPeerClosed is the error of a connection the peer closed (EOF) or
// broke (the error then wraps the read's too, a reset say) before the
// HTTP/2 connection was over.
var ErrPeerClosed = errors.New("connloop: connection closed by the peer")

// Run drives the connection until it is over, then closes the net.Conn
// and calls Handler.Closed. It returns the error that ended the
// connection (nil for a clean end).
func (l *Loop) Run() (err error) {
	// The lock stays held after the loop: no one acts for a Loop whose
	// connection is over.
	l.mu.Lock()
	l.owner.start()
	l.owner.enter()
	defer l.owner.stop()
	defer l.owner.leave()
	defer close(l.done)
	l.timer = time.NewTimer(time.Hour)
	l.timer.Stop()
	defer l.timer.Stop()

	go l.readLoop()

	if len(l.opts.Prefix) > 0 {
		l.eng.Receive(l.opts.Prefix, time.Now())
	}
	l.pump()
	err = l.loop()
	if err == nil {
		err = l.eng.Err()
		var ce *h2kit.ConnError
		if errors.As(err, &ce) && ce.Code == 0 {
			err = nil // a graceful end (GOAWAY NO_ERROR)
		}
	}
	l.flushLast()
	l.stopWriter()
	l.releaseWrite()
	if l.releaser != nil {
		l.releaser.Released(true)
	}
	// The connection is over for the application before the linger.
	l.h.Closed(err)
	l.linger()
	close(l.quit)
	l.nc.Close()
	return err
}

// loop is the owner's select loop; it returns when the engine is done and
// its output written, or the connection broke.
func (l *Loop) loop() error {
	for {
		if l.eng.Done() && !l.writing && !l.eng.WantWrite() {
			return nil
		}
		l.setTimer()
		l.unlock()
		select {
		case r := <-l.readCh:
			l.lock()
			l.pendingReads.Add(-1)
			if r.n > 0 {
				l.eng.Receive((*r.buf)[:r.n], time.Now())
				l.dispatch()
			}
			l.putReadBuf(r.buf) // the events that alias it are handled
			if r.err != nil {
				l.readErr = r.err
				if l.eng.Err() == nil {
					if l.eng.ActiveStreams() == 0 && (l.goAway || l.shutdown.Load()) {
						return nil // closed after GOAWAY with nothing in flight
					}
					// The peer went away in the middle of the connection:
					// ErrPeerClosed, with the read's error when it says
					// more than EOF (a reset, say).
					if r.err == io.EOF {
						return ErrPeerClosed
					}
					return fmt.Errorf("%w: %w", ErrPeerClosed, r.err)
				}
			}
		case <-l.wake:
			// Let the goroutines that are ready to run (often handlers
			// of this connection, started by the same read) run first:
			// their output then goes out in this batch, in one write,
			// rather than each response in a write of its own. Their
			// wakes are merged into this one.
			runtime.Gosched()
			select {
			case <-l.wake:
			default:
			}
			l.lock()
			if l.closeReq.Load() {
				reason := "closed"
				if p := l.closeErr.Load(); p != nil {
					reason = (*p).Error()
				}
				l.eng.Close(0, reason)
			} else if l.shutdown.Load() {
				l.eng.Shutdown()
			}
			l.h.Wake()
		case w := <-l.writeRes:
			l.lock()
			l.writeDone(w.buf)
			if w.err != nil {
				return w.err
			}
		case <-l.timer.C:
			l.lock()
			l.timerAt = time.Time{}
			now := time.Now()
			l.keepTimer(now)
			l.eng.Advance(now)
			if d := l.h.Deadline(); !d.IsZero() && !now.Before(d) {
				l.h.Timer(now)
			}
		}
		l.pump()
	}
}

// lock makes the calling goroutine the owner, waiting for the lock.
func (l *Loop) lock() {
	l.mu.Lock()
	l.owner.enter()
}

// unlock ends the calling goroutine's turn as the owner.
func (l *Loop) unlock() {
	l.owner.leave()
	l.mu.Unlock()
}

// WakeNow is Wake for a caller whose output nothing else will join soon
// (the last of a connection's handlers to return, say): if no one is the
// owner at the moment, the caller becomes it and does the work itself
// (Handler.Wake and the writes it leads to: on a plain socket the write
// system call), instead of handing it to Run's goroutine. Otherwise it is
// Wake. It never blocks on the lock; it must not be called by the owner.
func (l *Loop) WakeNow() {
	if l.shutdown.Load() || l.closeReq.Load() || !l.mu.TryLock() {
		l.Wake()
		return
	}
	l.owner.enter()
	l.h.Wake()
	l.endTurn()
}

// handleRead handles a successful read on the reader's goroutine if it
// can be the owner now and no earlier read waits for Run's goroutine
// (reader); false: the read is still to be delivered.
func (l *Loop) handleRead(r readResult) bool {
	if r.n == 0 || r.err != nil || l.pendingReads.Load() != 0 || !l.mu.TryLock() {
		return false
	}
	// Reads are handled in order: Run's goroutine lowers the count only
	// once it has handled a read, under the lock.
	if l.pendingReads.Load() != 0 {
		l.mu.Unlock()
		return false
	}
	l.owner.enter()
	l.eng.Receive((*r.buf)[:r.n], time.Now())
	l.dispatch()
	if l.raw.ok() {
		l.raw.kept = r.buf // the events that alias it are handled
	} else {
		l.putReadBuf(r.buf)
	}
	l.endTurn()
	return true
}

// endTurn ends the turn of an owner acting for Run's goroutine: it does
// what Run's goroutine does after each event (the writes, the timer), and
// wakes that goroutine if the engine is done, for only it ends the
// connection.
func (l *Loop) endTurn() {
	l.pump()
	l.setTimer()
	if l.eng.Done() {
		l.Wake()
	}
	l.unlock()
}

// maxSyncBatches bounds the batches one pump writes on a plain socket
// that takes them all at once, so that a fast peer with large windows
// does not keep the owner from its reads, wakes and timers.
const maxSyncBatches = 8

// pump hands events to the Handler and output to the writer until
// neither has anything more, or a writer goroutine is busy (its result
// brings the owner back).
//
// On a plain socket startWrite often writes the whole batch itself: no
// writer goroutine, hence no result to come back for. pump must then go
// on while the engine wants to write; returning would leave that output
// waiting for an unrelated event (a timer, up to a second away). After
// maxSyncBatches it wakes itself instead, so that the select loop serves
// reads and wakes in between.
func (l *Loop) pump() {
	l.pumpWrites()
	if !l.writing && l.releaser != nil {
		l.releaser.Released(false)
	}
}

// pumpWrites is pump's work, without the call to the Releaser.
func (l *Loop) pumpWrites() {
	l.dispatch()
	for i := 0; !l.writing; i++ {
		if l.fill && l.filler != nil {
			l.fill = false
			l.filler.Fill()
			l.dispatch()
		}
		if !l.eng.WantWrite() {
			return
		}
		if i == maxSyncBatches {
			select {
			case l.wake <- struct{}{}:
			default: // a wake is pending already
			}
			return
		}
		p := l.getWriteBuf()
		b := (*p)[:0]
		l.segs = l.segs[:0]
		lent := 0 // payload bytes in l.segs
		for l.eng.WantWrite() && len(b)+lent < l.opts.MaxWriteBatch {
			if l.gathering {
				k := len(l.segs)
				b, l.segs = l.eng.AppendOutgoingSegments(b, l.segs)
				for _, s := range l.segs[k:] {
					lent += len(s.Data)
				}
			} else {
				b = l.eng.AppendOutgoing(b)
			}
			// AppendOutgoing may report WindowUpdated; the Handler may
			// then queue more data for this same batch.
			l.dispatch()
		}
		l.h.Written()
		*p = b
		l.startWrite(p)
	}
}

func (l *Loop) dispatch() {
	for ev := l.eng.NextEvent(); ev != nil; ev = l.eng.NextEvent() {
		if _, ok := ev.(*h2kit.GoAwayReceived); ok {
			l.goAway = true
		}
		l.h.Event(ev)
	}
}

func (l *Loop) setTimer() {
	d := l.eng.Deadline()
	if hd := l.h.Deadline(); !hd.IsZero() && (d.IsZero() || hd.Before(d)) {
		d = hd
	}
	if kd := l.keepUntil; l.wkeep != nil && (d.IsZero() || kd.Before(d)) {
		d = kd
	}
	if d.Equal(l.timerAt) {
		return
	}
	l.timerAt = d
	if d.IsZero() {
		l.timer.Stop()
		return
	}
	l.timer.Reset(max(time.Until(d), 0))
}

// flushLast writes what the engine still has (a final GOAWAY), bounded
// by LingerTimeout.
func (l *Loop) flushLast() {
	var deadline <-chan time.Time
	if l.opts.LingerTimeout > 0 {
		t := time.NewTimer(l.opts.LingerTimeout)
		defer t.Stop()
		deadline = t.C
	}
	for {
		if !l.writing && l.eng.WantWrite() {
			p := l.getWriteBuf()
			l.segs = l.segs[:0]
			*p = l.eng.AppendOutgoing((*p)[:0])
			for ev := l.eng.NextEvent(); ev != nil; ev = l.eng.NextEvent() {
			}
			l.startWrite(p)
		}
		if !l.writing {
			return
		}
		select {
		case w := <-l.writeRes:
			l.writeDone(w.buf)
			if w.err != nil {
				l.readErr = w.err // no linger on a broken connection
				return
			}
		case <-deadline:
			return
		}
	}
}

// linger half-closes the connection and reads (discarding) until the
// peer closes too or LingerTimeout passes: closing with unread input
// would make the kernel send a reset, which can destroy our last frames
// (a GOAWAY) before the peer reads them.
func (l *Loop) linger() {
	if l.readErr != nil || l.opts.LingerTimeout < 0 {
		return
	}
	if cw, ok := l.nc.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
		return
	}
	t := time.NewTimer(l.opts.LingerTimeout)
	defer t.Stop()
	for {
		select {
		case r := <-l.readCh:
			l.putReadBuf(r.buf)
			if r.err != nil {
				return
			}
		case <-t.C:
			return
		}
	}
}
