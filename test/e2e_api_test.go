package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/offline"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// Every bad request gets API Gateway's or Step Functions' answer through
// the project's templates and integration responses: a 4xx with
// {"message", "code"}, never a 500 or a hang. The error table of docs/api.md
// lists these cases.
func TestE2EBadRequests(t *testing.T) {
	rt := shared(t)
	// Well formed, but no such job: the caller's own prefix, and another's.
	unknownARN := "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:" + rt.ownerPrefix() + "-no-such-job"
	foreignARN := "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:0000000000000000-no-such-job"
	big := `{"pad": "` + strings.Repeat("x", 256*1024) + `"}`
	expired, err := rt.srv.DevToken("dev-user", time.Hour, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	require.NoError(t, err)
	foreignAudience, err := rt.srv.DevToken("dev-user", time.Hour, map[string]any{"aud": "someone-else"})
	require.NoError(t, err)
	tests := []errorCase{
		{name: "start: no token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "start: not a bearer token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", "Basic dXNlcjpwYXNz"},
			wantStatus: 403, wantCode: "ACCESS_DENIED", wantMessage: "User is not authorized to access this resource"},
		{name: "start: forged token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", "Bearer " + forged(t, rt.api)},
			wantStatus: 403, wantCode: "ACCESS_DENIED", wantMessage: "User is not authorized to access this resource"},
		{name: "start: expired token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", "Bearer " + expired},
			wantStatus: 403, wantCode: "ACCESS_DENIED", wantMessage: "User is not authorized to access this resource"},
		{name: "start: another audience", path: "/start-execution", body: `{}`, headers: []string{"Authorization", "Bearer " + foreignAudience},
			wantStatus: 403, wantCode: "ACCESS_DENIED", wantMessage: "User is not authorized to access this resource"},
		{name: "describe: no token", path: "/describe-execution", body: `{"executionArn": "` + unknownARN + `"}`, headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "result: no token", method: http.MethodGet, path: "/jobs/x/result", headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "stop: no token", path: "/stop-execution", body: `{"executionArn": "` + unknownARN + `"}`, headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "list: no token", method: http.MethodGet, path: "/jobs", headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "record: no token", method: http.MethodGet, path: "/jobs/x", headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "list: bad limit", method: http.MethodGet, path: "/jobs?limit=500",
			wantStatus: 400, wantCode: "InvalidLimit", wantMessage: "limit must be a whole number from 1 to 100"},
		{name: "list: bad status", method: http.MethodGet, path: "/jobs?status=DONE",
			wantStatus: 400, wantCode: "InvalidStatus", wantMessage: "status must be one of RUNNING, SUCCEEDED, FAILED, ABORTED, TIMED_OUT"},
		{name: "list: bad cursor", method: http.MethodGet, path: "/jobs?cursor=bm9wZQ%3D%3D",
			wantStatus: 400, wantCode: "InvalidCursor", wantMessage: "cursor is not one this API gave you"},
		{name: "list: text content type", method: http.MethodGet, path: "/jobs", contentType: "text/plain",
			wantStatus: 415, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantMessage: "Unsupported Media Type"},
		{name: "record: unknown job", method: http.MethodGet, path: "/jobs/" + rt.ownerPrefix() + "-no-such-job",
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "record: another caller's job", method: http.MethodGet, path: "/jobs/0000000000000000-no-such-job",
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "record: not a job id", method: http.MethodGet, path: "/jobs/x",
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "start: malformed JSON", path: "/start-execution", body: `{"records": 5`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: unknown field (and over 256 KiB)", path: "/start-execution", body: big,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: negative records", path: "/start-execution", body: `{"records": -1}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: too many records", path: "/start-execution", body: `{"records": 100001}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: records of the wrong type", path: "/start-execution", body: `{"records": "ten"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: records not an integer", path: "/start-execution", body: `{"records": 1.5}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: unknown simulateFailure", path: "/start-execution", body: `{"simulateFailure": "sometimes"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: not an object", path: "/start-execution", body: `[1, 2]`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: a string", path: "/start-execution", body: `"hello"`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: null", path: "/start-execution", body: `null`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "start: invalid Idempotency-Key", path: "/start-execution", body: `{}`, headers: []string{"Idempotency-Key", "not a valid key!"},
			wantStatus: 400, wantCode: "InvalidName", wantMessage: "Idempotency-Key must be 1 to 63 characters"},
		{name: "start: Idempotency-Key too long", path: "/start-execution", body: `{}`, headers: []string{"Idempotency-Key", strings.Repeat("k", 64)},
			wantStatus: 400, wantCode: "InvalidName", wantMessage: "Idempotency-Key must be 1 to 63 characters"},
		{name: "start: form content type", path: "/start-execution", contentType: "application/x-www-form-urlencoded", body: `records=5`,
			wantStatus: 400, wantCode: "InvalidArn", wantMessage: "Content-Type must be application/json"},
		{name: "start: text content type", path: "/start-execution", contentType: "text/plain", body: `{}`,
			wantStatus: 415, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantMessage: "Unsupported Media Type"},
		{name: "start: body over 10 MB", path: "/start-execution", body: `"` + strings.Repeat("x", 10<<20) + `"`,
			wantStatus: 413, wantCode: "REQUEST_TOO_LARGE", wantMessage: "Request Too Long"},
		{name: "start: GET", method: http.MethodGet, path: "/start-execution",
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "unknown path", path: "/jobs", body: `{}`,
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "describe: malformed JSON", path: "/describe-execution", body: `{"executionArn": `,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: missing executionArn", path: "/describe-execution", body: `{}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: empty body", path: "/describe-execution", body: ``,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: malformed executionArn", path: "/describe-execution", body: `{"executionArn": "job-1"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: executionArn not a string", path: "/describe-execution", body: `{"executionArn": 42}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: executionArn with quotes", path: "/describe-execution", body: `{"executionArn": "a\"b'c\\"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: state machine ARN", path: "/describe-execution",
			body:       `{"executionArn": "arn:aws:states:us-east-1:000000000000:stateMachine:stepjobs-dev-jobs"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "describe: unknown job", path: "/describe-execution", body: `{"executionArn": "` + unknownARN + `"}`,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "describe: another caller's job", path: "/describe-execution", body: `{"executionArn": "` + foreignARN + `"}`,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "describe: form content type", path: "/describe-execution", contentType: "application/x-www-form-urlencoded",
			body: `executionArn=` + unknownARN, wantStatus: 400, wantCode: "InvalidArn", wantMessage: "Content-Type must be application/json"},
		{name: "describe: text content type", path: "/describe-execution", contentType: "text/plain", body: `{}`,
			wantStatus: 415, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantMessage: "Unsupported Media Type"},
		{name: "stop: missing executionArn", path: "/stop-execution", body: `{"jobId": "x"}`,
			wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
		{name: "stop: unknown job", path: "/stop-execution", body: `{"executionArn": "` + unknownARN + `"}`,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "stop: another caller's job", path: "/stop-execution", body: `{"executionArn": "` + foreignARN + `"}`,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "result: unknown job", method: http.MethodGet, path: "/jobs/" + rt.ownerPrefix() + "-no-such-job/result",
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "result: another caller's job", method: http.MethodGet, path: "/jobs/0000000000000000-no-such-job/result",
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "result: malformed job id", method: http.MethodGet, path: "/jobs/not%20a%20job/result",
			wantStatus: 400, wantCode: "InvalidJobId", wantMessage: invalidJobIDMessage},
		// An owner prefix and no key can never be a job id (issue 12).
		{name: "result: the caller's prefix and an empty key", method: http.MethodGet, path: "/jobs/" + rt.ownerPrefix() + "-/result",
			wantStatus: 400, wantCode: "InvalidJobId", wantMessage: invalidJobIDMessage},
		{name: "result: another caller's prefix and an empty key", method: http.MethodGet, path: "/jobs/0000000000000000-/result",
			wantStatus: 400, wantCode: "InvalidJobId", wantMessage: invalidJobIDMessage},
		{name: "result: no owner prefix", method: http.MethodGet, path: "/jobs/no-such-job/result",
			wantStatus: 400, wantCode: "InvalidJobId", wantMessage: invalidJobIDMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, rt, errorCase(tc))
		})
	}
}

// invalidJobIDMessage starts the message of every InvalidJobId.
const invalidJobIDMessage = "jobId must be an owner prefix"

// Paths that are not clean (a repeated slash, a dot segment) are answered
// as API Gateway answers them, with JSON and a request id, never with Go's
// redirect ahead of the authorizer (issue 12). What AWS does was recorded
// by LocalStack's test_lambda_aws_proxy_integration (its snapshot, last
// validated on AWS 2024-08-02): slashes before and right after the stage
// are dropped ("//dev/x" and "/dev//x" are "/dev/x"), a slash inside the
// path is kept, and a trailing one ignored. The local API is also served
// at the root, as the stage is, so "//start-execution" is
// "/start-execution". For a dot segment nothing was recorded: "." and ".."
// are path segments like any other, so a path holding one is an unknown
// path (403 MISSING_AUTHENTICATION_TOKEN), unless a parameter takes it.
func TestE2EUncleanPaths(t *testing.T) {
	rt := shared(t)
	unknownARN := `{"executionArn": "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:` + rt.ownerPrefix() + `-no-such-job"}`
	tests := []errorCase{
		{name: "//start-execution: the route, so its authorizer first", path: "//start-execution", body: `{}`, headers: []string{"Authorization", ""},
			wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
		{name: "//describe-execution: the route", path: "//describe-execution", body: unknownARN,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "//dev/describe-execution: slashes before the stage", path: "//dev/describe-execution", body: unknownARN,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "/dev//describe-execution: slashes after the stage", path: "/dev//describe-execution", body: unknownARN,
			wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		{name: "/./describe-execution", path: "/./describe-execution", body: unknownARN,
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/describe-execution/.", path: "/describe-execution/.", body: unknownARN,
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/jobs/../x", method: http.MethodGet, path: "/jobs/../x",
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/jobs/../x without a token", method: http.MethodGet, path: "/jobs/../x", headers: []string{"Authorization", ""},
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/jobs//result: an empty job id is no segment", method: http.MethodGet, path: "/jobs//result",
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/jobs/x/./result", method: http.MethodGet, path: "/jobs/x/./result",
			wantStatus: 403, wantCode: "MISSING_AUTHENTICATION_TOKEN", wantMessage: "Missing Authentication Token"},
		{name: "/jobs/../result: the job id is ..", method: http.MethodGet, path: "/jobs/../result",
			wantStatus: 400, wantCode: "InvalidJobId", wantMessage: invalidJobIDMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, rt, tc)
		})
	}
}

// A request Go's HTTP server refuses before any handler sees it (a NUL
// byte in a header, a header too large) is still answered with JSON and a
// request id, through the stack's DEFAULT_4XX gateway response, and the
// connection is closed as the server closes it (issue 12).
func TestE2EMalformedRequests(t *testing.T) {
	rt := shared(t)
	u, err := url.Parse(rt.api)
	require.NoError(t, err)
	const good = "POST /start-execution HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	tests := []struct {
		name        string
		raw         string
		wantStatus  int
		wantMessage string
		answers     int // answers before the refusal on the same connection
	}{
		{name: "NUL in a header value", raw: "POST /start-execution HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
			wantStatus: 400, wantMessage: "Bad Request"},
		{name: "NUL in a header name", raw: "POST /start-execution HTTP/1.1\r\nHost: x\r\nX-\x00Note: a\r\nContent-Length: 2\r\n\r\n{}",
			wantStatus: 400, wantMessage: "Bad Request"},
		{name: "a control byte in a header value", raw: "GET /jobs/x/result HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x01b\r\n\r\n",
			wantStatus: 400, wantMessage: "Bad Request"},
		{name: "NUL in the path", raw: "GET /jobs/a\x00b/result HTTP/1.1\r\nHost: x\r\n\r\n",
			wantStatus: 400, wantMessage: "Bad Request"},
		{name: "no Host header", raw: "GET /jobs/x/result HTTP/1.1\r\n\r\n",
			wantStatus: 400, wantMessage: "Bad Request: missing required Host header"},
		{name: "headers over 1 MB", raw: "GET /jobs/x/result HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 1<<20+4096) + "\r\n\r\n",
			wantStatus: 431, wantMessage: "Request Header Fields Too Large"},
		{name: "after a good request on the same connection", raw: good + "POST /start-execution HTTP/1.1\r\nHost: x\r\nX-Note: \x00\r\n\r\n",
			wantStatus: 400, wantMessage: "Bad Request", answers: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
			go func() { _, _ = conn.Write([]byte(tc.raw)) }() // the server may answer before it read everything
			br := bufio.NewReader(conn)
			for range tc.answers {
				res, err := http.ReadResponse(br, nil)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, res.Body)
				require.NoError(t, res.Body.Close())
			}
			res, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			raw, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, res.StatusCode, "%s", raw)
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
			assert.NotEmpty(t, res.Header.Get("X-Amzn-Requestid"))
			assert.True(t, res.Close, "the connection is closed after a refusal")
			var body map[string]any
			require.NoError(t, json.Unmarshal(raw, &body), "the error is JSON: %s", raw)
			assert.Equal(t, map[string]any{"message": tc.wantMessage, "code": "DEFAULT_4XX"}, body)
		})
	}
}

// errorCase is one request the API must refuse with {"message", "code"}.
type errorCase struct {
	name        string
	method      string
	path        string
	contentType string
	headers     []string // name, value pairs; an empty value removes the header
	body        string
	wantStatus  int
	wantCode    string
	wantMessage string
}

// checkError sends tc with the runtime's token and checks the answer.
func checkError(t *testing.T, rt *localRuntime, tc errorCase) {
	t.Helper()
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rt.api+tc.path, strings.NewReader(tc.body))
	require.NoError(t, err)
	ct := tc.contentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	tok, err := rt.bearer(ctx)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(tc.headers); i += 2 {
		if tc.headers[i+1] == "" {
			req.Header.Del(tc.headers[i])
			continue
		}
		req.Header.Set(tc.headers[i], tc.headers[i+1])
	}
	// A redirect is an answer too, never an error's: not followed.
	client := *rt.http
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	require.NoError(t, err, "the API answers (no hang)")
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, tc.wantStatus, res.StatusCode, "%s", raw)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.NotEmpty(t, res.Header.Get("X-Amzn-Requestid"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), "the error is JSON: %s", raw)
	assert.Equal(t, tc.wantCode, body["code"], "%s", raw)
	assert.Contains(t, body["message"], tc.wantMessage)
	assert.Len(t, body, 2, "errors are {message, code}: %s", raw)
}

// A body the start schema accepts starts a job: an empty body is {}.
func TestE2EStartBodies(t *testing.T) {
	rt := shared(t)
	tests := []struct{ name, body, wantInput string }{
		{"empty body is {}", ``, `{}`},
		{"whitespace is {}", " \n", `{}`},
		{"nulls are absent values", `{"records": null, "seed": null, "simulateFailure": null}`, ``},
		{"every field", `{"records": 2, "seed": -7}`, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arn, _ := rt.start(t, tc.body)
			done := rt.wait(t, arn)
			assert.Equal(t, "SUCCEEDED", done.Body["status"], done.String())
			want := tc.wantInput
			if want == "" {
				want = tc.body
			}
			in, err := json.Marshal(done.Body["input"])
			require.NoError(t, err)
			assert.JSONEq(t, want, string(in))
		})
	}
}

// Idempotency runs on its own runtime with a fake engine clock: a job that
// fails transiently waits in its retry until the test moves time on, so it
// is RUNNING for as long as the test needs, without sleeping.
func TestE2EIdempotency(t *testing.T) {
	clock := localsfn.NewFakeClock(time.Now())
	cfg := testConfig()
	cfg.Clock = clock
	rt := own(t, cfg)

	key := uniqueKey("idem")
	body := `{"records": 2, "simulateFailure": "transient"}`
	arn, jobID := rt.start(t, body, "Idempotency-Key", key)
	assert.Equal(t, rt.ownerPrefix()+"-"+key, jobID, "the job id is the caller's owner prefix and the key")

	// Wait until the first attempt failed and the retry is pending.
	waitForEvent(t, rt, arn, "LambdaFunctionFailed")
	require.Equal(t, "RUNNING", rt.describe(t, arn).Body["status"])

	again, againID := rt.start(t, body, "Idempotency-Key", key)
	assert.Equal(t, arn, again, "same key, same body, while RUNNING: the same execution")
	assert.Equal(t, jobID, againID)

	other := rt.post(t, "/start-execution", []byte(`{"records": 3}`), "Idempotency-Key", key)
	assert.Equal(t, http.StatusConflict, other.Status, other.String())
	assert.Equal(t, "ExecutionAlreadyExists", other.Body["code"], other.String())
	assert.Contains(t, other.Body["message"], arn)

	clock.Advance(time.Minute) // past the retry's backoff (at most 1 s)
	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())

	closed := rt.post(t, "/start-execution", []byte(body), "Idempotency-Key", key)
	assert.Equal(t, http.StatusConflict, closed.Status, closed.String())
	assert.Equal(t, "ExecutionAlreadyExists", closed.Body["code"], "a closed execution's name is taken: %s", closed)

	rec, err := rt.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status)
	assert.Equal(t, arn, rec.ExecutionARN)
}

// waitForEvent waits until the execution's history has an event of typ.
func waitForEvent(t *testing.T, rt *localRuntime, arn string, typ sfntypes.HistoryEventType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		hist, err := rt.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
		require.NoError(t, err)
		for _, ev := range hist.Events {
			if ev.Type == typ {
				return
			}
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "no "+string(typ)+" event at the deadline", arn)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// 200 jobs started at once all succeed, and the job table agrees with
// every execution.
func TestE2EConcurrentJobs(t *testing.T) {
	rt := shared(t)
	const n = 200
	arns := make([]string, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]int{"records": 1 + i%50, "seed": i})
			resp, err := rt.tryPost(t.Context(), "/start-execution", body)
			if err != nil {
				errs <- err
				return
			}
			if resp.Status != http.StatusAccepted {
				errs <- &statusError{resp}
				return
			}
			arns[i], _ = resp.Body["executionArn"].(string)
			ids[i], _ = resp.Body["jobId"].(string)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	results := make([]response, n)
	for i := range n {
		wg.Go(func() { results[i] = rt.wait(t, arns[i]) })
	}
	wg.Wait()
	for i, res := range results {
		require.Equal(t, "SUCCEEDED", res.Body["status"], "%s: %s", arns[i], res)
		rec, err := rt.jobs.Get(t.Context(), ids[i])
		require.NoError(t, err, ids[i])
		assert.Equal(t, job.StatusSucceeded, rec.Status, ids[i])
		assert.Equal(t, arns[i], rec.ExecutionARN)
		require.NotNil(t, rec.Result, ids[i])
		assert.Equal(t, "results/"+ids[i]+".json", rec.Result.Key)
		assert.Equal(t, 1+i%50, rec.Result.Records)
		output, _ := res.Body["output"].(map[string]any)
		result, _ := output["result"].(map[string]any)
		assert.Equal(t, float64(rec.Result.Bytes), result["bytes"], ids[i])
	}
}

type statusError struct{ r response }

func (e *statusError) Error() string { return "unexpected answer: " + e.r.String() }

// The AWS SDK's Step Functions client works against the local endpoint, and
// sees the executions the API started.
func TestE2ESDK(t *testing.T) {
	rt := shared(t)
	ctx := t.Context()
	arn, _ := rt.start(t, `{"records": 2}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])

	machines, err := rt.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	require.NoError(t, err)
	var smARN string
	for _, sm := range machines.StateMachines {
		if aws.ToString(sm.Name) == "stepjobs-dev-jobs" {
			smARN = aws.ToString(sm.StateMachineArn)
		}
	}
	require.Equal(t, rt.srv.Resources().StateMachines["jobs"], smARN)

	sm, err := rt.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN)})
	require.NoError(t, err)
	assert.Equal(t, sfntypes.StateMachineTypeStandard, sm.Type)
	assert.Contains(t, aws.ToString(sm.Definition), `"arn:aws:lambda:us-east-1:000000000000:function:stepjobs-dev-tracking"`)
	assert.NotContains(t, aws.ToString(sm.Definition), "Fn::GetAtt", "the definition is resolved as deployed")

	ex, err := rt.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, sfntypes.ExecutionStatusSucceeded, ex.Status)
	assert.JSONEq(t, `{"records": 2}`, aws.ToString(ex.Input))
	assert.Equal(t, smARN, aws.ToString(ex.StateMachineArn))

	hist, err := rt.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true})
	require.NoError(t, err)
	require.NotEmpty(t, hist.Events)
	assert.Equal(t, sfntypes.HistoryEventTypeExecutionSucceeded, hist.Events[0].Type)
	assert.Equal(t, sfntypes.HistoryEventTypeExecutionStarted, hist.Events[len(hist.Events)-1].Type)

	list, err := rt.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smARN), StatusFilter: sfntypes.ExecutionStatusSucceeded, MaxResults: 1000})
	require.NoError(t, err)
	var found bool
	for _, e := range list.Executions {
		found = found || aws.ToString(e.ExecutionArn) == arn
	}
	assert.True(t, found, "ListExecutions lists %s", arn)

	// An execution started through the SDK is visible through the API
	// when its name carries the caller's owner prefix.
	started, err := rt.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Input: aws.String(`{"records": 1}`),
		Name: aws.String(rt.ownerPrefix() + "-" + uniqueKey("sdk"))})
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", rt.wait(t, aws.ToString(started.ExecutionArn)).Body["status"])

	_, err = rt.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(smARN + "x")})
	require.Error(t, err)
}

