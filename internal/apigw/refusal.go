package apigw

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Refusal renders the answer to a request that the HTTP server refused
// before any handler could see it (a NUL byte in a header, headers too
// large, no Host): the status the server chose, through the stack's
// DEFAULT_4XX (DEFAULT_5XX) gateway response with a request id, as every
// other error of the API is answered. reason is the server's detail, or
// "". It returns a whole HTTP/1.1 response that closes the connection, as
// the server's own answer does: after such a request the connection's
// bytes can no longer be trusted to frame another.
func (g *Gateway) Refusal(status int, reason string) []byte {
	r := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{},
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(context.Background())
	c := &call{r: r, requestID: g.cfg.NewRequestID(), start: g.cfg.Now()}
	c.tmplReq = TemplateRequest{Headers: map[string]string{}, Query: map[string]string{}, Path: map[string]string{}}
	message := http.StatusText(status)
	if reason != "" {
		message += ": " + reason
	}
	typ := "DEFAULT_4XX"
	if status >= 500 {
		typ = "DEFAULT_5XX"
	}
	resp := g.gatewayError(c, typ, message)
	if gr := g.gwResp[typ]; gr == nil || gr.cfg.StatusCode == 0 {
		resp.status = status // the gateway response sets none: the server's
	}
	resp.headers.Set("x-amzn-RequestId", c.requestID)
	resp.headers.Set("Content-Length", strconv.Itoa(len(resp.body)))
	resp.headers.Set("Connection", "close")
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	_ = resp.headers.Write(&b)
	b.WriteString("\r\n")
	b.Write(resp.body)
	g.log.Info("request refused by the HTTP server", "status", resp.status, "reason", message, "requestId", c.requestID)
	return b.Bytes()
}
