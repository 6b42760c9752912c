package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// flags is a flag.FlagSet whose flags have a short and a long name (either
// may be empty), and whose arguments may mix flags and operands, as the
// nghttp2 tools accept them.
type flags struct{ *flag.FlagSet }

// newFlags returns an empty set that returns errors instead of printing
// them: each subcommand prints its own usage.
func newFlags(name string) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return flags{fs}
}

// names calls add for each non-empty name.
func names(short, long string, add func(name string)) {
	for _, n := range [2]string{short, long} {
		if n != "" {
			add(n)
		}
	}
}

func (f flags) str(p *string, short, long string) {
	names(short, long, func(n string) { f.StringVar(p, n, *p, "") })
}

func (f flags) boolean(p *bool, short, long string) {
	names(short, long, func(n string) { f.BoolVar(p, n, *p, "") })
}

func (f flags) integer(p *int, short, long string, def int) {
	*p = def
	names(short, long, func(n string) { f.IntVar(p, n, def, "") })
}

func (f flags) value(v flag.Value, short, long string) {
	names(short, long, func(n string) { f.Var(v, n, "") })
}

// parse parses args, flags and operands in any order, and returns the
// operands and the names of the flags that were given.
func (f flags) parse(args []string) (operands []string, given map[string]bool, err error) {
	all := args
	for {
		if err := f.Parse(args); err != nil {
			return nil, nil, f.wordError(err, all)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
	given = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	return operands, given, nil
}

// wordError rewrites an error of the flag package for the user: long
// flags with two dashes ("--timeout", where the flag package says
// "-timeout"), an unknown flag as it was typed, and plain words.
// flag.ErrHelp is returned as it is.
func (f flags) wordError(err error, args []string) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("option %s is not defined", typedAs(name, args))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("option %s needs a value", dashed(name))
	}
	// invalid value "V" for flag -NAME: E; invalid boolean value "V" for -NAME: E
	for _, p := range []string{" for flag -", " for -"} {
		if i := strings.Index(msg, p); i >= 0 {
			rest := msg[i+len(p):]
			name, detail, _ := strings.Cut(rest, ": ")
			if f.Lookup(name) == nil {
				break
			}
			head := strings.Replace(msg[:i], "invalid boolean value", "invalid value", 1)
			switch {
			case strings.HasPrefix(msg, "invalid boolean value"):
				detail = "it takes no value, or true or false"
			case detail == "parse error":
				detail = wantOf(f.Lookup(name).Value)
			}
			return fmt.Errorf("%s for %s: %s", head, dashed(name), detail)
		}
	}
	return err
}

// wantOf says what a flag of the flag package's own types takes, for
// its terse "parse error".
func wantOf(v flag.Value) string {
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			return "want a whole number"
		case float64:
			return "want a number"
		case time.Duration:
			return "want a duration such as 10s or 1m"
		}
	}
	return "not a valid value"
}

// dashed is a flag's name as the user writes it: "-n", "--null-out".
func dashed(name string) string {
	if len(name) > 1 {
		return "--" + name
	}
	return "-" + name
}

// typedAs returns the argument that named the flag name, as typed and
// without its value ("-nz", "--nope"), or name dashed if none is found.
func typedAs(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		k, _, _ := strings.Cut(a, "=")
		if k == "-"+name || k == "--"+name {
			return k
		}
	}
	return dashed(name)
}

// usageError prints err, a usage error of the command name, with the
// pointer to its help that every command gives, and returns exitUsage.
func usageError(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "h2kit %s: %v\nRun \"h2kit %s -h\" for usage.\n", name, err, name)
	return exitUsage
}
