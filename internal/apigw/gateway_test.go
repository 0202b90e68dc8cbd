package apigw

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTemplate is a tiny template language for gateway tests, so they test
// the gateway and not the VTL engine:
//
//	static:<text>            the text
//	echo                     the $input body
//	ctx:<key>                $context.<key>
//	path:<name>              the path parameter
//	override:<status>:<h>=<v> empty body, responseOverride status and header
//	panic / fail             panics / returns an error
type fakeTemplate struct{ src string }

func fakeParser(name, src string) (Template, error) {
	if src == "bad" {
		return nil, fmt.Errorf("%s: syntax error at 1:1", name)
	}
	return fakeTemplate{src: src}, nil
}

func (f fakeTemplate) Render(_ context.Context, env *TemplateEnv) (*TemplateResult, error) {
	kind, arg, _ := strings.Cut(f.src, ":")
	switch kind {
	case "static":
		return &TemplateResult{Body: arg}, nil
	case "echo":
		return &TemplateResult{Body: string(env.Request.Body)}, nil
	case "ctx":
		return &TemplateResult{Body: fmt.Sprint(env.Context[arg])}, nil
	case "path":
		return &TemplateResult{Body: env.Request.Path[arg]}, nil
	case "override":
		status, header, _ := strings.Cut(arg, ":")
		code, _ := strconv.Atoi(status)
		h, v, _ := strings.Cut(header, "=")
		return &TemplateResult{Status: code, Headers: map[string]string{h: v}}, nil
	case "panic":
		panic("template exploded")
	case "fail":
		return nil, errors.New("render failed")
	case "badjson":
		return nil, fmt.Errorf("t:1:1: %w: unexpected end of JSON input", ErrInvalidJSONBody)
	}
	return nil, fmt.Errorf("unknown fake template %q", f.src)
}

// captureTemplate records the request it renders.
type captureTemplate struct{ seen *TemplateRequest }

func (c captureTemplate) Render(_ context.Context, env *TemplateEnv) (*TemplateResult, error) {
	*c.seen = env.Request
	return &TemplateResult{Body: "{}"}, nil
}

// defaultResponses are the plugin's 200 ("") and 400 ("400").
func defaultResponses() []IntegrationResponse {
	return []IntegrationResponse{
		{StatusCode: 200, ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}},
		{StatusCode: 400, SelectionPattern: "400", ResponseParameters: map[string]string{}, ResponseTemplates: map[string]string{}},
	}
}

func testRoute(method, path string, mod func(*Route)) Route {
	r := Route{
		Method: method, Path: path, Integration: IntegrationAWS,
		Action: "StartExecution", PassthroughBehavior: PassthroughNever,
		RequestTemplates: map[string]string{"application/json": "echo"},
		Responses:        defaultResponses(), Timeout: DefaultTimeout,
	}
	if mod != nil {
		mod(&r)
	}
	return r
}

