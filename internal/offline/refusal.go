package offline

import (
	"bytes"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
)

// Go's HTTP server answers a request it cannot parse (a NUL byte or another
// control character in a header or the request line, headers over 1 MB, no
// Host) itself, before any handler runs: a plain-text 4xx written straight
// to the connection, no JSON, no request id. No server option changes that
// answer, so the API's listener hands out connections that recognise it:
// a write that is exactly such an answer (net/http's format, below) is
// replaced by the API's own JSON error (apigw.Gateway.Refusal). Handlers'
// answers never match: theirs go through the server's response writer,
// whose status line is followed by Date and the handler's headers, never
// by this fixed pair.

// serverRefusalHeaders is what net/http puts between the status line and
// the body of the answers it writes itself (net/http/server.go, conn.serve).
const serverRefusalHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// refusalListener is the API's listener; its connections rewrite the
// server's own refusals once render is set (the gateway is built after the
// port is bound).
type refusalListener struct {
	net.Listener
	render atomic.Pointer[func(status int, reason string) []byte]
}

func (l *refusalListener) setRender(f func(status int, reason string) []byte) { l.render.Store(&f) }

// Accept implements net.Listener.
func (l *refusalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &refusalConn{Conn: c, l: l}, nil
}

// refusalConn is a connection of the API whose server refusals become JSON.
type refusalConn struct {
	net.Conn
	l *refusalListener
}

// Write implements net.Conn.
func (c *refusalConn) Write(p []byte) (int, error) {
	if render := c.l.render.Load(); render != nil {
		if status, reason, ok := parseServerRefusal(p); ok {
			if _, err := c.Conn.Write((*render)(status, reason)); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the connection when the underlying one can: the
// server does so after a refusal, so the client reads the answer before
// the reset (net/http's closeWriteAndWait).
func (c *refusalConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// parseServerRefusal recognises an answer net/http wrote itself:
//
//	HTTP/1.1 <code> <text>[: <reason>]<serverRefusalHeaders><body>
//
// and returns its status and reason.
func parseServerRefusal(p []byte) (status int, reason string, ok bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(proto)) {
		return 0, "", false
	}
	i := bytes.Index(p, []byte(serverRefusalHeaders))
	if i < 0 {
		return 0, "", false
	}
	line := string(p[len(proto):i])
	if strings.ContainsAny(line, "\r\n") || len(line) < 4 || line[3] != ' ' {
		return 0, "", false
	}
	status, err := strconv.Atoi(line[:3])
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	text, reason, _ := strings.Cut(line[4:], ": ")
	if text != http.StatusText(status) {
		return 0, "", false
	}
	return status, reason, true
}

// isCleanPath reports whether ServeMux would serve p as it is; it
// redirects any other path to a cleaned one (net/http's cleanPath: no
// repeated slash, no . or .. segment), answering 307 before any handler.
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}

// uncleanToAPI sends a request whose path ServeMux would redirect (a
// repeated slash, a dot segment) straight to the API, which answers it as
// API Gateway does (JSON, a request id, the authorizer first where it
// routes), rather than letting the mux answer Go's bare redirect.
func uncleanToAPI(mux *http.ServeMux, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect && !isCleanPath(r.URL.EscapedPath()) {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
