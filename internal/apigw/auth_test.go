package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var tokenAuthorizer = &Authorizer{Name: "authorizer", Type: "TOKEN", Function: "authorizer",
	IdentitySource: "method.request.header.Authorization"}

// fakeAuthorizer is the authorizer function, answering by token: "good"
// allows the stage with a context, "deny" denies it, "unauthorized" fails
// with "Unauthorized" as a process-mode function reports it, anything
// else fails; it records the events.
type fakeAuthorizer struct {
	seen []events.APIGatewayCustomAuthorizerRequest
}

func (f *fakeAuthorizer) answer(payload []byte) ([]byte, error) {
	var req events.APIGatewayCustomAuthorizerRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	f.seen = append(f.seen, req)
	switch req.AuthorizationToken {
	case "Bearer good":
		return json.Marshal(policyAnswer("alice", "Allow", map[string]any{"ownerPrefix": "0123456789abcdef"}))
	case "Bearer deny":
		return json.Marshal(policyAnswer("alice", "Deny", nil))
	case "Bearer unauthorized":
		return nil, messages.InvokeResponse_Error{Type: "errorString", Message: "Unauthorized"}
	}
	return nil, errors.New("boom")
}

// policyAnswer is an authorizer's answer with one statement on every
// route of every stage.
func policyAnswer(principal, effect string, ctx map[string]any) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect,
				Resource: []string{"arn:aws:execute-api:*"}}}},
		Context: ctx}
}

// withAuthorizer answers the authorizer function with a, the others with
// lambda.
func withAuthorizer(a *fakeAuthorizer, lambda LambdaInvoker) LambdaInvoker {
	return LambdaInvokerFunc(func(ctx context.Context, function string, payload []byte) ([]byte, error) {
		if function == tokenAuthorizer.Function {
			return a.answer(payload)
		}
		return lambda.Invoke(ctx, function, payload)
	})
}

func authGateway(t *testing.T, a *fakeAuthorizer, lambda LambdaInvoker) *Gateway {
	t.Helper()
	return authGatewayWith(t, a, lambda, tokenAuthorizer, nil)
}

