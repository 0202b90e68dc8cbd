package apigw

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

const (
	testMachineARN = "arn:aws:states:us-east-1:000000000000:stateMachine:stepjobs-dev-jobs"
	// testOwner is the owner prefix the fake authorizer gives every caller.
	testOwner = "0123456789abcdef"
)

// projectAuthorizer is the authorizer function: it allows "Bearer ok" as a
// caller with testOwner (what the real authorizer puts in its context) and
// denies anything else.
func projectAuthorizer(payload []byte) ([]byte, error) {
	var req events.APIGatewayCustomAuthorizerRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	if req.AuthorizationToken != "Bearer ok" {
		return json.Marshal(policyAnswer("user-1", "Deny", nil))
	}
	return json.Marshal(policyAnswer("user-1", "Allow", map[string]any{"ownerPrefix": testOwner}))
}

// recordingIntegration answers with a scripted status and body and records
// every call.
type recordingIntegration struct {
	mu     sync.Mutex
	calls  []integrationCall
	status int
	body   string
	// bodies answers per action, overriding body.
	bodies map[string]string
	err    error
}

type integrationCall struct {
	Action string
	Body   string
}

func (f *recordingIntegration) Call(_ context.Context, action string, body []byte) (int, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, integrationCall{Action: action, Body: string(body)})
	if b, ok := f.bodies[action]; ok {
		return f.status, []byte(b), f.err
	}
	return f.status, []byte(f.body), f.err
}

func (f *recordingIntegration) lastCall(t *testing.T) integrationCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.calls, "integration was not called")
	return f.calls[len(f.calls)-1]
}

func quietLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// ConvertRoutes is offline.GatewayRoutes, through which the runtime hands
// serverless.yml's routes to the gateway, so that the project's routes are
// tested as served. wiring_test.go (package apigw_test) sets it: this
// package's own tests cannot import offline, which imports apigw.
var ConvertRoutes func([]slsconfig.Route, map[string]slsconfig.GatewayResponse) ([]Route, map[string]GatewayResponse)

// projectGateway loads the project's serverless.yml and templates.
func projectGateway(t testing.TB, integ Integration) *Gateway {
	t.Helper()
	svc, err := slsconfig.Load(slsconfig.Options{Dir: "../..", Env: func(string) (string, bool) { return "", false }})
	require.NoError(t, err)
	lookup := slsconfig.MapLookup{Refs: map[string]string{"JobsStateMachine": testMachineARN, "JobsTable": "stepjobs-dev-jobs"},
		Attrs: map[string]string{"JobsStateMachine.Name": "stepjobs-dev-jobs"}}
	svcRoutes, err := svc.Routes(lookup)
	require.NoError(t, err)
	svcGwResp, err := svc.GatewayResponses(lookup)
	require.NoError(t, err)
	require.NotNil(t, ConvertRoutes, "wiring_test.go sets ConvertRoutes")
	routes, gwResp := ConvertRoutes(svcRoutes, svcGwResp)
	authorizers := map[string]bool{}
	for _, rc := range routes {
		if rc.Authorizer != nil {
			authorizers[rc.Authorizer.Function] = true
		}
	}
	g, err := New(Config{
		Stage: svc.Stage, Routes: routes, GatewayResponses: gwResp, Integration: integ, DynamoDB: integ,
		Lambda: LambdaInvokerFunc(func(_ context.Context, function string, payload []byte) ([]byte, error) {
			if authorizers[function] {
				return projectAuthorizer(payload)
			}
			return []byte(`{"statusCode":404,"body":"{\"message\":\"Job not found\",\"code\":\"JobNotFound\"}"}`), nil
		}),
		Logger: quietLogger(), NewRequestID: func() string { return "11111111-2222-4333-8444-555555555555" },
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
	})
	require.NoError(t, err)
	return g
}

