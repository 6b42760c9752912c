package h2kit

// recvWindow is a receive window (RFC 9113, Section 6.9), the
// connection's or a stream's: the same rules for both.
type recvWindow struct {
	left    int64 // what the peer may still send
	target  int64 // the window size we keep reopening to
	unacked int64 // consumed by the application, not yet announced
}

// credit counts k bytes consumed and returns the increment to announce
// in WINDOW_UPDATE, 0 while less than half the target is consumed, so
// small reads do not each cost a frame; the window is reopened by it.
func (w *recvWindow) credit(k int64) int64 {
	w.unacked += k
	if w.unacked < w.target/2 {
		return 0
	}
	n := w.unacked
	w.left += n
	w.unacked = 0
	return n
}

// ConsumeData tells the engine the application has taken n bytes of
// stream id's DATA; window updates follow, batched (RFC 9113, Section 6.9).
// Calling it for a stream that is gone is harmless.
func (c *Conn) ConsumeData(id uint32, n int) {
	if n <= 0 || c.terminated != nil {
		return
	}
	s := c.streams.Get(id)
	if s == nil {
		return // closeStream gave its held bytes back already
	}
	k := min(int64(n), s.recvHeld)
	s.recvHeld -= k
	c.consume(s, k)
}

// consume reopens the windows for k bytes taken off stream s.
func (c *Conn) consume(s *stream, k int64) {
	c.creditConn(k)
	if s.recvPhase == phaseDone || s.state == StateClosed {
		return // the peer sends no more on it: no stream update
	}
	c.queueWindowUpdate(s.id, uint32(s.recv.credit(k)))
}

// creditConn gives k bytes back to the connection receive window.
func (c *Conn) creditConn(k int64) {
	if k <= 0 || c.terminated != nil {
		return
	}
	c.queueWindowUpdate(0, uint32(c.recv.credit(k)))
}

// openRecvWindow gives a new stream we receive on the window AutoWindow
// grew past the advertised SETTINGS_INITIAL_WINDOW_SIZE, with a
// WINDOW_UPDATE. It is called only once the stream has left the idle
// state (after the HEADERS that open it were queued, or received, or
// after a PUSH_PROMISE reserved it): RFC 9113, Section 5.1 allows
// nothing but HEADERS and PRIORITY on an idle stream, and nghttpd ends
// the connection with PROTOCOL_ERROR for a WINDOW_UPDATE there.
func (c *Conn) openRecvWindow(s *stream) {
	if s.state == StateIdle || s.state == StateReservedLocal || s.recvPhase == phaseDone {
		return
	}
	if d := s.recv.target - max(s.recv.left, int64(c.local.InitialWindowSize)); d > 0 {
		c.queueWindowUpdate(s.id, uint32(d))
		s.recv.left += d
	}
}

// streamRecvWindow is the window a new stream starts with: what we
// advertised in SETTINGS_INITIAL_WINDOW_SIZE, grown by AutoWindow.
func (c *Conn) streamRecvWindow() uint32 {
	return max(c.local.InitialWindowSize, c.bdp.streamWindow)
}

// recvInitialWindow is the stream window the peer applies to new streams
// now: our last acknowledged SETTINGS_INITIAL_WINDOW_SIZE.
func (c *Conn) recvInitialWindow() uint32 { return c.acked.InitialWindowSize }

// ReceiveWindow returns the connection's receive window size target: the
// window the engine keeps reopening to (Config.ConnectionWindow, grown by
// AutoWindow).
func (c *Conn) ReceiveWindow() int64 { return c.recv.target }

// StreamReceiveWindow returns the window new streams are given: the
// SETTINGS_INITIAL_WINDOW_SIZE advertised, grown by AutoWindow.
func (c *Conn) StreamReceiveWindow() int64 { return int64(c.streamRecvWindow()) }
