package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The answers net/http writes itself are recognised, and nothing else.
func TestParseServerRefusal(t *testing.T) {
	tests := []struct {
		name       string
		write      string
		ok         bool
		wantStatus int
		wantReason string
	}{
		{name: "400", write: "HTTP/1.1 400 Bad Request" + serverRefusalHeaders + "400 Bad Request", ok: true, wantStatus: 400},
		{name: "400 with a reason", write: "HTTP/1.1 400 Bad Request: missing required Host header" + serverRefusalHeaders + "400 Bad Request: missing required Host header",
			ok: true, wantStatus: 400, wantReason: "missing required Host header"},
		{name: "431", write: "HTTP/1.1 431 Request Header Fields Too Large" + serverRefusalHeaders + "431 Request Header Fields Too Large", ok: true, wantStatus: 431},
		{name: "501", write: "HTTP/1.1 501 Not Implemented" + serverRefusalHeaders + "Unsupported transfer encoding", ok: true, wantStatus: 501},
		{name: "a handler's answer", write: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nDate: Sun, 06 Dec 2026 04:31:38 GMT\r\nContent-Length: 12\r\n\r\nBad Request\n"},
		{name: "a handler's answer that closes", write: "HTTP/1.1 400 Bad Request\r\nDate: x" + serverRefusalHeaders + "x"},
		{name: "a 200", write: "HTTP/1.1 200 OK" + serverRefusalHeaders + "ok"},
		{name: "a body", write: "400 Bad Request" + serverRefusalHeaders},
		{name: "another text", write: "HTTP/1.1 400 Nope" + serverRefusalHeaders + "x"},
		{name: "a short status", write: "HTTP/1.1 40" + serverRefusalHeaders},
		{name: "HTTP/1.0", write: "HTTP/1.0 400 Bad Request" + serverRefusalHeaders + "400 Bad Request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reason, ok := parseServerRefusal([]byte(tc.write))
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.wantStatus, status)
			assert.Equal(t, tc.wantReason, reason)
		})
	}
}

// isCleanPath answers as ServeMux decides whether to redirect.
func TestIsCleanPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/start-execution": true, "/console/": true, "/jobs/x/result": true,
		"": false, "x": false, "//start-execution": false, "/./describe-execution": false, "/jobs/../x": false,
		"/jobs//result": false, "/describe-execution/.": false, "/a/..": false, "/a//": false,
	} {
		assert.Equal(t, want, isCleanPath(p), p)
	}
}
