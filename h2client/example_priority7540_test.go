package h2client_test

import (
	"context"
	"log"
	"net/http"

	"github.com/h2kit/h2kit/h2client"
)

// RFC 7540 priorities, for servers that still follow them: two anchors
// made at the start of every connection, a page under the second, its
// stylesheet under the first with a larger weight, and a script that
// depends on the page's stream while it is open.
func ExampleWithStreamPriority() {
	tr := &h2client.Transport{PriorityAnchors: []h2client.Anchor{
		{Weight: 201},             // 1: what blocks rendering
		{DependsOn: 1, Weight: 1}, // 2: the rest, after it
	}}
	client := &http.Client{Transport: tr}
	get := func(ctx context.Context, url string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	pageCtx, page := h2client.WithPriorityHandle(context.Background())
	pageCtx = h2client.WithStreamPriority(pageCtx, h2client.StreamPriority{Anchor: 2}) // weight 16
	get(pageCtx, "https://example.org/")
	get(h2client.WithStreamPriority(context.Background(), h2client.StreamPriority{Anchor: 1, Weight: 32}), "https://example.org/style.css")
	// Under the page's stream if it is still open, else under anchor 2.
	get(h2client.WithStreamPriority(context.Background(), h2client.StreamPriority{DependsOn: page, Anchor: 2, Weight: 12}), "https://example.org/app.js")
}
