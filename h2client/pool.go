package h2client

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Connection modes of an origin.
const (
	modeTLS     = iota // https: TLS with ALPN
	modePrior          // http: h2c with prior knowledge
	modeUpgrade        // http: h2c by Upgrade from HTTP/1.1
)

// initialMaxStreams is how many streams a new connection is given before
// the server's SETTINGS say (RFC 9113 sets no limit until then; a server
// lowering it later refuses the excess, which is retried).
const initialMaxStreams = 100

// pool holds the connections of a Transport, per origin ("scheme://host:port").
// Its lock is taken twice per request (reserve, release), never per frame.
type pool struct {
	t     *Transport
	mu    sync.Mutex
	conns map[originKey][]*clientConn
	dials map[originKey]*dialCall     // one connection attempt at a time per origin
	h1    map[originKey]bool          // origins answered over HTTP/1.1
	wait  map[originKey]chan struct{} // closed when a stream slot frees
	stash map[string]stashedConn      // TLS connections that chose HTTP/1.1, for the fallback
	// alone is the connection get chose last when it was its origin's
	// only one (nil after any change to conns): the next request to that
	// origin takes it without hashing the origin and looking it up.
	alone *clientConn
}

// dialCall is a connection attempt that requests wait for.
type dialCall struct {
	done   chan struct{}
	err    error                   // set before done is closed
	cancel context.CancelCauseFunc // ends the attempt; nil for an Upgrade
}

type stashedConn struct {
	c  interface{ Close() error }
	at time.Time
}

func newPool(t *Transport) *pool {
	return &pool{
		t:     t,
		conns: make(map[originKey][]*clientConn),
		dials: make(map[originKey]*dialCall),
		h1:    make(map[originKey]bool),
		wait:  make(map[originKey]chan struct{}),
		stash: make(map[string]stashedConn),
	}
}

