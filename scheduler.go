package h2kit

import (
	"github.com/h2kit/h2kit/frame"
)

// prioNode is a node of the RFC 7540 priority tree (RFC 7540, Section
// 5.3; deprecated by RFC 9113, Section 5.3.2, but still sent by peers).
type prioNode struct {
	id       uint32
	weight   int // 1..256
	parent   *prioNode
	children []*prioNode
	s        *stream // nil for idle or closed streams kept in the tree
	// scheduling scratch, valid while the scheduler is clean
	activeEpoch uint64  // the node or a descendant is ready in this epoch
	sumEpoch    uint64  // activeSum is valid in this epoch
	activeSum   int     // sum of weights of active children
	share       float64 // fraction of the connection this node gets
}

// scheduler decides which stream's DATA goes next. Control frames never
// wait for it. With RFC 9218 priorities the lowest urgency goes first,
// non-incremental streams one at a time in id order, incremental ones
// round-robin; with the RFC 7540 tree each stream with data gets a share
// of the bytes proportional to its weight among active siblings, and a
// stream's dependents wait while it has data (RFC 7540, Section 5.3).
type scheduler struct {
	ready   []*stream
	root    prioNode
	nodes   map[uint32]*prioNode
	maxIdle int
	idle    []uint32 // tree nodes without a stream, oldest first
	pending map[uint32]Priority
	use9218 bool
	useTree bool
	dirty   bool
	epoch   uint64
	vnow    float64
}

func (s *scheduler) init(maxNodes int) {
	s.root.weight = 16
	s.maxIdle = maxNodes
}

func (s *scheduler) hasReady() bool { return len(s.ready) > 0 }

// setReady puts st in the ready set (it has DATA or END_STREAM to send).
func (s *scheduler) setReady(st *stream) {
	if st.ready {
		return
	}
	st.ready = true
	st.vt = max(st.vt, s.vnow)
	s.ready = append(s.ready, st)
	s.dirty = true
}

// unready takes st out of the ready set.
func (s *scheduler) unready(st *stream) {
	if !st.ready {
		return
	}
	st.ready = false
	for i, x := range s.ready {
		if x == st {
			s.ready = append(s.ready[:i], s.ready[i+1:]...)
			break
		}
	}
	s.dirty = true
}

// remove forgets st (closed).
func (s *scheduler) remove(st *stream) {
	s.unready(st)
	if n := st.node; n != nil {
		n.s = nil
		st.node = nil
		s.keepIdle(n)
	}
}

// next returns the stream to send from, or nil.
func (s *scheduler) next() *stream {
	switch len(s.ready) {
	case 0:
		return nil
	case 1:
		return s.ready[0]
	}
	if s.use9218 || !s.useTree {
		if s.use9218 {
			return s.next9218()
		}
		return s.nextFair(nil)
	}
	if s.dirty {
		s.computeShares()
	}
	return s.nextFair(func(st *stream) float64 { return st.node.share })
}

// nextFair picks the ready stream with the smallest virtual time among
// those with a positive share (all weights equal when share is nil).
func (s *scheduler) nextFair(share func(*stream) float64) *stream {
	var best *stream
	for _, st := range s.ready {
		if share != nil && share(st) <= 0 {
			continue
		}
		if best == nil || st.vt < best.vt || (st.vt == best.vt && st.id < best.id) {
			best = st
		}
	}
	return best
}

// next9218 applies RFC 9218, Section 10.
func (s *scheduler) next9218() *stream {
	var best *stream
	for _, st := range s.ready {
		if best == nil || better9218(st, best) {
			best = st
		}
	}
	return best
}

func better9218(a, b *stream) bool {
	if a.prio.Urgency != b.prio.Urgency {
		return a.prio.Urgency < b.prio.Urgency
	}
	if a.prio.Incremental != b.prio.Incremental {
		return !a.prio.Incremental // one non-incremental response at a time first
	}
	if a.prio.Incremental && a.vt != b.vt {
		return a.vt < b.vt // round-robin
	}
	return a.id < b.id
}

// charge accounts n bytes sent by st.
func (s *scheduler) charge(st *stream, n int) {
	w := 16.0
	if s.useTree && !s.use9218 && st.node != nil && st.node.share > 0 {
		w = st.node.share * 256
	}
	// Start-time fair queueing: the system's virtual time is the start
	// tag of the stream being served (the smallest among the ready), so
	// a stream that becomes ready starts level with the others, not
	// behind the finish tag of a low-weight stream that just sent.
	s.vnow = max(s.vnow, st.vt)
	st.vt += float64(n+frame.HeaderLen) / w
}