func newTestGateway(t *testing.T, integ Integration, logs *bytes.Buffer, routes ...Route) *Gateway {
	t.Helper()
	logger := quietLogger()
	if logs != nil {
		logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	g, err := New(Config{
		Stage: "dev", Routes: routes, Integration: integ, Parse: fakeParser, Logger: logger,
		NewRequestID: func() string { return "req-1" },
		Now:          func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	require.NoError(t, err)
	return g
}

func do(g http.Handler, method, target, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

func TestRouting(t *testing.T) {
	integ := &recordingIntegration{status: 200, body: "{}"}
	g := newTestGateway(t, integ, nil,
		testRoute("GET", "/jobs/{id}", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "path:id"} }),
		testRoute("GET", "/jobs/latest", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "static:latest"} }),
		testRoute("ANY", "/files/{proxy+}", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "path:proxy"} }),
		testRoute("POST", "/", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "static:root"} }),
	)
	tests := []struct {
		name, method, target string
		wantStatus           int
		wantSent             string // body the integration received; "" = not called
		wantBody             string
	}{
		{"literal beats param", "GET", "/dev/jobs/latest", 200, "latest", "{}"},
		{"param", "GET", "/dev/jobs/abc", 200, "abc", "{}"},
		{"encoded param is decoded, slash kept", "GET", "/dev/jobs/a%2Fb%20c", 200, "a/b c", "{}"},
		{"trailing slash", "GET", "/dev/jobs/abc/", 200, "abc", "{}"},
		{"greedy with ANY", "DELETE", "/dev/files/a/b/c", 200, "a/b/c", "{}"},
		{"root resource", "POST", "/dev", 200, "root", "{}"},
		{"greedy needs a segment", "GET", "/dev/files", 403, "", `{"message":"Missing Authentication Token"}`},
		{"method not defined", "POST", "/dev/jobs/abc", 403, "", `{"message":"Missing Authentication Token"}`},
		{"unknown resource", "GET", "/dev/nothing", 403, "", `{"message":"Missing Authentication Token"}`},
		{"too deep", "GET", "/dev/jobs/abc/def", 403, "", `{"message":"Missing Authentication Token"}`},
		{"unknown stage", "GET", "/prod/jobs/abc", 403, "", `{"message":"Forbidden"}`},
		// Unclean paths, as recorded on AWS (see splitRequestPath).
		{"slashes before the stage are dropped", "GET", "//dev/jobs/abc", 200, "abc", "{}"},
		{"slashes after the stage are dropped", "GET", "/dev//jobs/abc", 200, "abc", "{}"},
		{"slashes at the end are dropped", "GET", "/dev/jobs/abc//", 200, "abc", "{}"},
		{"a slash inside a greedy path is kept", "GET", "/dev/files/a//b", 200, "a//b", "{}"},
		{"an empty segment is no parameter", "GET", "/dev/jobs//abc", 403, "", `{"message":"Missing Authentication Token"}`},
		{"an empty segment is no literal", "GET", "/dev/jobs//latest", 403, "", `{"message":"Missing Authentication Token"}`},
		{"a dot segment is a segment", "GET", "/dev/jobs/./abc", 403, "", `{"message":"Missing Authentication Token"}`},
		{"a dot-dot segment is a segment", "GET", "/dev/nothing/../jobs/abc", 403, "", `{"message":"Missing Authentication Token"}`},
		{"a parameter may be ..", "GET", "/dev/jobs/..", 200, "..", "{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			integ.calls = nil
			rec := do(g, tc.method, tc.target, "", "")
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.JSONEq(t, tc.wantBody, rec.Body.String())
			if tc.wantSent == "" {
				assert.Empty(t, integ.calls)
			} else {
				assert.Equal(t, tc.wantSent, integ.lastCall(t).Body)
			}
			if tc.wantStatus == 403 && tc.wantBody != `{"message":"Forbidden"}` {
				assert.Equal(t, "MissingAuthenticationTokenException", rec.Header().Get("x-amzn-ErrorType"))
			}
		})
	}
}

func TestRequestTemplateSelection(t *testing.T) {
	tests := []struct {
		name        string
		passthrough PassthroughBehavior
		templates   map[string]string
		contentType string
		wantStatus  int
		wantSent    string // "" = integration not called
	}{
		{"json template", PassthroughNever, map[string]string{"application/json": "static:J"}, "application/json", 200, "J"},
		{"no content type means json", PassthroughNever, map[string]string{"application/json": "static:J"}, "", 200, "J"},
		{"parameters and case ignored", PassthroughNever, map[string]string{"application/json": "static:J"}, "Application/JSON; charset=UTF-8", 200, "J"},
		{"form template", PassthroughNever, map[string]string{"application/json": "static:J", "application/x-www-form-urlencoded": "static:F"}, "application/x-www-form-urlencoded", 200, "F"},
		{"never: no match is 415", PassthroughNever, map[string]string{"application/json": "static:J"}, "text/plain", 415, ""},
		{"never: no templates is 415", PassthroughNever, map[string]string{}, "application/json", 415, ""},
		{"when no templates: templates but no match is 415", PassthroughWhenNoTemplates, map[string]string{"application/json": "static:J"}, "text/plain", 415, ""},
		{"when no templates: none passes through", PassthroughWhenNoTemplates, map[string]string{}, "text/plain", 200, "raw body"},
		{"when no match: passes through", PassthroughWhenNoMatch, map[string]string{"application/json": "static:J"}, "text/plain", 200, "raw body"},
		{"template error is 500", PassthroughNever, map[string]string{"application/json": "fail"}, "application/json", 500, ""},
		{"body that is not JSON is 400", PassthroughNever, map[string]string{"application/json": "badjson"}, "application/json", 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			integ := &recordingIntegration{status: 200, body: "{}"}
			g := newTestGateway(t, integ, nil, testRoute("POST", "/x", func(r *Route) {
				r.PassthroughBehavior = tc.passthrough
				r.RequestTemplates = tc.templates
			}))
			rec := do(g, "POST", "/dev/x", tc.contentType, "raw body")
			assert.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			switch tc.wantStatus {
			case 415:
				assert.JSONEq(t, `{"message":"Unsupported Media Type"}`, rec.Body.String())
			case 500:
				assert.JSONEq(t, `{"message":"Internal server error"}`, rec.Body.String())
			case 400:
				assert.JSONEq(t, `{"message":"Could not parse request body into json: unexpected end of JSON input"}`, rec.Body.String())
			}
			if tc.wantSent == "" {
				assert.Empty(t, integ.calls)
				return
			}
			call := integ.lastCall(t)
			assert.Equal(t, "StartExecution", call.Action)
			assert.Equal(t, tc.wantSent, call.Body)
		})
	}
}

