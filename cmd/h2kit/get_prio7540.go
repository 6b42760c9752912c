package main

// This file holds get's RFC 7540 priorities, as nghttp sends them: -p
// (the weight of each URL) and --dep-idle (anchor streams, and each
// request made dependent on an anchor by its kind). RFC 9113, Section
// 5.3.2 deprecates them; a server may ignore them.

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/h2kit/h2kit/h2client"
)

// weightList parses -p, repeatable: the N-th -p is the weight of the
// N-th URL.
type weightList struct{ w *[]int }

func (v weightList) String() string {
	if v.w == nil {
		return ""
	}
	return fmt.Sprint(*v.w)
}

func (v weightList) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 256 {
		// RFC 7540, Section 5.3.2: a weight is 1 to 256.
		return fmt.Errorf("weight %q: want 1 to 256", s)
	}
	*v.w = append(*v.w, n)
	return nil
}

// The anchors of --dep-idle, in the order they are sent (so on the
// connection's first client stream ids: 1 to 9, or 3 to 11 after -u's
// upgraded stream 1), as positions in depIdleAnchors plus one. They are
// the idle streams nghttp (and Firefox before RFC 9218) makes: what
// blocks the page's rendering leads, the rest follows it.
const (
	anchorLeaders     = 1 + iota // weight 201, under the root: stylesheets and scripts
	anchorUnblocked              // weight 101, under the root: unused by get
	anchorBackground             // weight 1, under the root: unused by get
	anchorSpeculative            // weight 1, under background: unused by get
	anchorFollowers              // weight 1, under leaders: the URLs given, images
)

// depIdleAnchors are the anchors of --dep-idle.
var depIdleAnchors = []h2client.Anchor{
	anchorLeaders - 1:     {Weight: 201},
	anchorUnblocked - 1:   {Weight: 101},
	anchorBackground - 1:  {Weight: 1},
	anchorSpeculative - 1: {DependsOn: anchorBackground, Weight: 1},
	anchorFollowers - 1:   {DependsOn: anchorLeaders, Weight: 1},
}

// checkWeights checks -p and --dep-idle against the rest of the command
// line.
func checkWeights(o *getOptions) error {
	if o.ws && (len(o.weights) > 0 || o.depIdle) {
		return errors.New("--ws: -p and --dep-idle do not apply (one stream, nothing to weigh it against)")
	}
	if len(o.weights) > len(o.urls) {
		return fmt.Errorf("-p given %d times for %d URL(s): the N-th -p is the weight of the N-th URL", len(o.weights), len(o.urls))
	}
	return nil
}

// urlPriority is the RFC 7540 priority of the i-th URL of the command
// line: the i-th -p (the last one for the URLs after it; default 16),
// under the followers anchor with --dep-idle, else under the root; nil
// (no priority fields) without -p or --dep-idle.
func (o *getOptions) urlPriority(i int) *h2client.StreamPriority {
	if len(o.weights) == 0 && !o.depIdle {
		return nil
	}
	p := &h2client.StreamPriority{Weight: 16}
	if n := len(o.weights); n > 0 {
		p.Weight = o.weights[min(i, n-1)]
	}
	if o.depIdle {
		p.Anchor = anchorFollowers
	}
	return p
}

// assetPriority is the RFC 7540 priority of an asset of -a with
// --dep-idle: stylesheets and scripts weigh 32 under the leaders, images
// 12 under the followers, as nghttp sends them; nil without --dep-idle.
func (o *getOptions) assetPriority(k assetKind) *h2client.StreamPriority {
	if !o.depIdle {
		return nil
	}
	if k == assetImage {
		return &h2client.StreamPriority{Anchor: anchorFollowers, Weight: 12}
	}
	return &h2client.StreamPriority{Anchor: anchorLeaders, Weight: 32}
}

// anchors is the Transport's PriorityAnchors: depIdleAnchors with
// --dep-idle, else none.
func (o *getOptions) anchors() []h2client.Anchor {
	if !o.depIdle {
		return nil
	}
	return depIdleAnchors
}
