package job_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/memstore"
)

const (
	owner     = "0123456789abcdef"
	stranger  = "fedcba9876543210"
	ownedID   = owner + "-key-1"
	ownedARN  = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + ownedID
	strangeID = stranger + "-key-1"
)

// fakePresigner records its calls and answers a fixed link.
type fakePresigner struct {
	err   error
	calls []string
}

func (p *fakePresigner) PresignGet(_ context.Context, bucket, key string, ttl time.Duration) (string, time.Time, error) {
	p.calls = append(p.calls, fmt.Sprintf("%s/%s %s", bucket, key, ttl))
	if p.err != nil {
		return "", time.Time{}, p.err
	}
	return "https://s3.example/" + bucket + "/" + key + "?X-Amz-Signature=sig", t0.Add(ttl), nil
}

// faultyGetter fails every read.
type faultyGetter struct{ err error }

func (g faultyGetter) Get(context.Context, string) (job.Job, error) { return job.Job{}, g.err }

func proxyRequest(jobID, ownerPrefix string) events.APIGatewayProxyRequest {
	req := events.APIGatewayProxyRequest{
		HTTPMethod:     http.MethodGet,
		Resource:       "/jobs/{jobId}/result",
		Path:           "/jobs/" + jobID + "/result",
		PathParameters: map[string]string{"jobId": jobID},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "api-req-1", Authorizer: map[string]any{}},
	}
	if ownerPrefix != "" {
		req.RequestContext.Authorizer["ownerPrefix"] = ownerPrefix
		req.RequestContext.Authorizer["principalId"] = "user-1"
	}
	return req
}

