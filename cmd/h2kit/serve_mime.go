package main

// This file holds serve's table of media types by file extension: the
// answers of mime.TypeByExtension (which http.ServeContent asks), read
// from the same system files in the same way, but kept where the garbage
// collector has nothing to scan. The mime package keeps its table in
// sync.Maps of strings, about a thousand entries from the system's
// shared MIME-info database: every GC cycle of a server under load walks
// them, which cost serve about 0.9k instructions per small request (a
// sixth of what it added to h2server's own cost). Here the table is one
// string and two sorted slices of offsets into it, pointer-free.
//
// serve asks mediaType instead of mime.TypeByExtension, and gives
// http.ServeContent the Content-Type itself (serveContent), so that the
// mime package's table is never loaded.

import (
	"bufio"
	"maps"
	"mime"
	"os"
	"slices"
	"strings"
	"sync"
)

// builtinMediaTypes is the mime package's own table (mime.TypeByExtension
// starts from it, then adds the system's), one "extension type" a line.
// TestServeMediaTypesMatchMime checks every extension against mime.
const builtinMediaTypes = `.ai application/postscript
.apk application/vnd.android.package-archive
.apng image/apng
.avif image/avif
.bin application/octet-stream
.bmp image/bmp
.com application/octet-stream
.css text/css; charset=utf-8
.csv text/csv; charset=utf-8
.doc application/msword
.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document
.ehtml text/html; charset=utf-8
.eml message/rfc822
.eps application/postscript
.exe application/octet-stream
.flac audio/flac
.gif image/gif
.gz application/gzip
.htm text/html; charset=utf-8
.html text/html; charset=utf-8
.ico image/vnd.microsoft.icon
.ics text/calendar; charset=utf-8
.jfif image/jpeg
.jpeg image/jpeg
.jpg image/jpeg
.js text/javascript; charset=utf-8
.json application/json
.m4a audio/mp4
.mjs text/javascript; charset=utf-8
.mp3 audio/mpeg
.mp4 video/mp4
.oga audio/ogg
.ogg audio/ogg
.ogv video/ogg
.opus audio/ogg
.pdf application/pdf
.pjp image/jpeg
.pjpeg image/jpeg
.png image/png
.ppt application/vnd.ms-powerpoint
.pptx application/vnd.openxmlformats-officedocument.presentationml.presentation
.ps application/postscript
.rdf application/rdf+xml
.rtf application/rtf
.shtml text/html; charset=utf-8
.svg image/svg+xml
.text text/plain; charset=utf-8
.tif image/tiff
.tiff image/tiff
.txt text/plain; charset=utf-8
.vtt text/vtt; charset=utf-8
.wasm application/wasm
.wav audio/wav
.webm audio/webm
.webp image/webp
.xbl text/xml; charset=utf-8
.xbm image/x-xbitmap
.xht application/xhtml+xml
.xhtml application/xhtml+xml
.xls application/vnd.ms-excel
.xlsx application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
.xml text/xml; charset=utf-8
.xsl text/xml; charset=utf-8
.zip application/zip
`

// The system files mime.TypeByExtension reads on Unix: the first of the
// globs2 databases that opens, else all of the mime.types files.
var (
	mediaGlobFiles = []string{"/usr/local/share/mime/globs2", "/usr/share/mime/globs2"}
	mediaTypeFiles = []string{"/etc/mime.types", "/etc/apache2/mime.types", "/etc/apache/mime.types", "/etc/httpd/conf/mime.types"}
)

// mediaTable maps extensions to media types without pointers but one.
type mediaTable struct {
	text  string       // the extensions and types, back to back
	exact []mediaEntry // by extension
	lower []mediaEntry // by lowercase extension
}

// mediaEntry is an extension and its type, as offsets into the text.
type mediaEntry struct{ ext, typ textSpan }

type textSpan struct{ off, n uint32 }

func (t *mediaTable) str(s textSpan) string { return t.text[s.off : s.off+s.n] }

// find returns the type of ext in entries, or "".
func (t *mediaTable) find(entries []mediaEntry, ext string) string {
	i, ok := slices.BinarySearchFunc(entries, ext, func(e mediaEntry, ext string) int {
		return strings.Compare(t.str(e.ext), ext)
	})
	if !ok {
		return ""
	}
	return t.str(entries[i].typ)
}

