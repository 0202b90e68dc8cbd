package test

// Issue 5's scenarios (ownership, cancel, result links), written against
// the API only so that e2e_deployed_test.go runs the very same functions
// against a deployed stage; the local tests add checks of the job table.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// asCaller is rt with another bearer token (another caller).
func (rt *localRuntime) asCaller(token string) *localRuntime {
	other := *rt
	other.token = token
	return &other
}

// describeRaw posts a describe without requiring a 200.
func (rt *localRuntime) describeRaw(t testing.TB, arn string) response {
	t.Helper()
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	return rt.post(t, "/describe-execution", body)
}

// scenarioOwnership: a job is its starter's; another caller gets the
// answer of an unknown job for describe, stop and result.
func scenarioOwnership(t *testing.T, rt *localRuntime, otherToken string) {
	arn, jobID := rt.start(t, `{"records": 1}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	other := rt.asCaller(otherToken)

	for _, path := range []string{"/describe-execution", "/stop-execution"} {
		body, err := json.Marshal(map[string]string{"executionArn": arn})
		require.NoError(t, err)
		resp := other.post(t, path, body)
		assert.Equal(t, http.StatusNotFound, resp.Status, "%s: %s", path, resp)
		assert.Equal(t, map[string]any{"message": "Job not found", "code": "JobNotFound"}, resp.Body, "%s: the same answer as an unknown job", path)
	}
	resp := other.get(t, "/jobs/"+jobID+"/result")
	assert.Equal(t, http.StatusNotFound, resp.Status, resp.String())
	assert.Equal(t, map[string]any{"message": "Job not found", "code": "JobNotFound"}, resp.Body)

	// The other caller's own jobs are named after it.
	_, otherID := other.start(t, `{"records": 1}`)
	assert.NotEqual(t, jobID[:16], otherID[:16], "owner prefixes differ")
	assert.Equal(t, http.StatusOK, rt.describeRaw(t, arn).Status, "the owner still sees the job")
}

// scenarioResultLink: a SUCCEEDED job's result link downloads its JSON
// without credentials.
func scenarioResultLink(t *testing.T, rt *localRuntime) {
	arn, jobID := rt.start(t, `{"records": 5, "seed": 3}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	before := time.Now()
	resp := rt.get(t, "/jobs/"+jobID+"/result")
	require.Equal(t, http.StatusOK, resp.Status, resp.String())
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "a link is a credential: never cached")
	assert.Equal(t, jobID, resp.Body["jobId"])
	url, _ := resp.Body["url"].(string)
	require.NotEmpty(t, url, resp.String())
	assert.Contains(t, url, "X-Amz-Signature=")
	assert.Contains(t, url, "X-Amz-Expires=900", "15 minutes")
	expires, err := time.Parse(time.RFC3339, resp.Body["expiresAt"].(string))
	require.NoError(t, err)
	assert.True(t, expires.After(before), "expiresAt %s is in the future", expires)
	assert.False(t, expires.After(before.Add(16*time.Minute)), "expiresAt %s is at most 15 minutes away", expires)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req) // no Authorization: the link is enough
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var weather weatherResult
	require.NoError(t, json.Unmarshal(body, &weather), "the result is JSON")
	assert.Equal(t, jobID, weather.JobID)
	assert.Equal(t, 5, weather.Records)
	assert.Len(t, weather.Observations, 5)
}

// scenarioNoResultYet: a RUNNING job has no result yet (409).
func scenarioNoResultYet(t *testing.T, rt *localRuntime, jobID string) {
	running := rt.get(t, "/jobs/"+jobID+"/result")
	assert.Equal(t, http.StatusConflict, running.Status, running.String())
	assert.Equal(t, "JobNotSucceeded", running.Body["code"], running.String())
	assert.Equal(t, "Job is RUNNING: only a SUCCEEDED job has a result", running.Body["message"])
}

// stopJob posts /stop-execution and checks its answer.
func stopJob(t *testing.T, rt *localRuntime, arn string) {
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	stop := rt.post(t, "/stop-execution", body)
	require.Equal(t, http.StatusOK, stop.Status, stop.String())
	assert.IsType(t, float64(0), stop.Body["stopDate"], "stopDate is epoch seconds: %s", stop)
	assert.Len(t, stop.Body, 1, stop.String())
}

