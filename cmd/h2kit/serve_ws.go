package main

// This file holds serve's /ws endpoint: a WebSocket echo over HTTP/2
// (RFC 8441 extended CONNECT, TLS or h2c) and over HTTP/1.1 (the Upgrade
// handshake of RFC 6455), with github.com/coder/websocket doing the
// framing (see ws_h2.go for how it runs over an HTTP/2 stream).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Bounds of the /ws echo.
const (
	// wsMaxMessage is the largest message echoed; a larger one closes the
	// WebSocket with 1009 (message too big). It bounds what one echo holds.
	wsMaxMessage = 64 << 10
	// wsWriteTimeout bounds each write: a client that does not read its
	// echoes is dropped after it.
	wsWriteTimeout = 10 * time.Second
	// wsIdleTimeout closes a WebSocket on which nothing arrived for that
	// long.
	wsIdleTimeout = 5 * time.Minute
)

// wsEcho is the /ws handler. Each message received is sent back as it
// came (text or binary), after a first text message that names the
// protocol that carries the WebSocket ("HTTP/2 (RFC 8441) on stream 3,
// TLS" or "HTTP/1.1 Upgrade, cleartext"), which the demo page shows.
type wsEcho struct {
	writeTimeout time.Duration
	idleTimeout  time.Duration
	logger       *slog.Logger // nil: no log of failed WebSockets

	// stopping is closed when the server shuts down: every WebSocket is
	// then closed with 1001 (going away), so that the shutdown does not
	// wait for them. nil: never.
	stopping <-chan struct{}
}

// newWSEcho returns the /ws handler with the default bounds.
func newWSEcho(stopping <-chan struct{}, logger *slog.Logger) *wsEcho {
	return &wsEcho{writeTimeout: wsWriteTimeout, idleTimeout: wsIdleTimeout, stopping: stopping, logger: logger}
}

// wsCarrier describes what carries the WebSocket of r, for the first
// message: the protocol, the HTTP/2 stream and TLS or cleartext.
func wsCarrier(w http.ResponseWriter, r *http.Request) string {
	security := "cleartext"
	if r.TLS != nil {
		security = "TLS"
	}
	if r.ProtoMajor == 2 {
		if id := streamIDOf(w); id != 0 {
			return fmt.Sprintf("HTTP/2 (RFC 8441) on stream %d, %s", id, security)
		}
		return "HTTP/2 (RFC 8441), " + security
	}
	return "HTTP/1.1 Upgrade, " + security
}

// ServeHTTP accepts the WebSocket (over either protocol) and echoes on it
// until it ends; an end other than a close handshake is logged.
func (e *wsEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	carrier := wsCarrier(w, r) // before Accept: the stream id is the writer's
	c, err := acceptWebSocket(w, r, nil, e.writeTimeout)
	if err != nil {
		return // the answer (400, 403, 426) says why, in its body
	}
	defer c.CloseNow()
	c.SetReadLimit(wsMaxMessage)

	var closing atomic.Bool // we closed it (shutdown): its end is no news
	if e.stopping != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-e.stopping:
				// The close frame goes out while echo is blocked in
				// a read, which then returns the client's answer.
				closing.Store(true)
				c.Close(websocket.StatusGoingAway, "server shutting down")
			case <-done:
			}
		}()
	}

	err = e.echo(c, carrier)
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce), closing.Load():
		// A close frame: the client closed (its code is in ce), or we
		// did and it answered; or we closed it at shutdown.
	case e.logger != nil:
		// The client reset the stream or dropped the connection
		// mid-message, stopped reading (write timeout), or sent a
		// frame the library rejected (it closed with 1002 or 1009).
		e.logger.Info("ws: WebSocket ended without a close handshake", "carrier", carrier, "remote", r.RemoteAddr, "err", err)
	}
}

// echo sends the carrier line, then each message back, until the
// WebSocket ends; it returns how it ended (the library's error, a
// websocket.CloseError for a close frame).
func (e *wsEcho) echo(c *websocket.Conn, carrier string) error {
	if err := e.write(c, websocket.MessageText, []byte(carrier)); err != nil {
		return err
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), e.idleTimeout)
		typ, r, err := c.Reader(ctx)
		if err != nil {
			cancel()
			return err
		}
		// The message is read whole before it is echoed (at most
		// wsMaxMessage bytes, the read limit).
		msg, err := io.ReadAll(r)
		cancel()
		if err != nil {
			return err
		}
		if err := e.write(c, typ, msg); err != nil {
			return err
		}
	}
}

// write sends one message within the write timeout.
func (e *wsEcho) write(c *websocket.Conn, typ websocket.MessageType, p []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), e.writeTimeout)
	defer cancel()
	return c.Write(ctx, typ, p)
}
