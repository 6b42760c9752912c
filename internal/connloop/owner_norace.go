//go:build !race

package connloop

// ownerCheck checks nothing outside race builds (see owner_race.go): the
// calls compile to nothing.
type ownerCheck struct{}

func (*ownerCheck) start() {}
func (*ownerCheck) stop()  {}
func (*ownerCheck) enter() {}
func (*ownerCheck) leave() {}
func (*ownerCheck) check() {}
