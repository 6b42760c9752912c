package main

// The README's WebSocket examples run: the two Go blocks of its section
// "WebSockets over HTTP/2 (RFC 8441)" are built as two programs, each
// with ws_h2.go next to it as the README says, against this checkout
// (on a free loopback port instead of localhost:8080), and the client's
// line comes back from the server over HTTP/2.

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// readmeWSImports are the imports of the README's two programs (the
// README shows func main only).
var readmeWSImports = map[string]string{
	"server": `import (
	"context"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/h2kit/h2kit/h2server"
)`,
	"client": `import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/coder/websocket"
	"github.com/h2kit/h2kit/h2client"
)`,
}

func TestWSReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs; skipped with -short")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## WebSockets over HTTP/2 (RFC 8441)\n")
	if !ok {
		t.Fatal("README has no section \"WebSockets over HTTP/2 (RFC 8441)\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d Go blocks in the README's WebSocket section, want 2 (server, client)", len(blocks))
	}
	// The examples use localhost:8080; the test gives them a free port
	// instead, in both programs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for i := range blocks {
		if !strings.Contains(blocks[i][1], "localhost:8080") {
			t.Fatalf("README example %d does not use localhost:8080:\n%s", i, blocks[i][1])
		}
		blocks[i][1] = strings.ReplaceAll(blocks[i][1], "localhost:8080", addr)
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	adapter, err := os.ReadFile("ws_h2.go")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module wsreadme\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/coder/websocket v1.8.15\n\tgithub.com/h2kit/h2kit v0.0.0\n)\n\nreplace github.com/h2kit/h2kit => " + root + "\n"
	for _, f := range []struct{ name, content string }{{"go.mod", gomod}, {"go.sum", string(sum)}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bins := map[string]string{}
	for i, name := range []string{"server", "client"} {
		pkg := filepath.Join(dir, name)
		os.Mkdir(pkg, 0o755)
		src := "package main\n\n" + readmeWSImports[name] + "\n\n" + blocks[i][1]
		for file, content := range map[string]string{"main.go": src, "ws_h2.go": string(adapter)} {
			if err := os.WriteFile(filepath.Join(pkg, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		bins[name] = filepath.Join(dir, name+".bin")
		build := exec.Command("go", "build", "-mod=mod", "-o", bins[name], "./"+name)
		build.Dir = dir
		build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("the README's %s does not build: %v\n%s\n%s", name, err, out, src)
		}
	}

	srv := exec.Command(bins["server"])
	srvOut := new(testpeer.Output)
	srv.Stdout, srv.Stderr = srvOut, srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	testpeer.WaitListening(t, addr, 5*time.Second, srvOut)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bins["client"]).CombinedOutput()
	if err != nil || string(out) != "hello over HTTP/2\n" {
		t.Errorf("the README's client: %v, output %q (server: %s)", err, out, srvOut.String())
	}
}
