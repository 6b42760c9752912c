package h2client

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// peerSpec says where a peer serves what the interop suite asks for;
// an empty path skips that check (the peer cannot do it).
type peerSpec struct {
	base      string
	h2c       bool   // cleartext: prior knowledge (and Upgrade when upgrade is set)
	upgrade   bool   // the peer supports h2c Upgrade
	hello     string // GET: body helloBody
	helloBody string
	big       func(n int) string // GET: n pattern bytes
	echo      string             // POST: the body back
	trailers  string             // GET: "body", trailer X-Sum: 42
	push      string             // GET: pushes pushed
	pushed    string             // the pushed path, body "pushed body"
}

func (p peerSpec) transport(t *testing.T) *Transport {
	tr := newTransport(t)
	tr.AllowHTTP = p.h2c
	return tr
}

// runInterop is the interop suite: GET, 1 MiB download through small
// windows, 1 MiB POST echoed, 50 concurrent requests in flight on one
// connection, trailers, push, and for h2c prior knowledge and Upgrade.
func runInterop(t *testing.T, p peerSpec) {
	t.Run("get", func(t *testing.T) {
		resp, body := getBody(t, client(p.transport(t)), p.base+p.hello)
		if resp.StatusCode != 200 || resp.ProtoMajor != 2 || body != p.helloBody {
			t.Fatalf("%s %s %q", resp.Proto, resp.Status, body)
		}
	})
	t.Run("download-1MiB-small-windows", func(t *testing.T) {
		tr := p.transport(t)
		tr.InitialWindowSize = 16 << 10
		tr.ConnectionWindow = 65535
		tr.DisableAutoWindow = true
		resp, err := client(tr).Get(p.base + p.big(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := checkPattern(resp.Body, 1<<20); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("post-1MiB-echo", func(t *testing.T) {
		if p.echo == "" {
			t.Skip("the peer does not echo")
		}
		resp, err := client(p.transport(t)).Post(p.base+p.echo, "application/octet-stream", &patternReader{n: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := checkPattern(resp.Body, 1<<20); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("concurrent-50", func(t *testing.T) { runConcurrent50(t, p) })
	t.Run("trailers", func(t *testing.T) {
		if p.trailers == "" {
			t.Skip("the peer sends no trailers")
		}
		resp, err := client(p.transport(t)).Get(p.base + p.trailers)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Trailer.Get("X-Sum") != "42" {
			t.Fatalf("trailer %v", resp.Trailer)
		}
	})
	t.Run("push", func(t *testing.T) {
		if p.push == "" {
			t.Skip("the peer does not push")
		}
		tr := p.transport(t)
		pushed := make(chan string, 4)
		tr.PushHandler = func(req *http.Request, resp *http.Response) {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pushed <- req.URL.Path + " " + string(b)
		}
		getBody(t, client(tr), p.base+p.push)
		select {
		case got := <-pushed:
			if want := p.pushed + " pushed body"; got != want {
				t.Fatalf("pushed %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("nothing pushed")
		}
	})
	if p.h2c {
		t.Run("prior-knowledge", func(t *testing.T) {
			tr := newTransport(t)
			tr.AllowHTTP = true
			if resp, body := getBody(t, client(tr), p.base+p.hello); resp.ProtoMajor != 2 || body != p.helloBody {
				t.Fatalf("%s %q", resp.Proto, body)
			}
		})
		t.Run("upgrade", func(t *testing.T) {
			if !p.upgrade {
				t.Skip("the peer does not support h2c Upgrade")
			}
			tr := newTransport(t)
			tr.UpgradeH2C = true
			for i := range 2 {
				// (x/net's h2c server shows the upgraded request to its
				// handler as HTTP/1.1.)
				resp, body := getBody(t, client(tr), p.base+p.hello)
				if resp.ProtoMajor != 2 || (body != p.helloBody && (i > 0 || body != "hello HTTP/1.1")) {
					t.Fatalf("request %d: %s %q", i, resp.Proto, body)
				}
			}
			if n := len(tr.getPool().connsFor(poolKey(p.base))); n != 1 {
				t.Fatalf("%d pooled connections after the Upgrade", n)
			}
		})
	}
}

// runConcurrent50 shows 50 requests in flight at once on one connection
// without server help: each response is 256 KiB through 64 KiB stream
// windows, so no stream can end before the client reads; all 50 header
// sections arrive before any body byte is read.
func runConcurrent50(t *testing.T, p peerSpec) {
	tr := p.transport(t)
	tr.InitialWindowSize = 64 << 10
	tr.ConnectionWindow = 16 << 20
	tr.DisableAutoWindow = true
	const n, size = 50, 256 << 10
	// One connection first, so that all requests share it.
	getBody(t, client(tr), p.base+p.hello)
	var cc connCounter
	resps := make([]*http.Response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", p.base+p.big(size), nil)
			resps[i], errs[i] = tr.RoundTrip(cc.trace(req))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	if cc.n() != 1 {
		t.Fatalf("%d connections, want 1", cc.n())
	}
	conns := tr.getPool().connsFor(poolKey(p.base))
	if len(conns) != 1 {
		t.Fatalf("%d pooled connections", len(conns))
	}
	// All 50 responses are open on the server's side too: none could end.
	if got := conns[0].maxOpen.Load(); got < n {
		t.Fatalf("at most %d streams open at once, want %d", got, n)
	}
	for i := range n {
		if err := checkPattern(resps[i].Body, size); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		resps[i].Body.Close()
	}
}

// poolKey is the pool's key of a base URL.
func poolKey(base string) originKey {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	return originKey{u.Scheme, canonicalAddr(u)}
}

// goSpec is the spec of the in-process servers that run testHandler.
func goSpec(base string, h2c, upgrade, push bool) peerSpec {
	p := peerSpec{
		base: base, h2c: h2c, upgrade: upgrade,
		hello: "/hello", helloBody: "hello HTTP/2.0",
		big:  func(n int) string { return "/bytes?n=" + strconv.Itoa(n) },
		echo: "/echo", trailers: "/trailers",
	}
	if push {
		p.push, p.pushed = "/push", "/pushed"
	}
	return p
}

func TestInteropH2Server(t *testing.T) {
	th := newTestHandler()
	t.Run("tls", func(t *testing.T) { runInterop(t, goSpec(startH2Server(t, th, nil), false, false, true)) })
	t.Run("h2c", func(t *testing.T) { runInterop(t, goSpec(startH2ServerH2C(t, th, nil), true, true, true)) })
}

func TestInteropGo(t *testing.T) {
	th := newTestHandler()
	t.Run("tls", func(t *testing.T) { runInterop(t, goSpec(startGoTLS(t, th), false, false, true)) })
	t.Run("h2c-xnet", func(t *testing.T) { runInterop(t, goSpec(startXnetH2C(t, th), true, true, true)) })
}

// htdocs writes the files the static servers (nghttpd, h2o) serve.
func htdocs(t *testing.T) string {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hello.txt", []byte("hello"))
	write("push.html", []byte("main"))
	write("pushed.txt", []byte("pushed body"))
	for _, n := range []int{256 << 10, 1 << 20} {
		var b bytes.Buffer
		io.Copy(&b, &patternReader{n: n})
		write(fmt.Sprintf("p%d.bin", n), b.Bytes())
	}
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent: peers may run as nobody
	return dir
}

func staticBig(n int) string { return fmt.Sprintf("/p%d.bin", n) }

// startProcess runs a peer until the test ends; it is killed by its PID.
func startProcess(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, testpeer.LastLines(out.String(), 30))
		}
	})
	return cmd
}

func TestInteropNghttpd(t *testing.T) {
	bin := testpeer.Path(t, "nghttpd")
	dir := htdocs(t)
	certFile, keyFile := certFiles(t, t.TempDir())
	common := []string{"-a", "127.0.0.1", "-d", dir, "--echo-upload", "--trailer", "x-sum: 42", "-p", "/push.html=/pushed.txt"}
	spec := func(base string, h2c bool) peerSpec {
		return peerSpec{base: base, h2c: h2c, hello: "/hello.txt", helloBody: "hello", big: staticBig,
			echo: "/echo", trailers: "/hello.txt", push: "/push.html", pushed: "/pushed.txt"}
	}
	t.Run("tls", func(t *testing.T) {
		port := testpeer.FreePort(t)
		startProcess(t, bin, append(common, strconv.Itoa(port), keyFile, certFile)...)
		testpeer.WaitListening(t, "127.0.0.1:"+strconv.Itoa(port), 5*time.Second, nil)
		runInterop(t, spec("https://127.0.0.1:"+strconv.Itoa(port), false))
	})
	t.Run("no-tls", func(t *testing.T) {
		port := testpeer.FreePort(t)
		startProcess(t, bin, append(common, "--no-tls", strconv.Itoa(port))...)
		testpeer.WaitListening(t, "127.0.0.1:"+strconv.Itoa(port), 5*time.Second, nil)
		runInterop(t, spec("http://127.0.0.1:"+strconv.Itoa(port), true))
	})
}

// h2oConfig serves dir on a TLS and a cleartext port, with an echo and a
// push (Link: rel=preload) handler in mruby.
const h2oConfig = `user: %s
error-log: %s/error.log
listen:
  host: 127.0.0.1
  port: %d
  ssl:
    certificate-file: %s
    key-file: %s
listen:
  host: 127.0.0.1
  port: %d
hosts:
  default:
    paths:
      /echo:
        mruby.handler: |
          Proc.new do |env|
            [200, {}, [env["rack.input"].read]]
          end
      /push:
        mruby.handler: |
          Proc.new do |env|
            [200, {"link" => "</pushed.txt>; rel=preload"}, ["main"]]
          end
      /:
        file.dir: %s
`

func TestInteropH2O(t *testing.T) {
	bin := testpeer.Path(t, "h2o")
	dir := htdocs(t)
	work := t.TempDir()
	os.Chmod(work, 0o777)
	os.Chmod(filepath.Dir(work), 0o755)
	certFile, keyFile := certFiles(t, work)
	os.Chmod(certFile, 0o644)
	os.Chmod(keyFile, 0o644)
	tlsPort, plainPort := testpeer.FreePort(t), testpeer.FreePort(t)
	user := "nobody"
	if u := os.Getenv("USER"); u != "" && u != "root" {
		user = u
	}
	cfg := fmt.Sprintf(h2oConfig, user, work, tlsPort, certFile, keyFile, plainPort, dir)
	cfgFile := filepath.Join(work, "h2o.conf")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, bin, "-c", cfgFile)
	testpeer.WaitListening(t, "127.0.0.1:"+strconv.Itoa(tlsPort), 10*time.Second, nil)
	testpeer.WaitListening(t, "127.0.0.1:"+strconv.Itoa(plainPort), 10*time.Second, nil)
	spec := func(base string, h2c bool) peerSpec {
		return peerSpec{base: base, h2c: h2c, upgrade: h2c, hello: "/hello.txt", helloBody: "hello", big: staticBig,
			echo: "/echo", push: "/push", pushed: "/pushed.txt"}
	}
	t.Run("tls", func(t *testing.T) { runInterop(t, spec("https://127.0.0.1:"+strconv.Itoa(tlsPort), false)) })
	t.Run("h2c", func(t *testing.T) { runInterop(t, spec("http://127.0.0.1:"+strconv.Itoa(plainPort), true)) })
}

func TestInteropNode(t *testing.T) {
	bin := testpeer.Path(t, "node")
	certFile, keyFile := certFiles(t, t.TempDir())
	start := func(t *testing.T, args ...string) string {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		cmd := exec.Command(bin, append([]string{"testdata/push_server.js", "0"}, args...)...)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stdin.Close()
			cmd.Process.Kill()
			cmd.Wait()
		})
		line := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				select {
				case line <- sc.Text():
				default:
				}
			}
		}()
		select {
		case l := <-line:
			port, ok := strings.CutPrefix(l, "listening ")
			if !ok {
				t.Fatalf("node: %q", l)
			}
			return "127.0.0.1:" + port
		case <-ctx.Done():
			t.Fatal("node server did not start")
		}
		return ""
	}
	spec := func(base string, h2c bool) peerSpec {
		return peerSpec{base: base, h2c: h2c, hello: "/hello", helloBody: "hello",
			big:  func(n int) string { return "/bytes?n=" + strconv.Itoa(n) },
			echo: "/echo", trailers: "/trailers", push: "/push", pushed: "/pushed"}
	}
	t.Run("tls", func(t *testing.T) { runInterop(t, spec("https://"+start(t, certFile, keyFile), false)) })
	t.Run("h2c", func(t *testing.T) { runInterop(t, spec("http://"+start(t), true)) })
}
