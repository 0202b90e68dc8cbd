package test

// The end-to-end scenarios against a deployed stage (issue 5, item 10):
// the same scenario functions as the local suite, over HTTPS, with a real
// issuer's token. It runs only when ASYNC_API_URL and ASYNC_API_TOKEN are
// set (the deploy workflow sets them after `sls deploy`); nothing here can
// read the stage's DynamoDB or S3, so the job record is checked through
// the API (the result route reads it).

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployedRuntime is the API of a deployed stage, or skips the test.
func deployedRuntime(t *testing.T) *localRuntime {
	t.Helper()
	url, token := os.Getenv("ASYNC_API_URL"), os.Getenv("ASYNC_API_TOKEN")
	if url == "" || token == "" {
		t.Skip("not run: set ASYNC_API_URL (the stage URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/dev) " +
			"and ASYNC_API_TOKEN (a bearer JWT of the stage's issuer) to run the end-to-end scenarios against a deployed stage; " +
			"ASYNC_API_TOKEN_2 (another caller's token) adds the ownership and list scenarios")
	}
	return &localRuntime{api: strings.TrimSuffix(url, "/"), token: token, deployed: true,
		http: &http.Client{Timeout: 30 * time.Second}}
}

func TestDeployedStage(t *testing.T) { runDeployed(t, deployedRuntime(t)) }

// The deployed-stage test itself, run against the local runtime as if it
// were a stage (by URL and token only), so that it is known to work before
// a stage runs it.
func TestE2EStageSuiteOnLocalRuntime(t *testing.T) {
	local := shared(t)
	other, err := local.srv.DevToken("deployed-other", time.Hour, nil)
	require.NoError(t, err)
	t.Setenv("ASYNC_API_URL", local.api+"/dev/")
	t.Setenv("ASYNC_API_TOKEN", local.token)
	t.Setenv("ASYNC_API_TOKEN_2", other)
	runDeployed(t, deployedRuntime(t))
}

func runDeployed(t *testing.T, rt *localRuntime) {
	// The stage's own owner prefix, from a job it starts (the issuer's
	// subject hashed by the authorizer).
	arn, jobID := rt.start(t, `{"records": 3, "seed": 1}`)
	rt.prefix = jobID[:16]

	t.Run("happy path", func(t *testing.T) {
		done := rt.wait(t, arn)
		require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())
		assert.Equal(t, jobID, done.Body["jobId"])
		output, _ := done.Body["output"].(map[string]any)
		result, _ := output["result"].(map[string]any)
		assert.Equal(t, 3.0, result["records"], done.String())
	})
	t.Run("result link", func(t *testing.T) { scenarioResultLink(t, rt) })
	t.Run("key reuse", func(t *testing.T) { scenarioKeyReuse(t, rt) })
	t.Run("ownership", func(t *testing.T) {
		other := os.Getenv("ASYNC_API_TOKEN_2")
		if other == "" {
			t.Skip("set ASYNC_API_TOKEN_2 (another caller's token) for the ownership scenario")
		}
		scenarioOwnership(t, rt, other)
	})
	t.Run("stop", func(t *testing.T) {
		// The largest job runs for seconds on Lambda: time to stop it.
		arn, jobID := rt.start(t, `{"records": 100000}`)
		stopJob(t, rt, arn)
		if s := rt.describe(t, arn).Body["status"]; s == "SUCCEEDED" {
			t.Skip("the job SUCCEEDED before it could be stopped")
		}
		scenarioStopped(t, rt, arn, jobID)
	})
	t.Run("list jobs", func(t *testing.T) {
		other := os.Getenv("ASYNC_API_TOKEN_2")
		if other == "" {
			t.Skip("set ASYNC_API_TOKEN_2 (another caller's token) for the list scenario across two callers")
		}
		// The stage keeps earlier runs' jobs: the list is checked for this run's, in order,
		// and for holding the caller's jobs only.
		scenarioListJobs(t, rt, rt.asCaller(other), false)
	})
	t.Run("list errors", func(t *testing.T) { scenarioListErrors(t, rt) })
	t.Run("job record", func(t *testing.T) { scenarioJobRecord(t, rt, os.Getenv("ASYNC_API_TOKEN_2")) })
	t.Run("progress polled", func(t *testing.T) { scenarioProgressPolled(t, rt) })
	t.Run("record expiry", func(t *testing.T) { scenarioExpirySet(t, rt) })
	t.Run("refusals", func(t *testing.T) {
		describedARN := arn[:strings.LastIndex(arn, ":")+1]
		for _, tc := range []errorCase{
			{name: "no token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", ""},
				wantStatus: 401, wantCode: "UNAUTHORIZED", wantMessage: "Unauthorized"},
			{name: "forged token", path: "/start-execution", body: `{}`, headers: []string{"Authorization", "Bearer " + forged(t, "https://issuer.invalid")},
				wantStatus: 403, wantCode: "ACCESS_DENIED", wantMessage: "User is not authorized to access this resource"},
			{name: "schema: unknown field", path: "/start-execution", body: `{"pad": 1}`,
				wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
			{name: "schema: records out of range", path: "/start-execution", body: `{"records": 0}`,
				wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
			{name: "schema: describe without executionArn", path: "/describe-execution", body: `{}`,
				wantStatus: 400, wantCode: "BAD_REQUEST_BODY", wantMessage: "Invalid request body"},
			{name: "invalid Idempotency-Key", path: "/start-execution", body: `{}`, headers: []string{"Idempotency-Key", "not valid!"},
				wantStatus: 400, wantCode: "InvalidName", wantMessage: "Idempotency-Key must be 1 to 63 characters"},
			{name: "text content type", path: "/start-execution", contentType: "text/plain", body: `{}`,
				wantStatus: 415, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantMessage: "Unsupported Media Type"},
			{name: "unknown job", path: "/describe-execution", body: `{"executionArn": "` + describedARN + rt.prefix + `-no-such-job"}`,
				wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
			{name: "another caller's job", path: "/describe-execution", body: `{"executionArn": "` + describedARN + `0000000000000000-no-such-job"}`,
				wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
			{name: "result of an unknown job", method: http.MethodGet, path: "/jobs/" + rt.prefix + "-no-such-job/result",
				wantStatus: 404, wantCode: "JobNotFound", wantMessage: "Job not found"},
		} {
			t.Run(tc.name, func(t *testing.T) { checkError(t, rt, tc) })
		}
	})
}