// get returns a connection with a stream reserved for one request, or
// the route to take instead: HTTP/1.1, or (routeUpgrade) the caller must
// open the connection itself with an Upgrade request and report it with
// finishUpgrade.
func (p *pool) get(ctx context.Context, key originKey, addr string, mode int) (*clientConn, int, error) {
	for {
		p.mu.Lock()
		if len(p.h1) > 0 && p.h1[key] { // no hashing of key while no origin is HTTP/1.1
			p.mu.Unlock()
			return nil, routeH1, nil
		}
		if cc := p.alone; cc != nil && cc.key == key && !cc.closing && cc.reserved < cc.maxStreams {
			cc.reserved++ // as below, with the origin's one connection
			p.mu.Unlock()
			return cc, routeH2, nil
		}
		usable := 0
		var best *clientConn
		list := p.conns[key]
		for _, cc := range list {
			if cc.closing {
				continue
			}
			usable++
			if cc.reserved < cc.maxStreams && (best == nil || cc.reserved > best.reserved) {
				// The busiest connection that has room: connections
				// fill one after another, idle ones can time out.
				best = cc
			}
		}
		if best != nil {
			best.reserved++
			if len(list) == 1 {
				p.alone = best
			}
			p.mu.Unlock()
			return best, routeH2, nil
		}
		var d *dialCall
		var wait <-chan struct{}
		switch {
		case p.dials[key] != nil:
			d = p.dials[key]
			wait = d.done
		case usable > 0 && (p.t.StrictMaxConcurrentStreams || (p.t.MaxConnsPerHost > 0 && usable >= p.t.MaxConnsPerHost)):
			ch := p.wait[key]
			if ch == nil {
				ch = make(chan struct{})
				p.wait[key] = ch
			}
			wait = ch
		default:
			d = &dialCall{done: make(chan struct{})}
			p.dials[key] = d
			if mode == modeUpgrade {
				p.mu.Unlock()
				return nil, routeUpgrade, nil
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			d.cancel = cancel
			go p.dial(ctx, key, addr, mode, d)
			wait = d.done
		}
		p.mu.Unlock()
		select {
		case <-wait:
			if d != nil && d.err != nil {
				return nil, 0, d.err
			}
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// dialTimeout bounds one connection attempt (shared by the requests
// waiting for it, so no single request's context applies).
const dialTimeout = 30 * time.Second

// errDialAbandoned is the cause of a dial ended by CloseIdleConnections.
var errDialAbandoned = errors.New("h2client: dial abandoned")

// dial opens a connection for key and adds it to the pool; ctx is
// cancelled by CloseIdleConnections.
func (p *pool) dial(ctx context.Context, key originKey, addr string, mode int, d *dialCall) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	cc, h1, err := p.t.dialConn(ctx, key, addr, mode)
	if context.Cause(ctx) == errDialAbandoned {
		if cc != nil {
			// Connected just as CloseIdleConnections came: its loop
			// never ran, the socket is all there is to close.
			cc.nc.Close()
			cc, err = nil, errDialAbandoned
		}
		if err != nil {
			err = &closedError{addr: addr, cause: err}
		}
	}
	d.cancel(nil)
	p.finishDial(key, d, cc, h1, err)
}

// finishDial records the outcome of d and wakes the requests waiting.
func (p *pool) finishDial(key originKey, d *dialCall, cc *clientConn, h1 bool, err error) {
	p.mu.Lock()
	if p.dials[key] == d {
		delete(p.dials, key)
	}
	switch {
	case err != nil:
		d.err = err
	case h1:
		p.h1[key] = true
	case cc != nil:
		p.conns[key] = append(p.conns[key], cc)
		p.alone = nil
	}
	p.mu.Unlock()
	close(d.done)
	if cc != nil {
		go cc.run()
	}
}

// finishUpgrade is finishDial for the Upgrade route; errors of the one
// request that tried are not shared with the requests waiting (one of
// them tries next).
func (p *pool) finishUpgrade(key originKey, cc *clientConn, h1 bool) {
	p.mu.Lock()
	d := p.dials[key]
	p.mu.Unlock()
	if d != nil {
		p.finishDial(key, d, cc, h1, nil)
	} else if cc != nil {
		go cc.run()
	}
}

// release frees the stream slot of a finished request.
func (p *pool) release(cc *clientConn) {
	p.mu.Lock()
	cc.reserved--
	p.wakeLocked(cc.key)
	p.mu.Unlock()
}

// setMaxStreams records the server's SETTINGS_MAX_CONCURRENT_STREAMS.
func (p *pool) setMaxStreams(cc *clientConn, n uint32) {
	m := int(min(n, 1<<20))
	p.mu.Lock()
	grew := m > cc.maxStreams
	cc.maxStreams = m
	if grew {
		p.wakeLocked(cc.key)
	}
	p.mu.Unlock()
}

// markClosing takes cc out of rotation: it finishes its streams but
// takes no new ones (GOAWAY, idle, dead).
func (p *pool) markClosing(cc *clientConn) {
	p.mu.Lock()
	if !cc.closing {
		cc.closing = true
		p.wakeLocked(cc.key)
	}
	p.mu.Unlock()
}

// remove forgets cc (it is over).
func (p *pool) remove(cc *clientConn) {
	p.mu.Lock()
	cc.closing = true
	p.alone = nil
	list := p.conns[cc.key]
	for i, x := range list {
		if x == cc {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.conns, cc.key)
	} else {
		p.conns[cc.key] = list
	}
	p.wakeLocked(cc.key)
	p.mu.Unlock()
}

// closeIfIdle marks cc closing if no request holds a slot on it; the
// owner then shuts it down.
func (p *pool) closeIfIdle(cc *clientConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cc.reserved > 0 || cc.closing {
		return false
	}
	cc.closing = true
	p.wakeLocked(cc.key)
	return true
}

// closeIdle shuts down every connection without a request in flight, and
// ends the connections not yet established (dialing, or waiting for the
// server's SETTINGS) with their requests.
func (p *pool) closeIdle() {
	var idle, unanswered []*clientConn
	p.mu.Lock()
	for _, list := range p.conns {
		for _, cc := range list {
			switch {
			case !cc.gotSettings.Load():
				if !cc.closing {
					cc.closing = true
					p.wakeLocked(cc.key)
				}
				unanswered = append(unanswered, cc)
			case cc.reserved == 0 && !cc.closing:
				cc.closing = true
				idle = append(idle, cc)
			}
		}
	}
	for _, d := range p.dials {
		if d.cancel != nil {
			d.cancel(errDialAbandoned)
		}
	}
	for k, s := range p.stash {
		s.c.Close()
		delete(p.stash, k)
	}
	p.mu.Unlock()
	for _, cc := range idle {
		cc.loop.Shutdown()
	}
	for _, cc := range unanswered {
		cc.abandon()
	}
}

// connsFor returns the connections of an origin.
func (p *pool) connsFor(key originKey) []*clientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*clientConn(nil), p.conns[key]...)
}

func (p *pool) wakeLocked(key originKey) {
	if len(p.wait) == 0 {
		return // nobody waits (the usual case): no hashing of key
	}
	if ch := p.wait[key]; ch != nil {
		close(ch)
		delete(p.wait, key)
	}
}

// stashConn keeps a TLS connection that negotiated HTTP/1.1 for the
// fallback transport's next dial to addr.
func (p *pool) stashConn(addr string, c interface{ Close() error }) {
	p.mu.Lock()
	old, ok := p.stash[addr]
	p.stash[addr] = stashedConn{c: c, at: time.Now()}
	p.mu.Unlock()
	if ok {
		old.c.Close()
	}
}

// takeStash returns the stashed connection to addr, if a fresh one is there.
func (p *pool) takeStash(addr string) interface{ Close() error } {
	p.mu.Lock()
	s, ok := p.stash[addr]
	delete(p.stash, addr)
	p.mu.Unlock()
	if !ok {
		return nil
	}
	if time.Since(s.at) > 10*time.Second {
		s.c.Close()
		return nil
	}
	return s.c
}
