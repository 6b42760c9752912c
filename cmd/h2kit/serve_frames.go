package main

// This file lets the demo page draw its own connection. While serve
// serves the demo site, each HTTP/2 connection keeps a bounded record of
// its frames (a timelineRecorder, as get --timeline's, held by the
// trackedConn and dropped with it), and GET /.h2kit/frames answers with
// the record of the connection that carries the request, as the JSON
// that demo/timeline.js draws: the page fetches it on the connection it
// was loaded on, so it sees the real interleaving of its own streams.
//
// The connection of a request is found by its RemoteAddr, unique among
// the open connections (as the push diary finds it). A request over
// HTTP/1.1 has no record: 404, with a JSON error saying so.

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/h2kit/h2kit"
)

// Caps of a connection's frame record: past them, frames are counted,
// not kept. A page load and a few bursts of the demo fit.
const (
	serveFramesMax   = 4000
	serveFramesBytes = 1 << 20
	// serveFramesTotal bounds the records of all the connections
	// together: past it (many connections at once), new frames are
	// counted, not kept, until closed connections give theirs back.
	serveFramesTotal = 64 << 20
)

// serveFramesPath is where a connection's record is served.
const serveFramesPath = "/.h2kit/frames"

// serveTracers returns the NewTracer of the HTTP/2 server: -v's tracer
// (trace non-nil) and, with record, the frame record of each connection;
// nil when neither is wanted.
func (ct *connTracker) serveTracers(trace *traceOutput, record bool) func(net.Conn) h2kit.Tracer {
	var total atomic.Int64 // the bytes all the records hold
	var verbose func(net.Conn) h2kit.Tracer
	if trace != nil {
		verbose = ct.tracerFunc(trace)
	}
	if !record {
		return verbose
	}
	return func(c net.Conn) h2kit.Tracer {
		var t h2kit.Tracer
		if verbose != nil {
			t = verbose(c)
		}
		tc := ct.lookup(c)
		if tc == nil {
			return t // not from our listeners: nowhere to keep a record
		}
		r := newTimelineRecorder(h2kit.Server, c.RemoteAddr().String(), time.Now(), serveFramesMax, serveFramesBytes)
		r.shared, r.sharedMax = &total, serveFramesTotal
		tc.frames.Store(r) // released by tc.Close
		return teeTracers(t, r)
	}
}

// frames returns the frame record of the open connection whose remote
// address is remote, or nil.
func (ct *connTracker) frames(remote string) *timelineRecorder {
	ct.mu.Lock()
	tc := ct.conns[remote]
	ct.mu.Unlock()
	if tc == nil {
		return nil
	}
	return tc.frames.Load()
}

// connID returns the number of the open connection whose remote address
// is remote, or 0.
func (ct *connTracker) connID(remote string) int64 {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if tc := ct.conns[remote]; tc != nil {
		return tc.id
	}
	return 0
}

// withDemoRoutes serves serveFramesPath from ct's records, serveH1Path
// from *h1 (the HTTP/1.1 origin, once started; see serve_h1.go), and the
// rest with h.
func withDemoRoutes(h http.Handler, ct *connTracker, h1 **h1Origin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case serveFramesPath:
		case serveH1Path:
			w.Header().Set("Server", "h2kit")
			if *h1 == nil {
				http.NotFound(w, r)
				return
			}
			(*h1).serveWhere(w, r)
			return
		default:
			if strings.HasPrefix(r.URL.Path, "/delay/") {
				// The page's burst counts the connections its answers
				// came on (as the HTTP/1.1 origin's, serve_h1.go).
				if id := ct.connID(r.RemoteAddr); id != 0 {
					w.Header().Set("h2kit-conn", strconv.FormatInt(id, 10))
				}
			}
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Server", "h2kit")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			json.NewEncoder(w).Encode(map[string]string{"error": "GET only"})
			return
		}
		rec := ct.frames(r.RemoteAddr)
		if rec == nil || r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "this request came over " + r.Proto + ": only HTTP/2 connections have a frame record"})
			return
		}
		c := rec.snapshot()
		c.Label = "this page's connection, from " + r.RemoteAddr
		doc := &timelineDoc{Title: "h2kit serve: the frames of this connection", Date: rec.start.UTC().Format(time.RFC3339), Conns: []*tlConn{c}}
		json.NewEncoder(w).Encode(doc)
	})
}
