package main

import (
	"flag"
	"io"
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
	for {
		if err := f.Parse(args); err != nil {
			return nil, nil, err
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
