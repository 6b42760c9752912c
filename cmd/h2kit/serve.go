package main

// serve serves files over HTTP/2 (like nghttpd). Not written yet: this
// file only registers the command so that dispatch knows it.

func init() {
	register(&command{name: "serve", summary: "serve files over HTTP/2 (like nghttpd)", run: notImplemented("serve")})
}
