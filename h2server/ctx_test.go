package h2server

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

// TestReqCtx: a request's context behaves as context.WithCancel's: Done,
// Err, values from the parent, derived contexts and AfterFunc cancelled
// with it, and stop.
func TestReqCtx(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	ctx, rc, _ := newReqCtx(parent, nil)
	if rc == nil || ctx != context.Context(rc) {
		t.Fatalf("%T, want *reqCtx", ctx)
	}
	cancel := rc.cancel
	if ctx.Err() != nil || ctx.Value(ctxKey{}) != "v" {
		t.Fatalf("Err %v, Value %v", ctx.Err(), ctx.Value(ctxKey{}))
	}
	child, childCancel := context.WithCancel(ctx)
	defer childCancel()
	timed, timedCancel := context.WithTimeout(ctx, time.Hour)
	defer timedCancel()
	stopped, stoppedCancel := context.WithCancel(ctx)
	stoppedCancel() // unregisters itself
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	stop := context.AfterFunc(ctx, func() { t.Error("stopped AfterFunc ran") })
	if !stop() {
		t.Error("stop: false")
	}
	done := ctx.Done()
	select {
	case <-done:
		t.Fatal("done before cancel")
	default:
	}
	cancel()
	cancel()
	<-done
	<-child.Done()
	<-timed.Done()
	<-ran
	if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) ||
		!errors.Is(timed.Err(), context.Canceled) || !errors.Is(stopped.Err(), context.Canceled) {
		t.Fatalf("Err: %v %v %v %v", ctx.Err(), child.Err(), timed.Err(), stopped.Err())
	}
	// After cancel: Done closed, new derived contexts done at once.
	<-ctx.Done()
	late, lateCancel := context.WithCancel(ctx)
	defer lateCancel()
	<-late.Done()
	lateRan := make(chan struct{})
	context.AfterFunc(ctx, func() { close(lateRan) })
	<-lateRan

	// A parent that can be done: std's cancelCtx.
	p, pc := context.WithCancel(context.Background())
	c2, rc2, cancel2 := newReqCtx(p, nil)
	if rc2 != nil {
		t.Fatal("a reqCtx under a parent that can be done")
	}
	defer cancel2()
	pc()
	<-c2.Done()
}
