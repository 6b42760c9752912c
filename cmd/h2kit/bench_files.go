package main

// This file holds the files of h2kit bench other than -d's: the URL list
// of -i and the per-request log of --log-file.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// readInputFile adds the URLs of -i's file (standard input for "-") to
// o.urls, one per line; blank lines are skipped. A file that cannot be
// read is a *fileError; a bad line is a usage error naming its line.
func (o *benchOptions) readInputFile(stdin io.Reader) error {
	r := stdin
	if o.inputFile != "-" {
		f, err := os.Open(o.inputFile)
		if err != nil {
			return &fileError{fmt.Errorf("-i: %w", err)}
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r) // lines up to 64 KiB, far above any URL a server takes
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		if err := o.addURL(raw, fmt.Sprintf("-i %s, line %d", o.inputFile, line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &fileError{fmt.Errorf("-i %s: %w", o.inputFile, err)}
	}
	return nil
}

// logFlushSize is how much of the request log a worker gathers before it
// writes: one write per few hundred requests.
const logFlushSize = 16 << 10

// benchLog is the --log-file destination shared by the workers. Each
// worker formats its lines into a buffer of its own (appendLogLine,
// without allocating) and hands it over in batches.
type benchLog struct {
	mu  sync.Mutex
	w   io.Writer
	err error // the first write error, reported at the end
}

// write writes one worker's batch of lines.
func (l *benchLog) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("--log-file: %w", err)
	}
}

// appendLogLine appends the log line of a request, as h2load's --log-file
// has it: the start time in microseconds since the Unix epoch, the status
// code (-1 for a request without a complete response) and the
// microseconds from the start to the end of the response (or to the
// failure), separated by tabs.
func appendLogLine(b []byte, start time.Time, status int, end time.Time) []byte {
	b = strconv.AppendInt(b, start.UnixMicro(), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(end.Sub(start)/time.Microsecond), 10)
	return append(b, '\n')
}
