package main

import (
	"fmt"
	"regexp"
	"testing"
)

// TestGetE2EStreamOrder: the URLs of the command line open their streams
// in order, 1, 3, 5, ... (as nghttp numbers them, so -v traces compare),
// whatever the order in which their goroutines reach the connection.
func TestGetE2EStreamOrder(t *testing.T) {
	srv := startServe(t, "--h2c")
	args := []string{"-nv"}
	var want []string
	for i := 1; i <= 8; i++ {
		args = append(args, fmt.Sprintf("%s/bytes/%d", srv.url, i))
		want = append(want, fmt.Sprintf("%d /bytes/%d", 2*i-1, i))
	}
	headers := regexp.MustCompile(`send HEADERS frame <[^>]*stream_id=(\d+)>(?s:.*?):path: (\S+)`)
	for run := range 5 {
		code, out, errs := getCmd(t, args...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		var got []string
		for _, m := range headers.FindAllStringSubmatch(out+errs, -1) {
			got = append(got, m[1]+" "+m[2])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d: streams and paths %v, want %v", run, got, want)
		}
	}
}
