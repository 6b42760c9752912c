// Command h2kit is a set of HTTP/2 tools built on the h2kit engine:
//
//	h2kit get   URL...   fetch URLs (like nghttp)
//	h2kit serve [DIR]    serve files (like nghttpd)
//	h2kit bench URL...   load-test a server (like h2load)
//	h2kit help [COMMAND] print usage
//	h2kit version        print the version
//
// Each subcommand lives in its own file and registers itself from an init
// function (see register); it parses its own flags with its own
// flag.FlagSet, so `h2kit COMMAND -h` prints that command's usage.
//
// Exit status: 0 on success, 1 when the command ran and failed (for bench:
// a request errored), 2 for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit statuses shared by all subcommands.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line, for the command list
	// run executes the command with the arguments that follow its name
	// and returns the exit status. It writes results to stdout and
	// diagnostics to stderr.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands holds the registered subcommands by name.
var commands = map[string]*command{}

// register adds a subcommand; each subcommand file calls it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("h2kit: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func init() {
	register(&command{name: "help", summary: "print usage of h2kit or of one command", run: runHelp})
	register(&command{name: "version", summary: "print the version of h2kit", run: runVersion})
}

func main() {
	stop := startProfile() // profile.go: H2KIT_CPUPROFILE=FILE
	code := dispatch(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0] and returns the exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := commands[name]
	if c == nil {
		fmt.Fprintf(stderr, "h2kit: unknown command %q\n", name)
		printUsage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// printUsage lists the commands.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: h2kit COMMAND [ARGS]...")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "h2kit help COMMAND" or "h2kit COMMAND -h" for a command's options.`)
}

// runHelp prints the command list, or one command's usage by running it
// with -h.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return exitOK
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(stderr, "h2kit help: unknown command %q\n", args[0])
		return exitUsage
	}
	if c.name == "help" || c.name == "version" {
		fmt.Fprintf(stdout, "usage: h2kit %s\n\n%s\n", c.name, c.summary)
		return exitOK
	}
	return c.run([]string{"-h"}, stdout, stderr)
}

// runVersion prints the module version and the commit it was built from.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: h2kit version")
		return exitUsage
	}
	bi, _ := debug.ReadBuildInfo() // nil without build information
	fmt.Fprint(stdout, versionText(bi))
	return exitOK
}

// versionText describes a build: the main module's version ("(devel)"
// when built from a checkout rather than installed at a version), the
// commit, its time and whether the tree had changes not committed
// (recorded by go build from the version control system), and the Go
// version. bi nil means no build information.
//
//	h2kit (devel)
//	commit   47317f9e0a1b2c3d4e5f60718293a4b5c6d7e8f9 (2026-12-05T10:00:00Z), with changes not committed
//	go       go1.26.0 linux/amd64
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "h2kit: no build information in this binary\n"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, modified, goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "h2kit %s\n", v)
	switch {
	case rev != "":
		fmt.Fprintf(&b, "commit   %s", rev)
		if at != "" {
			fmt.Fprintf(&b, " (%s)", at)
		}
		if modified == "true" {
			b.WriteString(", with changes not committed")
		}
		b.WriteString("\n")
	case v == "(devel)":
		b.WriteString("commit   unknown (built without version control information)\n")
	}
	goVersion := bi.GoVersion
	if goos != "" {
		goVersion += " " + goos + "/" + goarch
	}
	fmt.Fprintf(&b, "go       %s\n", goVersion)
	return b.String()
}
