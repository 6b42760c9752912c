package main

// This file holds serve's file serving (--root DIR, like nghttpd's
// docroot) and its push rules (--push PATH=ASSET,...).

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
)

// pushRules maps a request path to the assets pushed with it (--push,
// repeatable). It is a flag.Value.
type pushRules map[string][]string

// String lists the rules in the flag's syntax.
func (p pushRules) String() string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		s = append(s, k+"="+strings.Join(p[k], ","))
	}
	return strings.Join(s, " ")
}

// Set adds a rule "PATH=ASSET[,ASSET...]". PATH and the assets are
// absolute paths; assets already pushed for PATH are not repeated.
func (p pushRules) Set(s string) error {
	target, list, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("push rule %q: want PATH=ASSET[,ASSET...]", s)
	}
	if err := checkPushPath(target); err != nil {
		return fmt.Errorf("push rule %q: %v", s, err)
	}
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		if err := checkPushPath(a); err != nil {
			return fmt.Errorf("push rule %q: asset: %v", s, err)
		}
		if !slices.Contains(p[target], a) {
			p[target] = append(p[target], a)
		}
	}
	return nil
}

// checkPushPath accepts a path that starts with "/" and has no spaces or
// control characters (a query is allowed for assets).
func checkPushPath(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	if s[0] != '/' || strings.HasPrefix(s, "//") {
		return fmt.Errorf("%q is not an absolute path (it must start with a single /)", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q: invalid character", s)
		}
	}
	return nil
}

// withPush wraps h to push the assets of rules before answering a GET or
// HEAD request for their path, when the connection allows push (HTTP/2
// with SETTINGS_ENABLE_PUSH on; pushed requests cannot push).
func withPush(h http.Handler, rules pushRules) http.Handler {
	if len(rules) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assets := rules[r.URL.Path]
		if len(assets) > 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ProtoMajor == 2 {
			if p, ok := w.(http.Pusher); ok {
				for _, a := range assets {
					if err := p.Push(a, nil); err != nil {
						break // push disabled, or the connection is going away
					}
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// rootHandler serves the files under a directory: GET and HEAD only,
// index.html for a directory, no directory listing, and nothing outside
// the directory, symbolic links included (os.Root).
type rootHandler struct {
	fsys fs.FS // root.FS() of the directory
}

// newRootHandler opens dir for serving.
func newRootHandler(dir string) (*rootHandler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("--root: %w", err)
	}
	return &rootHandler{fsys: root.FS()}, nil
}

// cleanRequestPath returns the clean absolute form of a request path and
// the name to open under the root ("." for the root itself). The clean
// path never climbs above "/".
func cleanRequestPath(p string) (clean, name string) {
	clean = path.Clean("/" + p)
	name = strings.TrimPrefix(clean, "/")
	if name == "" {
		name = "."
	}
	return clean, name
}

func (h *rootHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	clean, name := cleanRequestPath(r.URL.Path)
	if strings.ContainsRune(name, 0) || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, st, err := h.open(name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if st.IsDir() {
		f.Close()
		if !strings.HasSuffix(r.URL.Path, "/") {
			target := clean + "/"
			if clean == "/" {
				target = "/"
			}
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		f, st, err = h.open(path.Join(name, "index.html"))
		if err != nil {
			h.fail(w, r, err) // no index.html: no listing either
			return
		}
	}
	defer f.Close()
	if !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), rs)
}

// open opens name under the root and stats it.
func (h *rootHandler) open(name string) (fs.File, fs.FileInfo, error) {
	f, err := h.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// fail answers an open error: 403 for a permission error, else 404
// (which covers attempts to leave the root).
func (h *rootHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, fs.ErrPermission) {
		http.Error(w, "403 forbidden", http.StatusForbidden)
		return
	}
	http.NotFound(w, r)
}
