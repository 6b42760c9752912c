package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile starts a CPU profile of the whole run when the environment
// variable H2KIT_CPUPROFILE names a file (for profiling the tools under
// load, e.g. `serve` while h2load runs: the profile ends when serve stops
// on SIGINT or SIGTERM). It returns the function that stops the profile.
func startProfile() (stop func()) {
	path := os.Getenv("H2KIT_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "h2kit: H2KIT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
