package h2server

import (
	"context"
	"sync"
	"time"
)

// reqCtx is a request's context (http.Request.Context): done when the
// stream ends (reset, connection gone) or the handler returns, with
// context.Canceled, as context.WithCancel's would be. One allocation
// instead of WithCancel's two, and no channel unless Done is called.
// Contexts derived from it (context.WithCancel, WithTimeout,
// context.AfterFunc) are registered through AfterFunc and cancelled when
// it is, without a goroutine, as they would be under a std cancelCtx.
// Used only under a parent that is never done (newReqCtx).
type reqCtx struct {
	parent context.Context // values only: its Done is nil
	mu     sync.Mutex
	done   chan struct{} // made by Done or cancel
	err    error
	funcs  []*ctxFunc // AfterFunc's, not yet stopped
}

type ctxFunc struct{ f func() }

// newReqCtx returns the context of a request under parent, and either
// the *reqCtx to cancel (c if it is not nil, an unused reqCtx in the
// request's allocation; else a new one) or, under a parent that can be
// done, the cancel function of a std context.
func newReqCtx(parent context.Context, c *reqCtx) (context.Context, *reqCtx, context.CancelFunc) {
	if parent.Done() != nil {
		ctx, cancel := context.WithCancel(parent)
		return ctx, nil, cancel
	}
	if c == nil {
		c = new(reqCtx)
	}
	c.parent = parent
	return c, c, nil
}

func (c *reqCtx) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *reqCtx) Value(key any) any           { return c.parent.Value(key) }

func (c *reqCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

func (c *reqCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *reqCtx) String() string { return "h2server request context" }

// cancel makes c done with context.Canceled and runs the functions
// registered with AfterFunc; later calls do nothing.
func (c *reqCtx) cancel() {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = context.Canceled
	if c.done != nil {
		close(c.done)
	}
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	for _, cf := range funcs {
		cf.f()
	}
}

// AfterFunc runs f once c is done (at once, in its own goroutine, if it
// is already); stop unregisters f and reports whether it did. The
// context package uses it for contexts derived from c (its afterFuncer
// interface).
func (c *reqCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	cf := &ctxFunc{f: f}
	c.funcs = append(c.funcs, cf)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, g := range c.funcs {
			if g == cf {
				c.funcs = append(c.funcs[:i], c.funcs[i+1:]...)
				return true
			}
		}
		return false
	}
}