// authGatewayWith is authGateway with the routes' authorizer and the clock
// given.
func authGatewayWith(t *testing.T, a *fakeAuthorizer, lambda LambdaInvoker, auth *Authorizer, now func() time.Time) *Gateway {
	t.Helper()
	if lambda == nil {
		lambda = LambdaInvokerFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("not used") })
	}
	schema := []byte(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",
		"properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}`)
	routes := []Route{
		{Method: "POST", Path: "/start", Integration: IntegrationAWS, Action: "StartExecution",
			PassthroughBehavior: PassthroughWhenNoTemplates, Authorizer: auth,
			RequestSchemas:   map[string][]byte{"application/json": schema},
			RequestTemplates: map[string]string{"application/json": "ctx:authorizer"},
			Responses:        defaultResponses()},
		{Method: "GET", Path: "/jobs/{jobId}/result", Integration: IntegrationAWSProxy, Function: "jobResult",
			Authorizer: auth},
	}
	g, err := New(Config{Stage: "dev", Routes: routes, Parse: fakeParser, Lambda: withAuthorizer(a, lambda), Now: now,
		Region: "eu-west-1", AccountID: "123456789012", APIID: "api1",
		Integration: IntegrationFunc(func(_ context.Context, _ string, body []byte) (int, []byte, error) {
			return 200, body, nil
		}),
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return g
}

func doAuth(t *testing.T, g http.Handler, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, req)
	return w
}

func TestAuthorizerDecisions(t *testing.T) {
	tests := []struct {
		name, token, body string
		wantStatus        int
		wantBody          string
		wantErrorType     string
		wantCalled        bool
	}{
		{name: "no token: 401 without calling the authorizer", body: `{"n":1}`,
			wantStatus: 401, wantBody: `{"message":"Unauthorized"}`, wantErrorType: "UnauthorizedException"},
		{name: "denied: 403", token: "Bearer deny", body: `{"n":1}`, wantCalled: true,
			wantStatus: 403, wantBody: `{"message":"User is not authorized to access this resource with an explicit deny"}`, wantErrorType: "AccessDeniedException"},
		{name: "authorizer fails: 500 with a null message", token: "Bearer boom", body: `{"n":1}`, wantCalled: true,
			wantStatus: 500, wantBody: `{"message":null}`, wantErrorType: "AuthorizerConfigurationException"},
		{name: "Unauthorized from the function: 401", token: "Bearer unauthorized", body: `{"n":1}`, wantCalled: true,
			wantStatus: 401, wantBody: `{"message":"Unauthorized"}`, wantErrorType: "UnauthorizedException"},
		{name: "allowed: the context reaches the template", token: "Bearer good", body: `{"n":1}`, wantCalled: true,
			wantStatus: 200, wantBody: `map[ownerPrefix:0123456789abcdef principalId:alice]`},
		{name: "authorizer before validation: no token with a bad body is 401", body: `{"x":1}`,
			wantStatus: 401, wantBody: `{"message":"Unauthorized"}`, wantErrorType: "UnauthorizedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &fakeAuthorizer{}
			g := authGateway(t, a, nil)
			var h []string
			if tc.token != "" {
				h = []string{"Authorization", tc.token}
			}
			w := doAuth(t, g, "POST", "/dev/start", tc.body, h...)
			assert.Equal(t, tc.wantStatus, w.Code)
			if strings.HasPrefix(tc.wantBody, "{") {
				assert.JSONEq(t, tc.wantBody, w.Body.String())
			} else {
				assert.Equal(t, tc.wantBody, w.Body.String())
			}
			assert.Equal(t, tc.wantErrorType, w.Header().Get("x-amzn-ErrorType"))
			if !tc.wantCalled {
				assert.Empty(t, a.seen)
				return
			}
			require.Len(t, a.seen, 1)
			assert.Equal(t, "TOKEN", a.seen[0].Type)
			assert.Equal(t, tc.token, a.seen[0].AuthorizationToken)
			assert.Equal(t, "arn:aws:execute-api:eu-west-1:123456789012:api1/dev/POST/start", a.seen[0].MethodArn)
		})
	}
}