// With a data directory, job records and results survive a restart (the
// engine's executions live in memory and do not).
func TestE2EDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.DataDir = dir
	first, err := startRuntime(t.Context(), cfg)
	require.NoError(t, err)
	arn, jobID := first.start(t, `{"records": 4, "seed": 9}`)
	require.Equal(t, "SUCCEEDED", first.wait(t, arn).Body["status"])
	first.close()

	second := own(t, cfg)
	rec, err := second.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status)
	obj, err := second.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(second.bucket), Key: aws.String(rec.Result.Key)})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = buf.ReadFrom(obj.Body)
	require.NoError(t, obj.Body.Close())
	require.NoError(t, err)
	var weather weatherResult
	require.NoError(t, json.Unmarshal(buf.Bytes(), &weather))
	assert.Len(t, weather.Observations, 4)

	// New jobs run on the restarted stores.
	arn2, _ := second.start(t, `{"records": 1}`)
	assert.Equal(t, "SUCCEEDED", second.wait(t, arn2).Body["status"])
}

// The readiness endpoint answers 200 once the runtime is up.
func TestE2EReady(t *testing.T) {
	rt := shared(t)
	res, err := rt.http.Get(rt.srv.URLs().Ready)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"status":"ready"}`, string(body))
	assert.True(t, strings.HasSuffix(rt.srv.URLs().Ready, offline.ReadyPath))
}

// With --dynamodb-endpoint and --s3-endpoint the runtime starts neither
// dynalite nor gofakes3 and uses those endpoints (here: the shared
// runtime's stores, where the table and the bucket already exist).
func TestE2EExternalEndpoints(t *testing.T) {
	base := shared(t)
	cfg := testConfig()
	cfg.DynamoDBEndpoint = base.srv.URLs().DynamoDB
	cfg.S3Endpoint = base.srv.URLs().S3
	rt := own(t, cfg)
	assert.Equal(t, cfg.DynamoDBEndpoint, rt.srv.URLs().DynamoDB)
	assert.Equal(t, cfg.S3Endpoint, rt.srv.URLs().S3)

	arn, jobID := rt.start(t, `{"records": 3}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	rec, err := base.jobs.Get(t.Context(), jobID)
	require.NoError(t, err, "the record is in the other runtime's DynamoDB")
	assert.Equal(t, job.StatusSucceeded, rec.Status)
	_, err = base.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(base.bucket), Key: aws.String(rec.Result.Key)})
	assert.NoError(t, err, "the result is in the other runtime's S3")
}