func TestIntegrationResponseSelection(t *testing.T) {
	projectLike := []IntegrationResponse{
		{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": "static:ok"}},
		{StatusCode: 400, SelectionPattern: `4\d{2}`, ResponseTemplates: map[string]string{"application/json": "static:client"}},
		{StatusCode: 502, SelectionPattern: `5\d{2}`, ResponseTemplates: map[string]string{"application/json": "static:server"}},
	}
	noDefault := []IntegrationResponse{{StatusCode: 400, SelectionPattern: "400"}}
	tests := []struct {
		name       string
		responses  []IntegrationResponse
		sfnStatus  int
		sfnBody    string
		wantStatus int
		wantBody   string
	}{
		{"plugin default: 200 passes the body", defaultResponses(), 200, `{"a":1}`, 200, `{"a":1}`},
		{"plugin default: 400 by pattern", defaultResponses(), 400, `{"e":1}`, 400, `{"e":1}`},
		{"plugin default: 500 falls to 200", defaultResponses(), 500, `{"e":2}`, 200, `{"e":2}`},
		{"pattern is anchored: 4000 is not 400", defaultResponses(), 4000, `{}`, 200, `{}`},
		{"4xx", projectLike, 404, `{}`, 400, `client`},
		{"5xx", projectLike, 503, `{}`, 502, `server`},
		{"2xx", projectLike, 200, `{}`, 200, `ok`},
		{"no default and no match", noDefault, 200, `{}`, 500, `{"message":"Internal server error"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			integ := &recordingIntegration{status: tc.sfnStatus, body: tc.sfnBody}
			g := newTestGateway(t, integ, nil, testRoute("POST", "/x", func(r *Route) { r.Responses = tc.responses }))
			rec := do(g, "POST", "/dev/x", "application/json", "{}")
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Equal(t, tc.wantBody, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "req-1", rec.Header().Get("x-amzn-RequestId"))
		})
	}
}

func TestResponseTemplateFeatures(t *testing.T) {
	tests := []struct {
		name       string
		response   IntegrationResponse
		accept     string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{
			name: "responseOverride status and header",
			response: IntegrationResponse{StatusCode: 200,
				ResponseTemplates: map[string]string{"application/json": "override:202:Location=/jobs/1"}},
			wantStatus: 202, wantBody: "", wantHeader: map[string]string{"Location": "/jobs/1"},
		},
		{
			name: "response parameters",
			response: IntegrationResponse{StatusCode: 200, ResponseParameters: map[string]string{
				"method.response.header.X-Static":  "'yes'",
				"method.response.header.X-Name":    "integration.response.body.name",
				"method.response.header.X-Request": "context.requestId",
				"method.response.header.X-Absent":  "integration.response.header.Nope",
			}},
			wantStatus: 200, wantBody: `{"name":"n1"}`,
			wantHeader: map[string]string{"X-Static": "yes", "X-Name": "n1", "X-Request": "req-1", "X-Absent": ""},
		},
		{
			name: "accept selects the template and content type",
			response: IntegrationResponse{StatusCode: 200, ResponseTemplates: map[string]string{
				"application/json": "static:{}", "text/plain": "static:plain"}},
			accept: "text/plain", wantStatus: 200, wantBody: "plain", wantHeader: map[string]string{"Content-Type": "text/plain"},
		},
		{
			name: "unknown accept falls back to json",
			response: IntegrationResponse{StatusCode: 200, ResponseTemplates: map[string]string{
				"application/json": "static:{}", "text/plain": "static:plain"}},
			accept: "image/png", wantStatus: 200, wantBody: "{}", wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:       "response template error",
			response:   IntegrationResponse{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": "fail"}},
			wantStatus: 500, wantBody: `{"message":"Internal server error"}`,
		},
		{
			name:       "panic in a template is a 500, not a crash",
			response:   IntegrationResponse{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": "panic"}},
			wantStatus: 500, wantBody: `{"message":"Internal server error"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			integ := &recordingIntegration{status: 200, body: `{"name":"n1"}`}
			g := newTestGateway(t, integ, nil, testRoute("POST", "/x", func(r *Route) {
				r.Responses = []IntegrationResponse{tc.response}
			}))
			rec := do(g, "POST", "/dev/x", "application/json", "{}", "Accept", tc.accept)
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Equal(t, tc.wantBody, rec.Body.String())
			for k, v := range tc.wantHeader {
				assert.Equal(t, v, rec.Header().Get(k), k)
			}
		})
	}
}

func TestGatewayErrors(t *testing.T) {
	t.Run("payload over 10 MB is 413", func(t *testing.T) {
		integ := &recordingIntegration{status: 200, body: "{}"}
		g := newTestGateway(t, integ, nil, testRoute("POST", "/x", nil))
		rec := do(g, "POST", "/dev/x", "application/json", strings.Repeat("a", MaxPayloadBytes+1))
		assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		assert.JSONEq(t, `{"message":"Request Too Long"}`, rec.Body.String())
		assert.Empty(t, integ.calls)
	})
	t.Run("payload of exactly 10 MB passes", func(t *testing.T) {
		integ := &recordingIntegration{status: 200, body: "{}"}
		g := newTestGateway(t, integ, nil, testRoute("POST", "/x", nil))
		rec := do(g, "POST", "/dev/x", "application/json", strings.Repeat("a", MaxPayloadBytes))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Len(t, integ.lastCall(t).Body, MaxPayloadBytes)
	})
	t.Run("integration failure is 500", func(t *testing.T) {
		integ := &recordingIntegration{err: errors.New("connection refused")}
		g := newTestGateway(t, integ, nil, testRoute("POST", "/x", nil))
		rec := do(g, "POST", "/dev/x", "application/json", "{}")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.JSONEq(t, `{"message":"Internal server error"}`, rec.Body.String())
		assert.Equal(t, "InternalServerErrorException", rec.Header().Get("x-amzn-ErrorType"))
	})
	t.Run("integration timeout is 504", func(t *testing.T) {
		integ := &recordingIntegration{err: fmt.Errorf("start execution: %w", context.DeadlineExceeded)}
		g := newTestGateway(t, integ, nil, testRoute("POST", "/x", nil))
		rec := do(g, "POST", "/dev/x", "application/json", "{}")
		assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
		assert.JSONEq(t, `{"message":"Endpoint request timed out"}`, rec.Body.String())
	})
	t.Run("integration sees the route timeout as a deadline", func(t *testing.T) {
		var deadline time.Time
		integ := IntegrationFunc(func(ctx context.Context, _ string, _ []byte) (int, []byte, error) {
			deadline, _ = ctx.Deadline()
			return 200, []byte("{}"), nil
		})
		g := newTestGateway(t, integ, nil, testRoute("POST", "/x", func(r *Route) { r.Timeout = 1500 * time.Millisecond }))
		before := time.Now()
		rec := do(g, "POST", "/dev/x", "application/json", "{}")
		require.Equal(t, http.StatusOK, rec.Code)
		require.False(t, deadline.IsZero())
		assert.WithinDuration(t, before.Add(1500*time.Millisecond), deadline, time.Second)
	})
	t.Run("gateway responses customize errors", func(t *testing.T) {
		g, err := New(Config{
			Stage: "dev", Routes: []Route{testRoute("POST", "/x", nil)},
			Integration: &recordingIntegration{}, Parse: fakeParser, Logger: quietLogger(),
			NewRequestID: func() string { return "req-1" },
			GatewayResponses: map[string]GatewayResponse{
				"DEFAULT_4XX": {ResponseTemplates: map[string]string{"application/json": "ctx:error"}},
				"UNSUPPORTED_MEDIA_TYPE": {StatusCode: 400,
					ResponseParameters: map[string]string{"gatewayresponse.header.X-Why": "'media'"}},
			},
		})
		require.NoError(t, err)
		rec := do(g, "GET", "/dev/x", "", "")
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, `map[message:Missing Authentication Token messageString:"Missing Authentication Token" responseType:MISSING_AUTHENTICATION_TOKEN validationErrorString:]`, rec.Body.String())

		rec = do(g, "POST", "/dev/x", "text/plain", "x")
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Equal(t, "media", rec.Header().Get("X-Why"))
		assert.JSONEq(t, `{"message":"Unsupported Media Type"}`, rec.Body.String())
	})
}