// scenarioStopped: after a stop, describe shows ABORTED, and once the
// status change reached status-update (EventBridge) the record is ABORTED
// too, which the result route reads (409 "Job is ABORTED").
func scenarioStopped(t *testing.T, rt *localRuntime, arn, jobID string) {
	described := rt.describe(t, arn)
	assert.Equal(t, "ABORTED", described.Body["status"], described.String())
	assert.IsType(t, float64(0), described.Body["stopDate"])

	// The record follows asynchronously: poll the result route. A job
	// stopped before Track wrote its record has none until the ABORTED
	// update creates it (404 meanwhile), and a busy store answers 503.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for {
		resp := rt.get(t, "/jobs/"+jobID+"/result")
		require.Contains(t, []int{http.StatusConflict, http.StatusNotFound, http.StatusServiceUnavailable}, resp.Status, resp.String())
		if resp.Status == http.StatusConflict && resp.Body["message"] == "Job is ABORTED: only a SUCCEEDED job has a result" {
			break
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "the job record never became ABORTED", resp.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scenarioKeyReuse: the same Idempotency-Key with another body is 409.
func scenarioKeyReuse(t *testing.T, rt *localRuntime) {
	key := uniqueKey("reuse")
	arn, _ := rt.start(t, `{"records": 1}`, "Idempotency-Key", key)
	other := rt.post(t, "/start-execution", []byte(`{"records": 2}`), "Idempotency-Key", key)
	assert.Equal(t, http.StatusConflict, other.Status, other.String())
	assert.Equal(t, "ExecutionAlreadyExists", other.Body["code"], other.String())
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
}

func TestE2EOwnership(t *testing.T) {
	rt := shared(t)
	other, err := rt.srv.DevToken("another-user", time.Hour, nil)
	require.NoError(t, err)
	scenarioOwnership(t, rt, other)
}

func TestE2EResultLink(t *testing.T) {
	rt := shared(t)
	scenarioResultLink(t, rt)
	assert.True(t, strings.HasPrefix(rt.srv.URLs().S3, "http://127.0.0.1:"), "links point at the local S3")
}

func TestE2EKeyReuse(t *testing.T) { scenarioKeyReuse(t, shared(t)) }

// Stop runs on its own runtime with a fake engine clock: the job waits in
// its transient retry, RUNNING, until it is stopped.
func TestE2EStop(t *testing.T) {
	clock := localsfn.NewFakeClock(time.Now())
	cfg := testConfig()
	cfg.Clock = clock
	rt := own(t, cfg)

	arn, jobID := rt.start(t, `{"records": 2, "simulateFailure": "transient"}`)
	waitForEvent(t, rt, arn, "LambdaFunctionFailed")
	scenarioNoResultYet(t, rt, jobID)
	stopJob(t, rt, arn)
	scenarioStopped(t, rt, arn, jobID)

	rec, err := rt.jobs.Get(t.Context(), jobID)
	require.NoError(t, err)
	assert.Equal(t, job.StatusAborted, rec.Status, "the job table agrees")
	assert.Equal(t, arn, rec.ExecutionARN)
	assert.Nil(t, rec.Result)

	clock.Advance(time.Minute) // the retry that was pending does not run
	assert.Equal(t, "ABORTED", rt.describe(t, arn).Body["status"])

	// Stopping again is harmless; a finished job cannot be stopped into ABORTED.
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	require.NoError(t, err)
	again := rt.post(t, "/stop-execution", body)
	assert.Less(t, again.Status, 500, again.String())
}

// With --auth=false every request is allowed as "anonymous", and every
// caller shares one owner. API Gateway still answers 401 before calling
// the authorizer when the Authorization header is missing, on AWS as here:
// any value will do.
func TestE2EAuthDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.AuthDisabled = true
	rt := own(t, cfg)
	assert.True(t, rt.srv.AuthDisabled())
	none := rt.post(t, "/start-execution", []byte(`{}`), "Authorization", "")
	assert.Equal(t, http.StatusUnauthorized, none.Status, none.String())

	anon := rt.asCaller("anything")
	arn, _ := anon.start(t, `{"records": 1}`)
	assert.Equal(t, "SUCCEEDED", anon.wait(t, arn).Body["status"])
	assert.Equal(t, http.StatusOK, rt.describeRaw(t, arn).Status, "another token: the same anonymous caller")
}

// The dev token endpoint and the key set the authorizer fetches.
func TestE2EDevToken(t *testing.T) {
	rt := shared(t)
	get := func(path string) (int, string) {
		res, err := rt.http.Get(rt.api + path)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		require.NoError(t, res.Body.Close())
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	status, tok := get("/__dev/token?sub=alice&ttl=5m")
	require.Equal(t, http.StatusOK, status, tok)
	alice := rt.asCaller(strings.TrimSpace(tok))
	arn, jobID := alice.start(t, `{"records": 1}`)
	assert.NotEqual(t, rt.ownerPrefix(), jobID[:16], "alice is another caller")
	assert.Equal(t, "SUCCEEDED", alice.wait(t, arn).Body["status"])

	status, _ = get("/__dev/token?ttl=forever")
	assert.Equal(t, http.StatusBadRequest, status)
	status, jwks := get("/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, status)
	var set struct{ Keys []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(jwks), &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "ES256", set.Keys[0]["alg"])
	assert.NotContains(t, set.Keys[0], "d", "the public key only")
}