// With a ResultTTL, an authorizer's answer is cached by token until it
// expires and applied to every method, as API Gateway does; a failed call
// is not cached.
func TestAuthorizerResultCache(t *testing.T) {
	cached := *tokenAuthorizer
	cached.ResultTTL = 300 * time.Second
	lambda := LambdaInvokerFunc(func(context.Context, string, []byte) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"ok"}`), nil
	})
	type step struct {
		advance      time.Duration
		method, path string
		token        string
		wantStatus   int
		wantCalls    int // the authorizer's calls so far
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "an allow is reused across methods until it expires", steps: []step{
			{method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 1},
			{method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 1},
			{method: "GET", path: "/dev/jobs/j1/result", token: "Bearer good", wantStatus: 200, wantCalls: 1},
			{advance: 299 * time.Second, method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 1},
			{advance: time.Second, method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 2},
		}},
		{name: "a deny is cached too", steps: []step{
			{method: "POST", path: "/dev/start", token: "Bearer deny", wantStatus: 403, wantCalls: 1},
			{method: "GET", path: "/dev/jobs/j1/result", token: "Bearer deny", wantStatus: 403, wantCalls: 1},
		}},
		{name: "Unauthorized and a failure are asked again", steps: []step{
			{method: "POST", path: "/dev/start", token: "Bearer unauthorized", wantStatus: 401, wantCalls: 1},
			{method: "POST", path: "/dev/start", token: "Bearer unauthorized", wantStatus: 401, wantCalls: 2},
			{method: "POST", path: "/dev/start", token: "Bearer boom", wantStatus: 500, wantCalls: 3},
			{method: "POST", path: "/dev/start", token: "Bearer boom", wantStatus: 500, wantCalls: 4},
		}},
		{name: "tokens are cached apart", steps: []step{
			{method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 1},
			{method: "POST", path: "/dev/start", token: "Bearer deny", wantStatus: 403, wantCalls: 2},
			{method: "POST", path: "/dev/start", token: "Bearer good", wantStatus: 200, wantCalls: 2},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			a := &fakeAuthorizer{}
			g := authGatewayWith(t, a, lambda, &cached, func() time.Time { return now })
			for i, s := range tc.steps {
				now = now.Add(s.advance)
				w := doAuth(t, g, s.method, s.path, `{"n":1}`, "Authorization", s.token)
				assert.Equal(t, s.wantStatus, w.Code, "step %d: %s", i, w.Body.String())
				assert.Len(t, a.seen, s.wantCalls, "step %d", i)
			}
		})
	}
}

// Without a ResultTTL every request asks the authorizer.
func TestAuthorizerWithoutCache(t *testing.T) {
	a := &fakeAuthorizer{}
	g := authGateway(t, a, nil)
	for range 3 {
		assert.Equal(t, 200, doAuth(t, g, "POST", "/dev/start", `{"n":1}`, "Authorization", "Bearer good").Code)
	}
	assert.Len(t, a.seen, 3)
}

func TestAuthCacheBound(t *testing.T) {
	var c authCache
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := policyAnswer("alice", "Allow", nil)
	for i := range maxCachedDecisions {
		c.put(authKey{authorizer: "a", token: strconv.Itoa(i)}, resp, now, time.Minute)
	}
	// Full, none expired: a new answer empties the cache first.
	c.put(authKey{authorizer: "a", token: "new"}, resp, now, time.Minute)
	assert.Len(t, c.answers, 1)
	_, ok := c.get(authKey{authorizer: "a", token: "new"}, now)
	assert.True(t, ok)
	_, ok = c.get(authKey{authorizer: "a", token: "new"}, now.Add(time.Minute))
	assert.False(t, ok, "an answer expires at its TTL")
}

func TestRequestValidation(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantValidation          string
	}{
		{name: "valid", body: `{"n":1}`, wantStatus: 200},
		{name: "missing property", body: `{}`, wantStatus: 400,
			wantValidation: `[object has missing required properties (["n"])]`},
		{name: "not JSON", body: `{"n":`, wantStatus: 400, wantValidation: "Invalid JSON"},
		{name: "no content type is application/json", contentType: "-", body: `{}`, wantStatus: 400,
			wantValidation: "missing required properties"},
		{name: "a content type without a schema is not validated", contentType: "text/plain", body: `{}`, wantStatus: 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := []byte(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["n"]}`)
			var seen map[string]any
			g, err := New(Config{Stage: "dev", Parse: fakeParser, Logger: slog.New(slog.DiscardHandler),
				Routes: []Route{{Method: "POST", Path: "/start", Integration: IntegrationAWS,
					PassthroughBehavior: PassthroughWhenNoTemplates,
					RequestSchemas:      map[string][]byte{"application/json": schema},
					RequestTemplates:    map[string]string{"application/json": "echo"}, Responses: defaultResponses()}},
				GatewayResponses: map[string]GatewayResponse{"DEFAULT_4XX": {ResponseTemplates: map[string]string{"application/json": "capture"}}},
				Integration:      IntegrationFunc(func(context.Context, string, []byte) (int, []byte, error) { return 200, []byte(`{}`), nil }),
			})
			require.NoError(t, err)
			// The gateway response records $context.error.
			g.gwResp["DEFAULT_4XX"].templates["application/json"] = errorCapture{seen: &seen}
			req := httptest.NewRequest("POST", "/dev/start", strings.NewReader(tc.body))
			switch tc.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, req)
			assert.Equal(t, tc.wantStatus, w.Code, w.Body.String())
			if tc.wantValidation == "" {
				return
			}
			require.NotNil(t, seen)
			assert.Equal(t, "BAD_REQUEST_BODY", seen["responseType"])
			assert.Equal(t, "Invalid request body", seen["message"])
			assert.Equal(t, `"Invalid request body"`, seen["messageString"])
			assert.Contains(t, seen["validationErrorString"], tc.wantValidation)
		})
	}
}

// errorCapture is a gateway response template that records $context.error.
type errorCapture struct{ seen *map[string]any }

func (e errorCapture) Render(_ context.Context, env *TemplateEnv) (*TemplateResult, error) {
	m, _ := env.Context["error"].(map[string]any)
	*e.seen = m
	return &TemplateResult{Body: `{}`}, nil
}