func TestCORSPreflight(t *testing.T) {
	g := newTestGateway(t, &recordingIntegration{}, nil, Route{
		Method: "OPTIONS", Path: "/x", Integration: IntegrationMock,
		PassthroughBehavior: PassthroughWhenNoMatch,
		RequestTemplates:    map[string]string{"application/json": "{statusCode:200}"},
		Responses: []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": ""},
			ResponseParameters: map[string]string{
				"method.response.header.Access-Control-Allow-Origin":  "'*'",
				"method.response.header.Access-Control-Allow-Methods": "'OPTIONS,POST'",
			}}},
	})
	rec := do(g, "OPTIONS", "/dev/x", "", "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "OPTIONS,POST", rec.Header().Get("Access-Control-Allow-Methods"))
	assert.Empty(t, rec.Body.String())
}

func TestContextAndLogging(t *testing.T) {
	var logs bytes.Buffer
	integ := &recordingIntegration{status: 200, body: "{}"}
	g := newTestGateway(t, integ, &logs, testRoute("POST", "/jobs/{id}", func(r *Route) {
		r.RequestTemplates = map[string]string{"application/json": "echo"}
		r.Responses = []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": "ctx:requestTime"}}}
	}))
	rec := do(g, "POST", "/dev/jobs/7", "application/json", "{}")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "02/Jan/2026:03:04:05 +0000", rec.Body.String())

	var entry map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &entry), logs.String())
	assert.Equal(t, "request", entry["msg"])
	assert.Equal(t, "POST", entry["method"])
	assert.Equal(t, "/dev/jobs/7", entry["path"])
	assert.Equal(t, float64(200), entry["status"])
	assert.Equal(t, "req-1", entry["requestId"])
	assert.Equal(t, "/jobs/{id}", entry["resource"])
	assert.Contains(t, entry, "latency")

	// Headers API Gateway adds.
	var seen TemplateRequest
	g2 := newTestGateway(t, IntegrationFunc(func(context.Context, string, []byte) (int, []byte, error) { return 200, nil, nil }), nil,
		testRoute("POST", "/h", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "static:x"} }))
	rt := g2.resources[0].methods["POST"]
	rt.requestTemplates["application/json"] = captureTemplate{&seen}
	do(g2, "POST", "/dev/h", "application/json", "{}", "X-Forwarded-For", "10.0.0.1")
	assert.Equal(t, "example.com", seen.Headers["Host"])
	assert.Equal(t, "10.0.0.1, 192.0.2.1", seen.Headers["X-Forwarded-For"])
	assert.Equal(t, "http", seen.Headers["X-Forwarded-Proto"])
	assert.Equal(t, "80", seen.Headers["X-Forwarded-Port"])
	assert.Regexp(t, `^Root=1-[0-9a-f]{8}-[0-9a-z]{24}$`, seen.Headers["X-Amzn-Trace-Id"])

	// $context values the templates read.
	for key, want := range map[string]string{
		"stage": "dev", "httpMethod": "POST", "resourcePath": "/jobs/{id}", "path": "/dev/jobs/7", "requestId": "req-1",
	} {
		g := newTestGateway(t, integ, nil, testRoute("POST", "/jobs/{id}", func(r *Route) {
			r.RequestTemplates = map[string]string{"application/json": "ctx:" + key}
		}))
		do(g, "POST", "/dev/jobs/7", "application/json", "{}")
		assert.Equal(t, want, integ.lastCall(t).Body, key)
	}
}

