package h2client

import (
	"context"
	"fmt"

	"github.com/h2kit/h2kit/frame"
)

// RFC 7540 priorities: a weight and a dependency per stream, sent in the
// HEADERS frame that opens a request, and anchors (idle streams created
// with PRIORITY frames when a connection starts) that requests can
// depend on, as some browsers and nghttp do. RFC 9113, Section 5.3.2
// deprecates this scheme (use RFC 9218's priority header field and
// PriorityHandle instead where the server supports it); servers may
// ignore the signals, and must if they sent or received
// SETTINGS_NO_RFC7540_PRIORITIES = 1 (RFC 9218, Section 2.1).

// Anchor is an idle stream made at the start of every new connection
// of a Transport (Transport.PriorityAnchors): a PRIORITY frame gives it a
// place in the server's dependency tree (RFC 7540, Section 5.3.4), and no
// request is ever sent on it. Anchors take the connection's first client
// stream ids, in order; requests get the ids after them.
type Anchor struct {
	// DependsOn is the anchor this one depends on, as its position in
	// PriorityAnchors plus one (an earlier anchor); 0 is the root.
	DependsOn int
	// Weight is the RFC 7540 weight, 1 to 256; 0 means the default, 16.
	Weight int
	// Exclusive makes the anchor the only child of its parent, the
	// parent's other children becoming its own (RFC 7540, Section 5.3.3).
	Exclusive bool
}

// StreamPriority is the RFC 7540 priority a request carries in its
// HEADERS frame (RFC 9113, Section 6.2), set with WithStreamPriority.
// The dependency is the first that applies of DependsOn (a request
// already sent on the same connection), Anchor, and the root.
type StreamPriority struct {
	// Weight is the weight, 1 to 256; 0 means the default, 16.
	Weight int
	// Exclusive makes the request's stream the only child of its parent.
	Exclusive bool
	// Anchor is the anchor to depend on, as its position in the
	// Transport's PriorityAnchors plus one; 0: none.
	Anchor int
	// DependsOn is the handle (WithPriorityHandle) of another request to
	// depend on. It applies when that request's stream is open on the
	// same connection when this one opens; otherwise Anchor (or the root)
	// stands in.
	DependsOn *PriorityHandle
}

type streamPriorityKey struct{}

// WithStreamPriority returns a context for a request that sends p in
// its HEADERS frame. A weight outside 1 to 256, or an Anchor the
// Transport does not have, fails the request.
func WithStreamPriority(ctx context.Context, p StreamPriority) context.Context {
	return context.WithValue(ctx, streamPriorityKey{}, &p)
}

// StreamID returns the id of the request's stream once it is sent, and
// 0 before (or for a request that did not go out over HTTP/2).
func (h *PriorityHandle) StreamID() uint32 {
	st := h.st.Load()
	if st == nil {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.opened {
		return 0
	}
	return st.id
}

// priorityParam converts a weight (0 for the default) and the rest to the
// wire's form.
func priorityParam(weight int, dep uint32, excl bool) (frame.PriorityParam, error) {
	if weight == 0 {
		weight = 16 // RFC 7540, Section 5.3.5
	}
	if weight < 1 || weight > 256 {
		// RFC 7540, Section 5.3.2: the weight is between 1 and 256.
		return frame.PriorityParam{}, fmt.Errorf("h2client: RFC 7540 weight %d outside 1 to 256", weight)
	}
	return frame.PriorityParam{StreamDep: dep, Exclusive: excl, Weight: uint8(weight - 1)}, nil
}

// sendAnchors sends the Transport's anchors on a new connection, right
// after its preface and SETTINGS, before any request. A wrong anchor
// list fails every request of the connection that names an anchor
// (anchorErr), so the mistake is reported where it matters.
func (cc *clientConn) sendAnchors() {
	for i, a := range cc.t.PriorityAnchors {
		var dep uint32
		if a.DependsOn != 0 {
			if a.DependsOn < 0 || a.DependsOn > i {
				cc.anchorErr = fmt.Errorf("h2client: PriorityAnchors[%d]: DependsOn %d is not an earlier anchor (1 to %d)", i, a.DependsOn, i)
				return
			}
			dep = cc.anchors[a.DependsOn-1]
		}
		p, err := priorityParam(a.Weight, dep, a.Exclusive)
		if err == nil {
			var id uint32
			id, err = cc.eng.SendAnchor(p)
			cc.anchors = append(cc.anchors, id)
		}
		if err != nil {
			cc.anchorErr = fmt.Errorf("h2client: PriorityAnchors[%d]: %w", i, err)
			return
		}
	}
}

// sendRequest opens st's stream, with its RFC 7540 priority if its
// context has one (owner).
func (cc *clientConn) sendRequest(st *clientStream) (uint32, error) {
	sp, _ := st.req.Context().Value(streamPriorityKey{}).(*StreamPriority)
	if sp == nil {
		return cc.eng.SendRequest(st.fields, st.endOnHeaders)
	}
	var dep uint32
	if sp.Anchor != 0 {
		switch {
		case cc.anchorErr != nil:
			return 0, cc.anchorErr
		case sp.Anchor < 0 || sp.Anchor > len(cc.anchors):
			return 0, fmt.Errorf("h2client: StreamPriority.Anchor %d: the Transport has %d PriorityAnchors", sp.Anchor, len(cc.anchors))
		}
		dep = cc.anchors[sp.Anchor-1]
	}
	if h := sp.DependsOn; h != nil {
		// Open on this connection (so opened by this goroutine, and still
		// in its map), not ended.
		if other := h.st.Load(); other != nil && other.cc == cc && other != st {
			if id := h.StreamID(); id != 0 && cc.streams.Get(id) == other {
				dep = id
			}
		}
	}
	p, err := priorityParam(sp.Weight, dep, sp.Exclusive)
	if err != nil {
		return 0, err
	}
	return cc.eng.SendRequestPriority(st.fields, st.endOnHeaders, p)
}
