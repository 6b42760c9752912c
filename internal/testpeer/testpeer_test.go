package testpeer

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// verdict is a testing.TB that records how a helper ended the test
// (Fatalf, Skipf, Errorf) instead of ending the real one, so that the
// helpers' skip-or-fail decisions can be checked.
type verdict struct {
	testing.TB
	mu                  sync.Mutex
	fatal, skip, errors []string
}

func (v *verdict) Helper() {}

func (v *verdict) Fatalf(format string, args ...any) {
	v.mu.Lock()
	v.fatal = append(v.fatal, fmt.Sprintf(format, args...))
	v.mu.Unlock()
	runtime.Goexit()
}

func (v *verdict) Skipf(format string, args ...any) {
	v.mu.Lock()
	v.skip = append(v.skip, fmt.Sprintf(format, args...))
	v.mu.Unlock()
	runtime.Goexit()
}

func (v *verdict) Errorf(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errors = append(v.errors, fmt.Sprintf(format, args...))
}

func (v *verdict) Logf(string, ...any) {}

// judge runs f with a verdict on its own goroutine (Fatalf and Skipf end
// it as they end a test) and returns the verdict.
func judge(t *testing.T, f func(testing.TB)) *verdict {
	v := &verdict{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(v)
	}()
	<-done
	return v
}

// TestPath: a program on PATH is found; a missing one skips the test, or
// fails it when H2KIT_REQUIRE_PEERS=1.
func TestPath(t *testing.T) {
	t.Setenv(RequireEnv, "")
	want, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	var got string
	if v := judge(t, func(tb testing.TB) { got = Path(tb, "sh") }); got != want || v.fatal != nil || v.skip != nil {
		t.Fatalf("Path(sh) = %q (fatal %q, skip %q), want %q", got, v.fatal, v.skip, want)
	}
	const missing = "h2kit-no-such-peer"
	v := judge(t, func(tb testing.TB) { Path(tb, missing) })
	if len(v.skip) != 1 || v.fatal != nil || !strings.Contains(v.skip[0], missing) {
		t.Errorf("missing peer: skip %q, fatal %q; want one skip", v.skip, v.fatal)
	}
	t.Setenv(RequireEnv, "1")
	if !Required() {
		t.Fatal("Required() is false with H2KIT_REQUIRE_PEERS=1")
	}
	v = judge(t, func(tb testing.TB) { Path(tb, missing) })
	if len(v.fatal) != 1 || v.skip != nil || !strings.Contains(v.fatal[0], RequireEnv) {
		t.Errorf("missing required peer: fatal %q, skip %q; want one failure naming %s", v.fatal, v.skip, RequireEnv)
	}
}

// TestOutput: a program's standard output and error written into one
// Output while the test reads it (the race detector checks the locking).
func TestOutput(t *testing.T) {
	sh := Path(t, "sh")
	var out Output
	cmd := exec.Command(sh, "-c", `for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done`)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for reading := true; reading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			reading = false
		default:
			_ = out.String()
			time.Sleep(time.Millisecond)
		}
	}
	got := out.String()
	for i := 1; i <= 5; i++ {
		for _, s := range []string{"out", "err"} {
			if !strings.Contains(got, s+strconv.Itoa(i)+"\n") {
				t.Errorf("output %q lacks %s%d", got, s, i)
			}
		}
	}
}

// TestListen: the listener is on 127.0.0.1, accepts, and is closed when
// its test ends.
func TestListen(t *testing.T) {
	var addr string
	t.Run("open", func(t *testing.T) {
		l := Listen(t)
		addr = l.Addr().String()
		if ip := l.Addr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Fatalf("listening on %v", ip)
		}
		go func() {
			if c, err := l.Accept(); err == nil {
				c.Write([]byte("hi"))
				c.Close()
			}
		}()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if b, err := io.ReadAll(c); err != nil || string(b) != "hi" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the listener still accepts after its test ended")
	}
}

// TestFreePortWaitListening: the port FreePort gives can be listened on;
// WaitListening returns once a server that starts a little later accepts,
// having connected to it.
func TestFreePortWaitListening(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	accepted := make(chan struct{})
	go func() {
		time.Sleep(100 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer l.Close()
		if c, err := l.Accept(); err == nil {
			c.Close()
			close(accepted)
		}
	}()
	WaitListening(t, addr, 5*time.Second, nil)
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("WaitListening returned without having connected")
	}
}

// TestRunH2Spec: one section of h2spec against net/http's own HTTP/2
// server (cleartext, prior knowledge) passes and is counted; against a
// server that closes every connection it fails, and RunH2Spec reports it.
func TestRunH2Spec(t *testing.T) {
	bin := H2Spec(t)
	l := Listen(t)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}), Protocols: new(http.Protocols), ErrorLog: log.New(io.Discard, "", 0)}
	hs.Protocols.SetUnencryptedHTTP2(true)
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	_, port, _ := net.SplitHostPort(l.Addr().String())
	res := RunH2Spec(t, bin, "ping", []string{"http2/6.7", "-h", "127.0.0.1", "-p", port, "-o", "2"})
	if res.Total == 0 || res.Failed != 0 {
		t.Fatalf("%+v, want every case passed", res)
	}

	closing := Listen(t)
	go func() {
		for {
			c, err := closing.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(closing.Addr().String())
	v := judge(t, func(tb testing.TB) {
		res = RunH2Spec(tb, bin, "closing", []string{"http2/6.7", "-h", "127.0.0.1", "-p", port, "-o", "1"})
	})
	if v.fatal != nil || res.Failed == 0 || len(v.errors) != 1 || !strings.Contains(v.errors[0], "cases failed") {
		t.Fatalf("against a server that closes: %+v, errors %q, fatal %q", res, v.errors, v.fatal)
	}
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"a\nb\n", 1, ""},
		{"", 3, ""},
	} {
		if got := LastLines(c.s, c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