func TestResultLinkAPIGateway(t *testing.T) {
	result := &job.Result{Bucket: "results", Key: job.ResultKey(ownedID), Records: 10, Bytes: 100}
	succeeded := job.Outcome{JobID: ownedID, ExecutionARN: ownedARN, Status: job.StatusSucceeded, Result: result, At: t0}.Apply(job.NewJob(ownedID, ownedARN, nil, t0.Add(-time.Minute)))
	strangers := job.Outcome{JobID: strangeID, ExecutionARN: "arn:x:" + strangeID, Status: job.StatusSucceeded, Result: result, At: t0}.Apply(job.NewJob(strangeID, "arn:x:"+strangeID, nil, t0.Add(-time.Minute)))
	tests := []struct {
		name      string
		seed      []job.Job
		jobs      job.Getter
		presign   error
		req       events.APIGatewayProxyRequest
		status    int
		body      string
		presigned bool
	}{
		{name: "succeeded and owned: a link", seed: []job.Job{succeeded}, req: proxyRequest(ownedID, owner), status: 200,
			body:      `{"jobId":"` + ownedID + `","url":"https://s3.example/results/results/` + ownedID + `.json?X-Amz-Signature=sig","expiresAt":"2026-11-23T21:15:00Z"}`,
			presigned: true},
		{name: "unknown job: 404", req: proxyRequest(ownedID, owner), status: 404,
			body: `{"message":"Job not found","code":"JobNotFound"}`},
		{name: "another caller's job: the same 404", seed: []job.Job{strangers}, req: proxyRequest(strangeID, owner), status: 404,
			body: `{"message":"Job not found","code":"JobNotFound"}`},
		{name: "no authorizer context: fails closed with 404", seed: []job.Job{succeeded}, req: proxyRequest(ownedID, ""), status: 404,
			body: `{"message":"Job not found","code":"JobNotFound"}`},
		{name: "running: 409", seed: []job.Job{job.NewJob(ownedID, ownedARN, nil, t0)}, req: proxyRequest(ownedID, owner), status: 409,
			body: `{"message":"Job is RUNNING: only a SUCCEEDED job has a result","code":"JobNotSucceeded"}`},
		{name: "failed: 409", seed: []job.Job{job.Outcome{JobID: ownedID, ExecutionARN: ownedARN, Status: job.StatusFailed, Error: "E", At: t0}.Apply(job.Job{})},
			req: proxyRequest(ownedID, owner), status: 409,
			body: `{"message":"Job is FAILED: only a SUCCEEDED job has a result","code":"JobNotSucceeded"}`},
		{name: "aborted: 409", seed: []job.Job{job.Outcome{JobID: ownedID, ExecutionARN: ownedARN, Status: job.StatusAborted, At: t0}.Apply(job.Job{})},
			req: proxyRequest(ownedID, owner), status: 409,
			body: `{"message":"Job is ABORTED: only a SUCCEEDED job has a result","code":"JobNotSucceeded"}`},
		{name: "malformed job id: 400", req: proxyRequest("a/b", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "too long job id: 400", req: proxyRequest(owner+"-"+strings.Repeat("k", 64), owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "no job id: 400", req: proxyRequest("", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		// Shapes no job id can have, whoever asks: 400, not 404 (issue 12).
		{name: "the caller's prefix and an empty key: 400", req: proxyRequest(owner+"-", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "another caller's prefix and an empty key: 400", req: proxyRequest(stranger+"-", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "no owner prefix: 400", req: proxyRequest("key-1", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "an upper-case owner prefix: 400", req: proxyRequest(strings.ToUpper(owner)+"-key-1", owner), status: 400,
			body: `{"message":"jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -","code":"InvalidJobId"}`},
		{name: "a key of 63 characters: 404 when unknown", req: proxyRequest(owner+"-"+strings.Repeat("k", 63), owner), status: 404,
			body: `{"message":"Job not found","code":"JobNotFound"}`},
		{name: "throttled store: 503", jobs: faultyGetter{err: &job.TransientError{Op: "dynamo: get", Err: errors.New("throttled")}},
			req: proxyRequest(ownedID, owner), status: 503, body: `{"message":"The job store is busy; retry later","code":"ServiceUnavailable"}`},
		{name: "denied store: 502", jobs: faultyGetter{err: errors.New("AccessDenied")},
			req: proxyRequest(ownedID, owner), status: 502, body: `{"message":"The job store failed","code":"BadGateway"}`},
		{name: "presign failure: 502", seed: []job.Job{succeeded}, presign: errors.New("no credentials"),
			req: proxyRequest(ownedID, owner), status: 502, body: `{"message":"The job store failed","code":"BadGateway"}`, presigned: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memstore.NewJobs()
			for _, j := range tc.seed {
				seedJob(t, mem, j)
			}
			var jobs job.Getter = mem
			if tc.jobs != nil {
				jobs = tc.jobs
			}
			p := &fakePresigner{err: tc.presign}
			var logs logBuffer
			h, err := job.NewResultLink(jobs, p, 0, job.WithLogger(logs.logger()))
			require.NoError(t, err)
			resp, err := h.HandleAPIGateway(invocation("lambda-req-1"), tc.req)
			require.NoError(t, err, "errors are answers, never Lambda errors (which API Gateway turns into 502)")
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.JSONEq(t, tc.body, resp.Body)
			assert.Equal(t, "application/json", resp.Headers["Content-Type"])
			assert.Equal(t, "no-store", resp.Headers["Cache-Control"])
			if tc.presigned {
				assert.Equal(t, []string{"results/results/" + ownedID + ".json 15m0s"}, p.calls)
			} else {
				assert.Empty(t, p.calls, "no link for a job the caller may not download")
			}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &m), line)
				assert.Equal(t, "lambda-req-1", m["requestId"], line)
				assert.Equal(t, tc.req.PathParameters["jobId"], m["jobId"], line)
				assert.Contains(t, m, "executionArn", line)
			}
		})
	}
}

func TestNewResultLinkTTL(t *testing.T) {
	for ttl, ok := range map[time.Duration]bool{0: true, time.Hour: true, job.MaxResultURLTTL: true,
		job.MaxResultURLTTL + time.Second: false, time.Millisecond: false, -time.Minute: false} {
		_, err := job.NewResultLink(memstore.NewJobs(), &fakePresigner{}, ttl)
		assert.Equal(t, ok, err == nil, "%s: %v", ttl, err)
	}
}

func TestOwnership(t *testing.T) {
	assert.True(t, job.OwnedBy(ownedID, owner))
	assert.False(t, job.OwnedBy(ownedID, stranger))
	assert.False(t, job.OwnedBy(owner+"-", owner), "a name is prefix, dash and at least one character")
	assert.False(t, job.OwnedBy(owner+"key", owner), "the dash is part of the check")
	assert.False(t, job.OwnedBy(ownedID, ""), "no prefix owns nothing")
	assert.False(t, job.OwnedBy("-key", ""), "no prefix owns nothing, even a bare name")
	assert.False(t, job.OwnedBy(strings.ToUpper(owner)+"-k", strings.ToUpper(owner)), "prefixes are lowercase hex")
	assert.Equal(t, ownedID, job.ExecutionName(owner, "key-1"))
	assert.Equal(t, 63, job.MaxIdempotencyKeyLen)
	assert.Len(t, job.ExecutionName(owner, strings.Repeat("k", job.MaxIdempotencyKeyLen)), job.MaxExecutionNameLen)
}

func FuzzOwnedBy(f *testing.F) {
	f.Add(ownedID, owner)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, jobID, prefix string) {
		if job.OwnedBy(jobID, prefix) {
			require.True(t, job.ValidOwnerPrefix(prefix))
			require.True(t, strings.HasPrefix(jobID, prefix+"-"))
			require.Greater(t, len(jobID), len(prefix)+1)
		}
	})
}