// Shutting down lets running executions finish before the stores stop: a
// job held in its retry (fake clock) while Close runs still ends SUCCEEDED
// in the job table, as a restart on the same data directory shows.
func TestE2EShutdownDrainsExecutions(t *testing.T) {
	clock := localsfn.NewFakeClock(time.Now())
	cfg := testConfig()
	cfg.Clock = clock
	cfg.DataDir = t.TempDir()
	rt, err := startRuntime(t.Context(), cfg)
	require.NoError(t, err)
	arn, jobID := rt.start(t, `{"records": 2, "simulateFailure": "transient"}`)
	waitForEvent(t, rt, arn, "LambdaFunctionFailed")

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closed <- rt.srv.Close(ctx)
	}()
	// Once the API refuses connections, Close is past the servers and
	// waiting for the execution; only then does its retry fire.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		if _, err := http.Get(rt.srv.URLs().Ready); err != nil {
			break
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "the API still answers during Close")
		case <-time.After(5 * time.Millisecond):
		}
	}
	clock.Advance(time.Minute)
	require.NoError(t, <-closed)

	cfg.Clock = nil
	again := own(t, cfg)
	rec, err := again.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusSucceeded, rec.Status, "the job finished before the stores stopped")
}

// --stage names every resource and the path prefix after the stage, as
// `sls deploy --stage` does.
func TestE2EStage(t *testing.T) {
	cfg := testConfig()
	cfg.Stage = "qa"
	rt := own(t, cfg)
	res := rt.srv.Resources()
	assert.Equal(t, "qa", res.Stage)
	assert.Equal(t, "stepjobs-qa-jobs", res.Tables["JobsTable"])
	assert.Equal(t, "arn:aws:states:us-east-1:000000000000:stateMachine:stepjobs-qa-jobs", res.StateMachines["jobs"])
	assert.Equal(t, rt.srv.URLs().API+"/qa", rt.srv.URLs().StageAPI)

	resp := rt.post(t, "/qa/start-execution", []byte(`{"records": 1}`))
	require.Equal(t, http.StatusAccepted, resp.Status, resp.String())
	arn, _ := resp.Body["executionArn"].(string)
	assert.Contains(t, arn, ":execution:stepjobs-qa-jobs:")
	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())
	output, _ := done.Body["output"].(map[string]any)
	result, _ := output["result"].(map[string]any)
	assert.Equal(t, "stepjobs-qa-resultsbucket", result["bucket"])

	wrong := rt.post(t, "/dev/start-execution", []byte(`{}`))
	assert.Equal(t, http.StatusForbidden, wrong.Status, "another stage's path is not this API: %s", wrong)
}