// lookup answers as mime.TypeByExtension: ext as it is, then lowercase.
func (t *mediaTable) lookup(ext string) string {
	if typ := t.find(t.exact, ext); typ != "" {
		return typ
	}
	return t.find(t.lower, strings.ToLower(ext))
}

var (
	mediaOnce  sync.Once
	mediaTypes *mediaTable
)

// mediaType returns the media type of a file extension (".html"), as
// mime.TypeByExtension does, or "". The first call reads the system's
// tables.
func mediaType(ext string) string {
	mediaOnce.Do(func() { mediaTypes = loadMediaTable(mediaGlobFiles, mediaTypeFiles) })
	return mediaTypes.lookup(ext)
}

// loadMediaTable builds the table as the mime package builds its own:
// the built-in types, then the first globs2 database that opens (in
// which the first entry of an extension counts, and none replaces a
// built-in one), or else every mime.types file (later entries replacing
// earlier ones, built-in ones included).
func loadMediaTable(globFiles, typeFiles []string) *mediaTable {
	exact, lower := map[string]string{}, map[string]string{}
	set := func(ext, typ string) {
		_, param, err := mime.ParseMediaType(typ)
		if err != nil {
			return
		}
		if strings.HasPrefix(typ, "text/") && param["charset"] == "" {
			param["charset"] = "utf-8"
			typ = mime.FormatMediaType(typ, param)
		}
		exact[ext] = typ
		lower[strings.ToLower(ext)] = typ
	}
	for line := range strings.Lines(builtinMediaTypes) {
		ext, typ, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		exact[ext], lower[ext] = typ, typ
	}
	if !loadMediaGlobs(globFiles, exact, set) {
		for _, name := range typeFiles {
			readLines(name, func(line string) {
				// "type ext ext ...": a word that starts with '#'
				// begins a comment, to the end of the line.
				words := strings.Fields(line)
				if i := slices.IndexFunc(words, func(w string) bool { return w[0] == '#' }); i >= 0 {
					words = words[:i]
				}
				if len(words) < 2 {
					return
				}
				for _, ext := range words[1:] {
					set("."+ext, words[0])
				}
			})
		}
	}
	return newMediaTable(exact, lower)
}

// loadMediaGlobs reads the first of the globs2 files that opens, lines
// of "weight:type:glob": the globs that are "*" and an extension. It
// reports whether one opened.
func loadMediaGlobs(files []string, exact map[string]string, set func(ext, typ string)) bool {
	for _, name := range files {
		ok := readLines(name, func(line string) {
			// "weight:type:glob", maybe ":flags" after it; a comment
			// starts with '#'. Only a weighted "*.ext" glob is kept.
			weight, rest, _ := strings.Cut(line, ":")
			typ, rest, ok := strings.Cut(rest, ":")
			glob, _, _ := strings.Cut(rest, ":")
			if !ok || weight == "" || weight[0] == '#' || len(glob) < 3 || !strings.HasPrefix(glob, "*.") {
				return
			}
			ext := glob[1:]
			if strings.ContainsAny(ext, "?*[") {
				return // a pattern, not an extension
			}
			if _, seen := exact[ext]; !seen { // by weight: the first counts
				set(ext, typ)
			}
		})
		if ok {
			return true
		}
	}
	return false
}

// readLines calls f with each line of the file name, and reports whether
// it opened.
func readLines(name string, f func(string)) bool {
	file, err := os.Open(name)
	if err != nil {
		return false
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		f(s.Text())
	}
	return true
}

// newMediaTable packs the two maps into a table.
func newMediaTable(exact, lower map[string]string) *mediaTable {
	var b strings.Builder
	offsets := map[string]textSpan{} // each string once
	span := func(s string) textSpan {
		if sp, ok := offsets[s]; ok {
			return sp
		}
		sp := textSpan{uint32(b.Len()), uint32(len(s))}
		b.WriteString(s)
		offsets[s] = sp
		return sp
	}
	entries := func(m map[string]string) []mediaEntry {
		es := make([]mediaEntry, 0, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			es = append(es, mediaEntry{span(k), span(m[k])})
		}
		return es
	}
	t := &mediaTable{exact: entries(exact), lower: entries(lower)}
	t.text = b.String()
	return t
}