func TestProjectTemplates(t *testing.T) {
	const execARN = "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:" + testOwner + "-job-1"
	const foreignARN = "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:fedcba9876543210-job-1"
	tests := []struct {
		name        string
		path        string
		method      string
		contentType string
		headers     map[string]string
		body        string
		sfnStatus   int
		sfnBody     string
		wantAction  string // "" when the integration must not be called
		wantSent    string // JSON the integration must receive
		wantStatus  int
		wantBody    string // JSON
		// wantBodyPrefix checks the start of the body instead (for messages
		// that quote a JSON parser), and that the body is JSON with code
		// BAD_REQUEST_BODY.
		wantBodyPrefix string
	}{
		{
			name: "start with idempotency key", path: "/dev/start-execution", method: "POST",
			contentType: "application/json", headers: map[string]string{"idempotency-key": "job-1"},
			body:      `{"records": 10, "simulateFailure": null}`,
			sfnStatus: 200, sfnBody: `{"executionArn":"` + execARN + `","startDate":1.7637e9}`,
			wantAction: "StartExecution",
			wantSent:   `{"input":"{\"records\":10,\"simulateFailure\":null}","name":"` + testOwner + `-job-1","stateMachineArn":"` + testMachineARN + `"}`,
			wantStatus: 202,
			wantBody:   `{"jobId":"` + testOwner + `-job-1","executionArn":"` + execARN + `","startDate":1.7637e9}`,
		},
		{
			name: "start without body uses {} and the request id", path: "/dev/start-execution", method: "POST",
			contentType: "application/json; charset=utf-8",
			sfnStatus:   200, sfnBody: `{"executionArn":"` + execARN + `","startDate":1}`,
			wantAction: "StartExecution",
			wantSent:   `{"input":"{}","name":"` + testOwner + `-11111111-2222-4333-8444-555555555555","stateMachineArn":"` + testMachineARN + `"}`,
			wantStatus: 202,
			wantBody:   `{"jobId":"` + testOwner + `-job-1","executionArn":"` + execARN + `","startDate":1}`,
		},
		{
			name: "a reused key is 409 with code", path: "/dev/start-execution", method: "POST",
			contentType: "application/json", body: `{}`,
			sfnStatus: 400, sfnBody: `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists: 'x'"}`,
			wantAction: "StartExecution",
			wantStatus: 409,
			wantBody:   `{"message":"Execution Already Exists: 'x'","code":"ExecutionAlreadyExists"}`,
		},
		{
			name: "step functions 5xx maps to 502", path: "/dev/describe-execution", method: "POST",
			contentType: "application/json", body: `{"executionArn":"` + execARN + `"}`,
			sfnStatus: 500, sfnBody: `{"__type":"InternalFailure","message":"boom"}`,
			wantAction: "DescribeExecution",
			wantSent:   `{"executionArn":"` + execARN + `"}`,
			wantStatus: 502,
			wantBody:   `{"message":"boom","code":"InternalFailure"}`,
		},
		{
			name: "describe succeeded", path: "/dev/describe-execution", method: "POST",
			contentType: "application/json", body: `{"executionArn":"` + execARN + `"}`,
			sfnStatus: 200,
			sfnBody: `{"executionArn":"` + execARN + `","name":"job-1","status":"SUCCEEDED","input":"{\"records\":10}",` +
				`"output":"{\"jobId\":\"job-1\",\"status\":\"SUCCEEDED\"}","startDate":1795435190.5,"stopDate":1795435195.25}`,
			wantAction: "DescribeExecution",
			wantStatus: 200,
			wantBody:   `{"jobId":"job-1","status":"SUCCEEDED","input":{"records":10},"output":{"jobId":"job-1","status":"SUCCEEDED"},"stopDate":1.79543519525E9,"startDate":1.7954351905E9}`,
		},
		{
			// The record expired 30 days (jobRecordTtlDays) after the execution stopped, a
			// second before the gateway's clock: describe answers as for an unknown job.
			name: "describe of an expired job", path: "/dev/describe-execution", method: "POST",
			contentType: "application/json", body: `{"executionArn":"` + execARN + `"}`,
			sfnStatus: 200,
			sfnBody: `{"executionArn":"` + execARN + `","name":"job-1","status":"SUCCEEDED","input":"{}",` +
				`"startDate":1792843100.5,"stopDate":1792843199}`,
			wantAction: "DescribeExecution",
			wantStatus: 404,
			wantBody:   `{"message":"Job not found","code":"JobNotFound"}`,
		},
		{
			name: "form body is sent to fail as InvalidArn", path: "/dev/start-execution", method: "POST",
			contentType: "application/x-www-form-urlencoded", body: "a=b",
			sfnStatus: 400, sfnBody: `{"__type":"com.amazonaws.swf.service.v2.model#InvalidArn","message":"Invalid Arn: 'Content-Type must be application/json'"}`,
			wantAction: "StartExecution",
			wantSent:   `{"stateMachineArn":"Content-Type must be application/json","executionArn":"Content-Type must be application/json"}`,
			wantStatus: 400,
			wantBody:   `{"message":"Invalid Arn: 'Content-Type must be application/json'","code":"InvalidArn"}`,
		},
		{
			name: "unsupported media type through the gateway response", path: "/dev/start-execution", method: "POST",
			contentType: "text/plain", body: "hello",
			wantStatus: 415,
			wantBody:   `{"message":"Unsupported Media Type","code":"UNSUPPORTED_MEDIA_TYPE"}`,
		},
		{
			name: "malformed JSON body is 400 before Step Functions", path: "/dev/start-execution", method: "POST",
			contentType: "application/json", body: `{"records": 10,`,
			wantStatus: 400,
			wantBody:   `{"message":"Invalid request body","code":"BAD_REQUEST_BODY"}`,
		},
		{
			name: "malformed JSON on describe", path: "/dev/describe-execution", method: "POST",
			contentType: "application/json", body: `executionArn=x`,
			wantStatus: 400,
			wantBody:   `{"message":"Invalid request body","code":"BAD_REQUEST_BODY"}`,
		},
		{
			name: "a body against the schema", path: "/dev/start-execution", method: "POST",
			contentType: "application/json", body: `{"records": 0}`,
			wantStatus: 400,
			wantBody:   `{"message":"Invalid request body","code":"BAD_REQUEST_BODY"}`,
		},
		{
			name: "no token", path: "/dev/start-execution", method: "POST", headers: map[string]string{"Authorization": ""},
			contentType: "application/json", body: `{}`,
			wantStatus: 401,
			wantBody:   `{"message":"Unauthorized","code":"UNAUTHORIZED"}`,
		},
		{
			name: "a refused token", path: "/dev/describe-execution", method: "POST", headers: map[string]string{"Authorization": "Bearer forged"},
			contentType: "application/json", body: `{"executionArn":"` + execARN + `"}`,
			wantStatus: 403,
			wantBody:   `{"message":"User is not authorized to access this resource with an explicit deny","code":"ACCESS_DENIED"}`,
		},
		{
			name: "another caller's job is asked for as not-owned", path: "/dev/stop-execution", method: "POST",
			contentType: "application/json", body: `{"executionArn":"` + foreignARN + `"}`,
			sfnStatus: 400, sfnBody: `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist: 'x'"}`,
			wantAction: "StopExecution",
			wantSent:   `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:not-owned"}`,
			wantStatus: 404,
			wantBody:   `{"message":"Job not found","code":"JobNotFound"}`,
		},
		{
			name: "result route is the function's answer", path: "/dev/jobs/" + testOwner + "-job-1/result", method: "GET",
			wantStatus: 404,
			wantBody:   `{"message":"Job not found","code":"JobNotFound"}`,
		},
		{
			name: "unknown method", path: "/dev/start-execution", method: "GET",
			wantStatus: 403,
			wantBody:   `{"message":"Missing Authentication Token","code":"MISSING_AUTHENTICATION_TOKEN"}`,
		},
		{
			name: "unknown path", path: "/dev/nope", method: "POST",
			wantStatus: 403,
			wantBody:   `{"message":"Missing Authentication Token","code":"MISSING_AUTHENTICATION_TOKEN"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			integ := &recordingIntegration{status: tc.sfnStatus, body: tc.sfnBody}
			g := projectGateway(t, integ)
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			req.Header.Set("Authorization", "Bearer ok")
			for k, v := range tc.headers {
				if v == "" {
					req.Header.Del(k)
					continue
				}
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)

			assert.Equal(t, tc.wantStatus, rec.Code)
			if tc.wantBodyPrefix != "" {
				assert.True(t, strings.HasPrefix(rec.Body.String(), tc.wantBodyPrefix), rec.Body.String())
				var got map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got), rec.Body.String())
				assert.Equal(t, "BAD_REQUEST_BODY", got["code"])
			} else {
				assert.JSONEq(t, tc.wantBody, rec.Body.String())
			}
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "11111111-2222-4333-8444-555555555555", rec.Header().Get("x-amzn-RequestId"))
			if tc.wantAction == "" {
				assert.Empty(t, integ.calls)
				return
			}
			call := integ.lastCall(t)
			assert.Equal(t, tc.wantAction, call.Action)
			if tc.wantSent != "" {
				assert.JSONEq(t, tc.wantSent, call.Body)
			}
		})
	}
}

func TestProjectStartInputIsValidJSON(t *testing.T) {
	// Whatever JSON the schema lets through, the StartExecution request the
	// template renders must be JSON whose input decodes to the same value.
	// (The escaping of quotes and apostrophes is checked on the template
	// alone in test/stack_test.go: the schema admits no free text.)
	bodies := []string{`{"records": 1, "seed": -9223372036854775808}`, `{"simulateFailure": "transient"}`, `{"records": null}`, `{ }`}
	for _, body := range bodies {
		integ := &recordingIntegration{status: 200, body: `{"executionArn":"arn:x:y","startDate":1}`}
		g := projectGateway(t, integ)
		req := httptest.NewRequest(http.MethodPost, "/dev/start-execution", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer ok")
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
		var sent struct{ Input string }
		require.NoError(t, json.Unmarshal([]byte(integ.lastCall(t).Body), &sent), integ.lastCall(t).Body)
		assert.JSONEq(t, body, sent.Input)
	}
}

func TestProjectGatewayConcurrent(t *testing.T) {
	integ := &recordingIntegration{status: 200, bodies: map[string]string{
		"StartExecution": `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:x","startDate":1}`,
	}}
	g := projectGateway(t, integ)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/dev/start-execution", strings.NewReader(`{"seed":`+strconv.Itoa(i)+`}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer ok")
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			codes[i] = rec.Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		assert.Equal(t, http.StatusAccepted, c, i)
	}
	assert.Len(t, integ.calls, 50)
}
