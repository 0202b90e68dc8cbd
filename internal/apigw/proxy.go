package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaInvoker invokes a function of the service by its key with a JSON
// event and returns its JSON answer; an error is the function's failure.
type LambdaInvoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// LambdaInvokerFunc adapts a function to LambdaInvoker.
type LambdaInvokerFunc func(ctx context.Context, function string, payload []byte) ([]byte, error)

// Invoke implements LambdaInvoker.
func (f LambdaInvokerFunc) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	return f(ctx, function, payload)
}

// proxy answers a Lambda proxy route: the request as an
// events.APIGatewayProxyRequest (with $context.authorizer in
// requestContext.authorizer), the function's statusCode, headers and body
// as the answer. A failed function or an answer without a statusCode is
// 502 {"message": "Internal server error"}, as API Gateway answers.
func (g *Gateway) proxy(c *call, body []byte) *response {
	ev := g.proxyRequest(c, body)
	payload, err := json.Marshal(ev)
	if err != nil {
		g.log.Error("encode proxy event", "requestId", c.requestID, "err", err)
		return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), c.rt.timeout())
	defer cancel()
	out, err := g.cfg.Lambda.Invoke(ctx, c.rt.cfg.Function, payload)
	if errors.Is(err, context.DeadlineExceeded) {
		return g.gatewayError(c, "INTEGRATION_TIMEOUT", "Endpoint request timed out")
	}
	if err != nil {
		g.log.Error("lambda proxy function failed", "requestId", c.requestID, "function", c.rt.cfg.Function, "err", err)
		return g.gatewayError(c, "INTEGRATION_FAILURE", "Internal server error")
	}
	var pr events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &pr); err != nil || pr.StatusCode < 100 || pr.StatusCode > 599 {
		g.log.Error("malformed Lambda proxy response", "requestId", c.requestID, "function", c.rt.cfg.Function, "response", string(out))
		return g.gatewayError(c, "INTEGRATION_FAILURE", "Internal server error")
	}
	resp := &response{status: pr.StatusCode, headers: http.Header{}, body: []byte(pr.Body)}
	if pr.IsBase64Encoded {
		if resp.body, err = base64.StdEncoding.DecodeString(pr.Body); err != nil {
			g.log.Error("Lambda proxy body is not base64", "requestId", c.requestID, "function", c.rt.cfg.Function)
			return g.gatewayError(c, "INTEGRATION_FAILURE", "Internal server error")
		}
	}
	for k, vs := range pr.MultiValueHeaders {
		for _, v := range vs {
			resp.headers.Add(k, v)
		}
	}
	for k, v := range pr.Headers {
		resp.headers.Set(k, v)
	}
	if resp.headers.Get("Content-Type") == "" {
		resp.headers.Set("Content-Type", "application/json")
	}
	return resp
}

// proxyRequest is the event a Lambda proxy function receives.
func (g *Gateway) proxyRequest(c *call, body []byte) events.APIGatewayProxyRequest {
	r := c.r
	headers := c.tmplReq.Headers
	multi := map[string][]string{}
	for k, vs := range r.Header {
		multi[k] = append([]string(nil), vs...)
	}
	for k, v := range headers {
		if _, ok := multi[k]; !ok {
			multi[k] = []string{v}
		}
	}
	mq := map[string][]string{}
	for k, vs := range r.URL.Query() {
		mq[k] = vs
	}
	ident, _ := c.ctx["identity"].(map[string]any)
	sourceIP, _ := ident["sourceIp"].(string)
	auth, _ := c.ctx["authorizer"].(map[string]any)
	ev := events.APIGatewayProxyRequest{
		Resource:                        c.res.path,
		Path:                            "/" + strings.TrimPrefix(r.URL.Path, "/"),
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           nilIfEmpty(c.tmplReq.Query),
		MultiValueQueryStringParameters: nilIfEmptyMulti(mq),
		PathParameters:                  nilIfEmpty(c.tmplReq.Path),
		StageVariables:                  nilIfEmpty(g.cfg.StageVariables),
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         g.cfg.AccountID,
			ResourceID:        resourceID(c.res.path),
			Stage:             g.cfg.Stage,
			DomainName:        r.Host,
			DomainPrefix:      strings.SplitN(r.Host, ".", 2)[0],
			RequestID:         c.requestID,
			ExtendedRequestID: c.requestID,
			Protocol:          r.Proto,
			Identity:          events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			ResourcePath:      c.res.path,
			Path:              "/" + g.cfg.Stage + "/" + strings.Join(c.pathSegments(g), "/"),
			Authorizer:        auth,
			HTTPMethod:        r.Method,
			RequestTime:       c.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  c.start.UnixMilli(),
			APIID:             g.cfg.APIID,
		},
		Body: string(body),
	}
	return ev
}

// pathSegments is the request path below the gateway's prefix.
func (c *call) pathSegments(g *Gateway) []string {
	segs, _ := splitRequestPath(c.r.URL.EscapedPath())
	if len(segs) < len(g.prefix) {
		return nil
	}
	return segs[len(g.prefix):]
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptyMulti(m map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
