package h2server

import (
	"context"
	"net"
	"net/http"
)

// The http.Server hooks net/http calls for its connections, called here
// for HTTP/2 connections as net/http (with its bundled HTTP/2) does:
//
//   - ConnState: net/http reports StateNew when it accepts a connection
//     and StateClosed when it is over; its HTTP/2 server reports
//     StateActive then StateIdle when the connection starts, and then
//     StateActive when a stream opens on an idle connection and
//     StateIdle when the last open stream closes. A connection that
//     ConfigureServer gets from net/http (TLS) has StateNew and
//     StateClosed from net/http; one ServeH2C accepts and finds to be
//     HTTP/2 gets both from here; one taken over from net/http's HTTP/1.1
//     (h2c Upgrade, or a preface net/http parsed) was reported
//     StateHijacked by net/http, and gets StateClosed from here at its
//     end (net/http would not, the connection being hijacked, but a
//     ConnState that counts connections would miss its end otherwise).
//   - BaseContext and ConnContext: the base of every request's context.
//     On the TLS path net/http calls them and hands the connection's
//     context to TLSNextProto's handler (its BaseContext method); ServeH2C
//     calls BaseContext once per listener and ConnContext per HTTP/2
//     connection it accepts; a taken-over connection keeps the values of
//     the HTTP/1.1 request's context (without its cancellation).

// baseContexter is the handler net/http passes to TLSNextProto: its
// BaseContext is the connection's context, made with the http.Server's
// BaseContext and ConnContext.
type baseContexter interface {
	BaseContext() context.Context
}

// listenerContext is what net/http's Serve makes of hs.BaseContext.
func listenerContext(hs *http.Server, l net.Listener) context.Context {
	if hs == nil || hs.BaseContext == nil {
		return context.Background()
	}
	ctx := hs.BaseContext(l)
	if ctx == nil {
		panic("h2server: http.Server.BaseContext returned a nil context") // as net/http
	}
	return ctx
}

// connContext is what net/http's Serve makes of hs.ConnContext.
func connContext(hs *http.Server, ctx context.Context, c net.Conn) context.Context {
	if hs == nil || hs.ConnContext == nil {
		return ctx
	}
	ctx = hs.ConnContext(ctx, c)
	if ctx == nil {
		panic("h2server: http.Server.ConnContext returned a nil context") // as net/http
	}
	return ctx
}

// setConnState reports state to the http.Server's ConnState, if any.
func (sc *serverConn) setConnState(state http.ConnState) {
	if sc.connState != nil {
		sc.connState(sc.nc, state)
	}
}

// noteConnState reports StateActive when the connection's first open
// stream appears and StateIdle when its last one closes (owner).
func (sc *serverConn) noteConnState() {
	if active := sc.eng.ActiveStreams() > 0; active != sc.stateActive {
		sc.stateActive = active
		if active {
			sc.setConnState(http.StateActive)
		} else {
			sc.setConnState(http.StateIdle)
		}
	}
}

// startConnState reports the start of the connection: StateNew when
// h2server accepted it itself, then StateActive and StateIdle (or
// StateActive only, when an Upgrade request is already in flight).
func (sc *serverConn) startConnState(reportNew bool) {
	if sc.connState == nil {
		return
	}
	if reportNew {
		sc.setConnState(http.StateNew)
	}
	sc.setConnState(http.StateActive)
	sc.stateActive = true
	sc.noteConnState()
}
