package h2client

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// RFC 9218 priorities. A request's "priority" header field is sent as
// is (a regular field); a request in flight is re-prioritized with a
// PRIORITY_UPDATE frame (RFC 9218, Section 7.1), through its response
// (UpdatePriority) or, from the moment it is sent, through a
// PriorityHandle in its context.

// ErrNotInFlight is returned when re-prioritizing a request whose
// response is complete (or that never went out over HTTP/2).
var ErrNotInFlight = errors.New("h2client: request not in flight")

// UpdatePriority re-prioritizes the stream of resp, a response of this
// package whose body is still arriving. An http.Client with a Timeout
// wraps response bodies, which hides the stream: use WithPriorityHandle
// then.
func UpdatePriority(resp *http.Response, p h2kit.Priority) error {
	if resp == nil {
		return ErrNotInFlight
	}
	b, ok := resp.Body.(*responseBody)
	if !ok || !b.enter() {
		return ErrNotInFlight // closed: the stream may be another's now
	}
	defer b.leave()
	return b.st.setPriority(p)
}

// PriorityHandle re-prioritizes the request whose context carries it.
type PriorityHandle struct {
	st atomic.Pointer[clientStream]
}

type priorityKey struct{}

// WithPriorityHandle returns a context for one request and the handle
// that re-prioritizes it once it is sent: Update before the response
// header section arrives, too.
func WithPriorityHandle(ctx context.Context) (context.Context, *PriorityHandle) {
	h := new(PriorityHandle)
	return context.WithValue(ctx, priorityKey{}, h), h
}

// Update sends a PRIORITY_UPDATE for the request, or puts the priority
// in its header section if it is not sent yet.
func (h *PriorityHandle) Update(p h2kit.Priority) error {
	st := h.st.Load()
	if st == nil {
		return ErrNotInFlight
	}
	return st.setPriority(p)
}

// setPriority queues a new priority for the owner (any goroutine).
func (st *clientStream) setPriority(p h2kit.Priority) error {
	st.mu.Lock()
	if st.err != nil || st.in.Ended() {
		st.mu.Unlock()
		return ErrNotInFlight
	}
	st.newPrio, st.hasNewPrio = p, true
	st.mu.Unlock()
	st.cc.markDirty(st)
	return nil
}

// applyPriorityLocked sends a queued priority: in the header section
// when the stream is not open yet, else as PRIORITY_UPDATE (owner,
// st.mu held).
func (st *clientStream) applyPriorityLocked() {
	st.cc.loop.AssertOwner()
	if !st.hasNewPrio {
		return
	}
	st.hasNewPrio = false
	if !st.opened {
		st.fields = setPriorityField(st.fields, st.newPrio)
		return
	}
	st.cc.eng.SendPriorityUpdate(st.id, st.newPrio)
}

func setPriorityField(fields []hpack.Field, p h2kit.Priority) []hpack.Field {
	for i := range fields {
		if fields[i].Name == "priority" {
			fields[i].Value = p.String()
			return fields
		}
	}
	return append(fields, hpack.Field{Name: "priority", Value: p.String()})
}
