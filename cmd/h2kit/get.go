package main

// get fetches URLs over HTTP/2 (like nghttp). Not written yet: this file
// only registers the command so that dispatch knows it.

func init() {
	register(&command{name: "get", summary: "fetch URLs over HTTP/2 (like nghttp)", run: notImplemented("get")})
}