// computeShares marks the tree paths of ready streams and gives each
// eligible stream its fraction of the bandwidth: at every level, a node
// shares its parent's portion with its active siblings (those with data
// in their subtree) in proportion to the weights (RFC 7540, Section
// 5.3.2).
func (s *scheduler) computeShares() {
	s.dirty = false
	s.epoch++
	e := s.epoch
	s.root.activeEpoch, s.root.sumEpoch, s.root.activeSum = e, e, 0
	for _, st := range s.ready {
		// Each node that becomes active adds its weight to its parent's
		// sum exactly once; the walk stops at the first node already
		// active. (An epoch per field: a stale share or a parent first
		// seen as a parent must not stop the walk.)
		for n := s.nodeFor(st); n != &s.root && n.activeEpoch != e; n = n.parent {
			n.activeEpoch = e
			p := n.parent
			if p.sumEpoch != e {
				p.sumEpoch, p.activeSum = e, 0
			}
			p.activeSum += n.weight
		}
	}
	for _, st := range s.ready {
		st.node.share = s.shareOf(st.node)
	}
}

// shareOf computes a node's share from its path; a node whose ancestor
// has data of its own waits (share 0).
func (s *scheduler) shareOf(n *prioNode) float64 {
	share := 1.0
	for x := n; x != &s.root; x = x.parent {
		if x != n && x.s != nil && x.s.ready {
			return 0
		}
		if p := x.parent; p.activeSum > 0 {
			share *= float64(x.weight) / float64(p.activeSum)
		}
	}
	return share
}

// nodeFor returns st's tree node, creating a default one (weight 16 under
// the root) if needed.
func (s *scheduler) nodeFor(st *stream) *prioNode {
	if st.node == nil {
		n := s.node(st.id)
		n.s = st
		st.node = n
	}
	return st.node
}

func (s *scheduler) node(id uint32) *prioNode {
	if id == 0 {
		return &s.root
	}
	if s.nodes == nil {
		s.nodes = make(map[uint32]*prioNode)
	}
	n := s.nodes[id]
	if n == nil {
		n = &prioNode{id: id, weight: 16, parent: &s.root}
		s.root.children = append(s.root.children, n)
		s.nodes[id] = n
	}
	return n
}

// keepIdle remembers a node without a stream, dropping the oldest such
// nodes beyond the limit (Limits.MaxPriorityNodes).
func (s *scheduler) keepIdle(n *prioNode) {
	s.idle = append(s.idle, n.id)
	for len(s.idle) > s.maxIdle {
		id := s.idle[0]
		s.idle = s.idle[1:]
		if old := s.nodes[id]; old != nil && old.s == nil {
			s.drop(old)
		}
	}
}

// drop removes a node; its children move to its parent (RFC 7540, 5.3.4).
func (s *scheduler) drop(n *prioNode) {
	p := n.parent
	p.children = removeChild(p.children, n)
	for _, ch := range n.children {
		ch.parent = p
		p.children = append(p.children, ch)
	}
	n.children = nil
	delete(s.nodes, n.id)
	s.dirty = true
}

func removeChild(list []*prioNode, n *prioNode) []*prioNode {
	for i, x := range list {
		if x == n {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// setTreePriority applies RFC 7540 priority information (a PRIORITY frame
// or the priority fields of HEADERS) to stream id (RFC 7540, 5.3.3); st
// is its record, nil for a stream that is idle or closed.
func (s *scheduler) setTreePriority(id uint32, st *stream, p frame.PriorityParam) {
	if s.use9218 {
		return // RFC 9218, Section 2.1: signals ignored
	}
	s.useTree = true
	n := s.node(id)
	if st != nil && st.node == nil {
		n.s = st
		st.node = n
	} else if n.s == nil && st == nil {
		s.keepIdle(n)
	}
	dep := &s.root
	if p.StreamDep != 0 {
		if d, ok := s.nodes[p.StreamDep]; ok {
			dep = d
		} else {
			// RFC 7540, 5.3.1: a dependency on a stream not in the tree
			// gets the default priority.
			dep = s.node(p.StreamDep)
			s.keepIdle(dep)
		}
	}
	// RFC 7540, 5.3.3: if dep depends on n, dep first moves to n's parent.
	for x := dep; x != &s.root; x = x.parent {
		if x == n {
			dep.parent.children = removeChild(dep.parent.children, dep)
			dep.parent = n.parent
			n.parent.children = append(n.parent.children, dep)
			break
		}
	}
	n.parent.children = removeChild(n.parent.children, n)
	if p.Exclusive {
		for _, ch := range dep.children {
			ch.parent = n
			n.children = append(n.children, ch)
		}
		dep.children = dep.children[:0]
	}
	n.parent = dep
	dep.children = append(dep.children, n)
	n.weight = int(p.Weight) + 1
	s.dirty = true
}

// setUrgency applies an RFC 9218 priority to st.
func (s *scheduler) setUrgency(st *stream, p Priority) {
	st.prio = p
	if p != DefaultPriority && !s.useTree {
		s.use9218 = true
	}
	s.dirty = true
}

// takePending returns a priority that arrived by PRIORITY_UPDATE before
// its stream opened.
func (s *scheduler) takePending(id uint32) (Priority, bool) {
	p, ok := s.pending[id]
	if ok {
		delete(s.pending, id)
	}
	return p, ok
}