func TestLambdaProxyRoute(t *testing.T) {
	var got events.APIGatewayProxyRequest
	var fn string
	lambda := LambdaInvokerFunc(func(_ context.Context, function string, payload []byte) ([]byte, error) {
		fn = function
		require.NoError(t, json.Unmarshal(payload, &got))
		return json.Marshal(events.APIGatewayProxyResponse{StatusCode: 409,
			Headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
			Body:    `{"code":"JobNotSucceeded"}`})
	})
	g := authGateway(t, &fakeAuthorizer{}, lambda)
	w := doAuth(t, g, "GET", "/dev/jobs/abc-1/result?x=1", "", "Authorization", "Bearer good")
	assert.Equal(t, 409, w.Code)
	assert.JSONEq(t, `{"code":"JobNotSucceeded"}`, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "jobResult", fn)
	assert.Equal(t, "/jobs/{jobId}/result", got.Resource)
	assert.Equal(t, "/dev/jobs/abc-1/result", got.Path)
	assert.Equal(t, "GET", got.HTTPMethod)
	assert.Equal(t, map[string]string{"jobId": "abc-1"}, got.PathParameters)
	assert.Equal(t, map[string]string{"x": "1"}, got.QueryStringParameters)
	assert.Equal(t, "Bearer good", got.Headers["Authorization"])
	assert.Equal(t, "0123456789abcdef", got.RequestContext.Authorizer["ownerPrefix"])
	assert.Equal(t, "alice", got.RequestContext.Authorizer["principalId"])
	assert.Equal(t, "dev", got.RequestContext.Stage)
	assert.Equal(t, "/jobs/{jobId}/result", got.RequestContext.ResourcePath)
	assert.NotEmpty(t, got.RequestContext.RequestID)

	t.Run("no token: 401, function not called", func(t *testing.T) {
		fn = ""
		w := doAuth(t, g, "GET", "/dev/jobs/abc-1/result", "")
		assert.Equal(t, 401, w.Code)
		assert.Empty(t, fn)
	})
}

func TestLambdaProxyFailures(t *testing.T) {
	tests := map[string]LambdaInvokerFunc{
		"function error": func(context.Context, string, []byte) ([]byte, error) { return nil, errors.New("crash") },
		"no statusCode":  func(context.Context, string, []byte) ([]byte, error) { return []byte(`{"body":"x"}`), nil },
		"not JSON":       func(context.Context, string, []byte) ([]byte, error) { return []byte(`oops`), nil },
		"bad base64": func(context.Context, string, []byte) ([]byte, error) {
			return []byte(`{"statusCode":200,"body":"***","isBase64Encoded":true}`), nil
		},
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			g := authGateway(t, &fakeAuthorizer{}, fn)
			w := doAuth(t, g, "GET", "/dev/jobs/a/result", "", "Authorization", "Bearer good")
			assert.Equal(t, 502, w.Code)
			assert.JSONEq(t, `{"message":"Internal server error"}`, w.Body.String())
		})
	}
	t.Run("base64 body is decoded", func(t *testing.T) {
		g := authGateway(t, &fakeAuthorizer{}, LambdaInvokerFunc(func(context.Context, string, []byte) ([]byte, error) {
			return []byte(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true,"headers":{"Content-Type":"text/plain"}}`), nil
		}))
		w := doAuth(t, g, "GET", "/dev/jobs/a/result", "", "Authorization", "Bearer good")
		assert.Equal(t, 200, w.Code)
		b, _ := io.ReadAll(w.Body)
		assert.Equal(t, "hi", string(b))
		assert.Equal(t, "text/plain", w.Header().Get("Content-Type"))
	})
}

func TestNewLambdaProxyNeedsInvoker(t *testing.T) {
	_, err := New(Config{Stage: "dev", Parse: fakeParser, Integration: IntegrationFunc(nil),
		Routes: []Route{{Method: "GET", Path: "/r", Integration: IntegrationAWSProxy, Function: "f"}}})
	assert.ErrorContains(t, err, "needs Config.Lambda")
}
