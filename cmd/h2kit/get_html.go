package main

// This file finds the assets of an HTML page for get -a: a small
// tokenizer, standard library only, that reads start tags and their
// attributes, skips comments and the raw text of <script> and <style>,
// and collects <link rel=stylesheet href>, <script src> and <img src>,
// resolved against the page's URL (or its <base href>).

import (
	"bytes"
	"html"
	"net/url"
	"strings"
)

// assetKind is what an asset is to its page: a stylesheet, a script or
// an image (get --dep-idle gives each kind its priority).
type assetKind int

const (
	assetStylesheet assetKind = iota
	assetScript
	assetImage
)

// pageAsset is an asset of a page and its kind.
type pageAsset struct {
	url  *url.URL
	kind assetKind
}

// htmlAssets returns the assets page links to that are on the origin of
// pageURL, in the order they appear, without duplicates, without
// fragments, and without the page itself.
func htmlAssets(page []byte, pageURL *url.URL) []*url.URL {
	var out []*url.URL
	for _, a := range htmlAssetList(page, pageURL) {
		out = append(out, a.url)
	}
	return out
}

// htmlAssetList is htmlAssets with the kind of each asset (the kind of
// its first reference).
func htmlAssetList(page []byte, pageURL *url.URL) []pageAsset {
	type ref struct {
		s    string
		kind assetKind
	}
	var refs []ref
	base := pageURL
	baseSet := false
	scanTags(page, func(name string, attrs map[string]string) {
		switch name {
		case "base":
			if href, ok := attrs["href"]; ok && !baseSet {
				baseSet = true // only the first <base href> counts
				if u, err := url.Parse(href); err == nil {
					base = pageURL.ResolveReference(u)
				}
			}
		case "link":
			if hasToken(attrs["rel"], "stylesheet") {
				refs = append(refs, ref{attrs["href"], assetStylesheet})
			}
		case "script":
			refs = append(refs, ref{attrs["src"], assetScript})
		case "img":
			refs = append(refs, ref{attrs["src"], assetImage})
		}
	})
	seen := map[string]bool{pageURL.String(): true}
	var out []pageAsset
	for _, r := range refs {
		if r.s == "" {
			continue
		}
		ref, err := url.Parse(r.s)
		if err != nil {
			continue
		}
		u := base.ResolveReference(ref)
		u.Fragment, u.RawFragment = "", ""
		if u.Scheme != pageURL.Scheme || u.User != nil || dialAddress(u) != dialAddress(pageURL) {
			continue // another origin: not on this connection
		}
		if s := u.String(); !seen[s] {
			seen[s] = true
			out = append(out, pageAsset{u, r.kind})
		}
	}
	return out
}

// hasToken reports whether the space-separated list s holds tok, ignoring
// case (rel="preload stylesheet").
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// rawTextTags are the elements whose content is not markup: what looks
// like a tag in them is not one.
var rawTextTags = map[string]bool{"script": true, "style": true, "textarea": true, "title": true, "xmp": true, "noembed": true, "noframes": true, "iframe": true, "plaintext": true}

// scanTags calls tag for each start tag of doc, with its name and
// attributes in lower case (values unescaped and trimmed; the first of a
// repeated attribute wins).
func scanTags(doc []byte, tag func(name string, attrs map[string]string)) {
	i := 0
	for {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			return
		}
		i += lt
		rest := doc[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return
			}
			i += 4 + end + 3
			continue
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?' || rest[1] == '/'):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return
			}
			i += end + 1
			continue
		case len(rest) < 2 || !isASCIILetter(rest[1]):
			i++ // a '<' in text
			continue
		}
		name, attrs, n := parseStartTag(rest)
		i += n
		tag(name, attrs)
		if rawTextTags[name] {
			if name == "plaintext" {
				return
			}
			end := indexFold(doc[i:], "</"+name)
			if end < 0 {
				return
			}
			i += end
		}
	}
}

// parseStartTag parses the start tag at the beginning of b ("<name ...>")
// and returns its name, its attributes and its length.
func parseStartTag(b []byte) (name string, attrs map[string]string, n int) {
	i := 1
	for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	name = strings.ToLower(string(b[1:i]))
	attrs = map[string]string{}
	for i < len(b) {
		for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
			i++
		}
		if i >= len(b) {
			break
		}
		if b[i] == '>' {
			return name, attrs, i + 1
		}
		start := i
		for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' && b[i] != '=' {
			i++
		}
		if i == start { // a stray '=': skip it
			i++
			continue
		}
		key := strings.ToLower(string(b[start:i]))
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		val := ""
		if i < len(b) && b[i] == '=' {
			i++
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			switch {
			case i < len(b) && (b[i] == '"' || b[i] == '\''):
				q := b[i]
				end := bytes.IndexByte(b[i+1:], q)
				if end < 0 {
					return name, attrs, len(b)
				}
				val = string(b[i+1 : i+1+end])
				i += end + 2
			default:
				start := i
				for i < len(b) && !isSpace(b[i]) && b[i] != '>' {
					i++
				}
				val = string(b[start:i])
			}
		}
		if _, dup := attrs[key]; !dup {
			attrs[key] = strings.TrimSpace(html.UnescapeString(val))
		}
	}
	return name, attrs, len(b)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// indexFold is bytes.Index of an ASCII needle, ignoring case.
func indexFold(b []byte, needle string) int {
	nb := []byte(needle)
	n := len(nb)
	for i := 0; i+n <= len(b); i++ {
		if b[i] == nb[0] && bytes.EqualFold(b[i:i+n], nb) {
			return i
		}
	}
	return -1
}