func TestNewRejectsBrokenConfig(t *testing.T) {
	_, err := New(Config{Stage: "dev", Integration: &recordingIntegration{}, Parse: fakeParser,
		Routes: []Route{testRoute("POST", "/x", func(r *Route) { r.RequestTemplates = map[string]string{"application/json": "bad"} })}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "POST /x: request template application/json")

	_, err = New(Config{Stage: "dev", Integration: &recordingIntegration{}, Parse: fakeParser,
		Routes: []Route{testRoute("POST", "/x", func(r *Route) {
			r.Responses = []IntegrationResponse{{StatusCode: 400, SelectionPattern: "4(("}}
		})}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "selection pattern")

	_, err = New(Config{Stage: "dev", Parse: fakeParser})
	require.Error(t, err)
}

func TestPathPrefixRoot(t *testing.T) {
	integ := &recordingIntegration{status: 200, body: "{}"}
	g, err := New(Config{Stage: "dev", PathPrefix: "/", Routes: []Route{testRoute("POST", "/x", nil)},
		Integration: integ, Parse: fakeParser, Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, do(g, "POST", "/x", "application/json", "{}").Code)
	assert.Equal(t, http.StatusForbidden, do(g, "POST", "/dev/x", "application/json", "{}").Code)
}

// A request the HTTP server refused is answered through DEFAULT_4XX with
// the server's status and a request id, closing the connection.
func TestRefusal(t *testing.T) {
	tests := []struct {
		name       string
		gwResp     map[string]GatewayResponse
		status     int
		reason     string
		wantStatus int
		wantBody   string
	}{
		{name: "the stack's DEFAULT_4XX", status: 400,
			gwResp:     map[string]GatewayResponse{"DEFAULT_4XX": {ResponseTemplates: map[string]string{"application/json": "ctx:error"}}},
			wantStatus: 400, wantBody: "map[message:Bad Request messageString:\"Bad Request\" responseType:DEFAULT_4XX validationErrorString:]"},
		{name: "with the server's reason", status: 400, reason: "missing required Host header",
			gwResp:     map[string]GatewayResponse{"DEFAULT_4XX": {ResponseTemplates: map[string]string{"application/json": "ctx:error"}}},
			wantStatus: 400, wantBody: "map[message:Bad Request: missing required Host header messageString:\"Bad Request: missing required Host header\" responseType:DEFAULT_4XX validationErrorString:]"},
		{name: "a status the gateway response sets wins", status: 431,
			gwResp:     map[string]GatewayResponse{"DEFAULT_4XX": {StatusCode: 418, ResponseTemplates: map[string]string{"application/json": "static:{}"}}},
			wantStatus: 418, wantBody: "{}"},
		{name: "no gateway response: API Gateway's own body", status: 501,
			wantStatus: 501, wantBody: `{"message":"Not Implemented"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(Config{Stage: "dev", Routes: []Route{testRoute("POST", "/x", nil)}, GatewayResponses: tc.gwResp,
				Integration: &recordingIntegration{}, Parse: fakeParser, Logger: quietLogger(), NewRequestID: func() string { return "req-9" }})
			require.NoError(t, err)
			res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(g.Refusal(tc.status, tc.reason))), nil)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, res.StatusCode)
			assert.Equal(t, tc.wantBody, string(body))
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
			assert.Equal(t, "req-9", res.Header.Get("x-amzn-RequestId"))
			assert.True(t, res.Close)
		})
	}
}
