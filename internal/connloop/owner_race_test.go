//go:build race

package connloop

import (
	"strings"
	"testing"
)

// In race builds AssertOwner passes on the owner goroutine, and before
// and after Run, and panics, naming both goroutines, elsewhere, and while
// Run runs but no goroutine holds the Loop.
func TestOwnerCheck(t *testing.T) {
	var o ownerCheck
	o.check() // no owner yet: anyone may
	o.start()
	o.enter()
	o.check()
	got := make(chan any, 1)
	go func() {
		defer func() { got <- recover() }()
		o.check()
	}()
	if p, _ := (<-got).(string); !strings.Contains(p, "owner-only code called on goroutine") {
		t.Errorf("check from another goroutine: panic %q", p)
	}
	o.leave()
	go func() {
		defer func() { got <- recover() }()
		o.check()
	}()
	if p, _ := (<-got).(string); !strings.Contains(p, "(0: none)") {
		t.Errorf("check while no goroutine owns the loop: panic %q", p)
	}
	o.stop()
	go func() {
		defer func() { got <- recover() }()
		o.check()
	}()
	if p := <-got; p != nil {
		t.Errorf("check after Run panicked: %v", p)
	}
}
