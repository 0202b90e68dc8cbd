package test

// GET /jobs and GET /jobs/{jobId} (issue 16): the caller's jobs, paginated
// and owner-scoped, the job record with its progress, and expiry. The
// scenarios run locally and, from e2e_deployed_test.go, against a stage.

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/cli"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/objects"
	"github.com/asyncjobs/stepjobs/internal/offline"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// listedJob is one item of GET /jobs.
type listedJob struct {
	ID, Status, CreatedAt string
}

// listPage sends GET /jobs?query and returns the answer.
func (rt *localRuntime) listPage(t testing.TB, query url.Values) response {
	t.Helper()
	path := "/jobs"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return rt.get(t, path)
}

// listAll follows nextCursor from the first page of GET /jobs?status&limit
// until it is absent, or until stop reports that every job it looks for
// was seen. It checks every page's shape on the way.
func (rt *localRuntime) listAll(t testing.TB, status string, limit int, stop func([]listedJob) bool) []listedJob {
	t.Helper()
	var all []listedJob
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if status != "" {
		q.Set("status", status)
	}
	for page := 0; ; page++ {
		require.Less(t, page, 1000, "pagination does not end")
		resp := rt.listPage(t, q)
		require.Equal(t, http.StatusOK, resp.Status, resp.String())
		items, _ := resp.Body["jobs"].([]any)
		assert.LessOrEqual(t, len(items), limit, "a page holds at most limit jobs")
		for _, it := range items {
			m, _ := it.(map[string]any)
			j := listedJob{ID: fmt.Sprint(m["jobId"]), Status: fmt.Sprint(m["status"]), CreatedAt: fmt.Sprint(m["createdAt"])}
			all = append(all, j)
		}
		cursor, _ := resp.Body["nextCursor"].(string)
		if cursor == "" || (stop != nil && stop(all)) {
			return all
		}
		q.Set("cursor", cursor)
	}
}

func ids(jobs []listedJob) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// scenarioListJobs: two callers start jobs; each lists its own, newest
// first, across pages of 2, and never sees the other's. exact: the callers
// are new (local), so the lists hold exactly the jobs started here.
func scenarioListJobs(t *testing.T, rt, other *localRuntime, exact bool) {
	var mine, theirs []string
	for i := range 5 {
		arn, id := rt.start(t, `{"records": 1}`, "Idempotency-Key", uniqueKey(fmt.Sprintf("list-%d", i)))
		require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
		mine = append(mine, id)
	}
	for i := range 2 {
		arn, id := other.start(t, `{"records": 1}`, "Idempotency-Key", uniqueKey(fmt.Sprintf("other-%d", i)))
		require.Equal(t, "SUCCEEDED", other.wait(t, arn).Body["status"])
		theirs = append(theirs, id)
	}
	newestFirst := slices.Clone(mine)
	slices.Reverse(newestFirst)
	seenAll := func(want []string) func([]listedJob) bool {
		return func(got []listedJob) bool {
			have := ids(got)
			for _, id := range want {
				if !slices.Contains(have, id) {
					return false
				}
			}
			return true
		}
	}

	got := rt.listAll(t, "", 2, seenAll(mine))
	prefix := mine[0][:job.OwnerPrefixLen+1]
	for i, j := range got {
		assert.Equal(t, prefix, j.ID[:job.OwnerPrefixLen+1], "only the caller's own jobs: %s", j.ID)
		assert.NotContains(t, theirs, j.ID)
		if i > 0 {
			assert.GreaterOrEqual(t, got[i-1].CreatedAt, j.CreatedAt, "newest first")
		}
	}
	var ours []string
	for _, id := range ids(got) {
		if slices.Contains(mine, id) {
			ours = append(ours, id)
		}
	}
	assert.Equal(t, newestFirst, ours, "the caller's jobs, newest first, each once")
	if exact {
		assert.Equal(t, newestFirst, ids(got))
		theirList := other.listAll(t, "", 100, nil)
		assert.ElementsMatch(t, theirs, ids(theirList), "the other caller sees its own jobs only")
		assert.Empty(t, rt.listAll(t, "RUNNING", 10, nil), "status filter: none is RUNNING")
		assert.Equal(t, newestFirst, ids(rt.listAll(t, "SUCCEEDED", 3, nil)), "status filter: all SUCCEEDED")
	}

	// A cursor issued to the other caller, or forged to point into its
	// jobs, is refused: the owner always comes from the token.
	theirPage := other.listPage(t, url.Values{"limit": {"1"}})
	require.Equal(t, http.StatusOK, theirPage.Status, theirPage.String())
	if c, _ := theirPage.Body["nextCursor"].(string); c != "" {
		resp := rt.listPage(t, url.Values{"cursor": {c}})
		assert.Equal(t, http.StatusBadRequest, resp.Status, resp.String())
		assert.Equal(t, "InvalidCursor", resp.Body["code"], resp.String())
	}
	forgedCursor := base64.StdEncoding.EncodeToString([]byte("v1|2099-01-01T00:00:00.000000000Z|" + theirs[0]))
	resp := rt.listPage(t, url.Values{"cursor": {forgedCursor}})
	assert.Equal(t, http.StatusBadRequest, resp.Status, resp.String())
	assert.Equal(t, "InvalidCursor", resp.Body["code"], resp.String())
}

// scenarioListErrors: every bad parameter is a 400 naming it.
func scenarioListErrors(t *testing.T, rt *localRuntime) {
	for _, tc := range []struct {
		query url.Values
		code  string
	}{
		{url.Values{"limit": {"0"}}, "InvalidLimit"},
		{url.Values{"limit": {"101"}}, "InvalidLimit"},
		{url.Values{"limit": {"ten"}}, "InvalidLimit"},
		{url.Values{"limit": {"-1"}}, "InvalidLimit"},
		{url.Values{"status": {"running"}}, "InvalidStatus"},
		{url.Values{"status": {`"}, "x": {"S": "y`}}, "InvalidStatus"},
		{url.Values{"cursor": {"not base64!"}}, "InvalidCursor"},
		{url.Values{"cursor": {base64.StdEncoding.EncodeToString([]byte("v2|x|y"))}}, "InvalidCursor"},
	} {
		t.Run(tc.query.Encode(), func(t *testing.T) {
			resp := rt.listPage(t, tc.query)
			assert.Equal(t, http.StatusBadRequest, resp.Status, resp.String())
			assert.Equal(t, tc.code, resp.Body["code"], resp.String())
			assert.NotEmpty(t, resp.Body["message"], resp.String())
		})
	}
	resp := rt.listPage(t, url.Values{"limit": {"100"}})
	assert.Equal(t, http.StatusOK, resp.Status, "limit 100 is allowed: %s", resp)
}

// scenarioJobRecord: GET /jobs/{jobId} is the record with its progress, the
// caller's only.
func scenarioJobRecord(t *testing.T, rt *localRuntime, otherToken string) {
	arn, jobID := rt.start(t, `{"records": 250}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	resp := rt.get(t, "/jobs/"+jobID)
	require.Equal(t, http.StatusOK, resp.Status, resp.String())
	assert.Equal(t, jobID, resp.Body["jobId"])
	assert.Equal(t, "SUCCEEDED", resp.Body["status"])
	assert.Equal(t, map[string]any{"records": 250.0, "bytes": resp.Body["result"].(map[string]any)["bytes"]}, resp.Body["result"])
	progress, _ := resp.Body["progress"].(map[string]any)
	assert.Equal(t, 250.0, progress["recordsGenerated"], resp.String())
	assert.Equal(t, 250.0, progress["recordsTotal"], resp.String())
	assert.Equal(t, 100.0, progress["percent"], resp.String())
	assert.NotEmpty(t, progress["updatedAt"], resp.String())
	assert.NotEmpty(t, resp.Body["expiresAt"], "a finished record expires: %s", resp)

	notFound := map[string]any{"message": "Job not found", "code": "JobNotFound"}
	for name, path := range map[string]string{
		"unknown":   "/jobs/" + jobID[:job.OwnerPrefixLen] + "-" + uniqueKey("nope"),
		"malformed": "/jobs/not-a-job",
	} {
		resp := rt.get(t, path)
		assert.Equal(t, http.StatusNotFound, resp.Status, "%s: %s", name, resp)
		assert.Equal(t, notFound, resp.Body, name)
	}
	if otherToken != "" {
		resp := rt.asCaller(otherToken).get(t, "/jobs/"+jobID)
		assert.Equal(t, http.StatusNotFound, resp.Status, resp.String())
		assert.Equal(t, notFound, resp.Body, "another caller's job is answered as an unknown one")
	}
}

// scenarioProgressPolled: a job of 100,000 records polled through
// GET /jobs/{jobId} while it runs: the progress seen never goes down and
// ends at every record. (On a stage progress is written at most once a
// second, so how many steps a poll sees depends on Lambda's speed.)
func scenarioProgressPolled(t *testing.T, rt *localRuntime) {
	arn, jobID := rt.start(t, `{"records": 100000}`)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var seen []float64
	for {
		resp := rt.get(t, "/jobs/"+jobID)
		if resp.Status == http.StatusNotFound { // tracking has not written the record yet
			require.NoError(t, ctx.Err(), "no record")
			continue
		}
		require.Equal(t, http.StatusOK, resp.Status, resp.String())
		if p, ok := resp.Body["progress"].(map[string]any); ok {
			n, _ := p["recordsGenerated"].(float64)
			if len(seen) == 0 || seen[len(seen)-1] != n {
				seen = append(seen, n)
			}
		}
		if resp.Body["status"] != "RUNNING" {
			assert.Equal(t, "SUCCEEDED", resp.Body["status"], resp.String())
			break
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "job still RUNNING", arn)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Logf("progress seen while polling: %v", seen)
	require.NotEmpty(t, seen)
	assert.True(t, slices.IsSorted(seen), "progress never goes down: %v", seen)
	assert.Equal(t, 100000.0, seen[len(seen)-1])
}

// scenarioExpirySet: a finished job's record expires jobRecordTtlDays after
// its final write (ASYNC_API_RECORD_TTL_DAYS for a stage deployed with
// another value than serverless.yml's 30). A stage cannot wait for it; the
// local TestE2EExpiry moves its clock past it.
func scenarioExpirySet(t *testing.T, rt *localRuntime) {
	days := 30
	if v := os.Getenv("ASYNC_API_RECORD_TTL_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ASYNC_API_RECORD_TTL_DAYS")
		days = n
	}
	arn, jobID := rt.start(t, `{"records": 2}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	rec := rt.get(t, "/jobs/"+jobID)
	require.Equal(t, http.StatusOK, rec.Status, rec.String())
	updated, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec.Body["updatedAt"]))
	require.NoError(t, err, rec.String())
	expires, ok := rec.Body["expiresAt"].(float64)
	require.True(t, ok, "expiresAt: %s", rec)
	assert.Equal(t, updated.Add(time.Duration(days)*24*time.Hour).Unix(), int64(expires), "expiresAt = final status + %d days", days)
}

func TestE2EListJobs(t *testing.T) {
	rt := shared(t)
	a, err := rt.srv.DevToken(uniqueKey("lister-a"), time.Hour, nil)
	require.NoError(t, err)
	b, err := rt.srv.DevToken(uniqueKey("lister-b"), time.Hour, nil)
	require.NoError(t, err)
	scenarioListJobs(t, rt.asCaller(a), rt.asCaller(b), true)
	t.Run("errors", func(t *testing.T) { scenarioListErrors(t, rt) })
}

func TestE2EJobRecord(t *testing.T) {
	rt := shared(t)
	other, err := rt.srv.DevToken("record-other", time.Hour, nil)
	require.NoError(t, err)
	scenarioJobRecord(t, rt, other)
	t.Run("progress polled", func(t *testing.T) { scenarioProgressPolled(t, rt) })
}

// gatedProgress records progress through the real store, then hands each
// report to the test and waits until the test has looked at the API.
type gatedProgress struct {
	next     job.ProgressRecorder
	reported chan job.Progress
	resume   chan struct{}
}

func (g *gatedProgress) RecordProgress(ctx context.Context, jobID, arn string, p job.Progress) error {
	if err := g.next.RecordProgress(ctx, jobID, arn, p); err != nil {
		return err
	}
	select {
	case g.reported <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-g.resume:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestE2EProgressGoesUp: during a job of 100,000 records, GET /jobs/{jobId}
// shows the progress batch-simulation wrote, step after step, while the job
// is RUNNING. Each write is held until the test has read it through the
// API, so every step is seen whatever the machine's speed. The interval is
// 0 here (every 10%); the deployed default is 1s.
func TestE2EProgressGoesUp(t *testing.T) {
	gate := &gatedProgress{reported: make(chan job.Progress), resume: make(chan struct{})}
	cfg := testConfig()
	cfg.Functions = maps.Clone(offline.Functions)
	cfg.Functions["batch-simulation"] = func(d offline.FunctionDeps) (localsfn.Invoker, error) {
		gate.next = dynamo.New(d.DynamoDB, d.Env["TABLE_NAME"])
		h := job.NewBatchSimulation(objects.New(d.S3, d.Env["BUCKET_NAME"]), false).With(job.WithProgress(gate, 0))
		return localsfn.LambdaFunc(h.Handle), nil
	}
	rt := own(t, cfg)
	arn, jobID := rt.start(t, `{"records": 100000}`)

	var percents []float64
	for p := range 10 {
		var reported job.Progress
		select {
		case reported = <-gate.reported:
		case <-time.After(time.Minute):
			require.FailNow(t, "no progress report", "after %d", p)
		}
		resp := rt.get(t, "/jobs/"+jobID)
		require.Equal(t, http.StatusOK, resp.Status, resp.String())
		assert.Equal(t, "RUNNING", resp.Body["status"], "progress is seen during the job")
		progress, _ := resp.Body["progress"].(map[string]any)
		assert.Equal(t, float64(reported.Generated), progress["recordsGenerated"], resp.String())
		assert.Equal(t, 100000.0, progress["recordsTotal"], resp.String())
		percents = append(percents, progress["percent"].(float64))
		list := rt.listPage(t, url.Values{"limit": {"1"}})
		require.Equal(t, http.StatusOK, list.Status, list.String())
		items, _ := list.Body["jobs"].([]any)
		require.Len(t, items, 1)
		assert.Equal(t, progress, items[0].(map[string]any)["progress"], "the list shows the same progress")
		gate.resume <- struct{}{}
	}
	assert.Equal(t, []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, percents, "every 10%, going up")
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
}

// TestE2EExpiry: a finished job's record carries its expiry; once the clock
// passes it, the record and the list answer the job as unknown at once,
// and after the sweeper (dynalite has no TTL) the result route too. A job
// that finished a second later is not yet expired and stays.
func TestE2EExpiry(t *testing.T) {
	var frozen atomic.Int64 // the runtime's expiry clock, Unix seconds; 0: the wall clock
	cfg := testConfig()
	cfg.Now = func() time.Time {
		if s := frozen.Load(); s != 0 {
			return time.Unix(s, 0)
		}
		return time.Now()
	}
	cfg.SweepInterval = -1 // swept by the test, not a timer
	rt := own(t, cfg)

	arn, jobID := rt.start(t, `{"records": 3}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	rec := rt.get(t, "/jobs/"+jobID)
	require.Equal(t, http.StatusOK, rec.Status, rec.String())
	expires := int64(rec.Body["expiresAt"].(float64))
	updated, err := time.Parse(time.RFC3339Nano, rec.Body["updatedAt"].(string))
	require.NoError(t, err)
	assert.Equal(t, updated.Add(job.DefaultRecordTTL).Unix(), expires, "serverless.yml's jobRecordTtlDays: 30")
	require.Equal(t, http.StatusOK, rt.get(t, "/jobs/"+jobID+"/result").Status)

	// The second job finishes seconds later, so it expires later: describe
	// counts from the execution's stopDate, a moment after the record's
	// final write, and expiresAt has whole seconds.
	for time.Now().Unix() <= updated.Unix()+3 {
		time.Sleep(50 * time.Millisecond)
	}
	keep, keepID := rt.start(t, `{"records": 3}`)
	require.Equal(t, "SUCCEEDED", rt.wait(t, keep).Body["status"])

	n, err := rt.srv.SweepExpired(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "nothing has expired yet")

	frozen.Store(expires + 2) // past the first job's expiry, not the second's
	notFound := map[string]any{"message": "Job not found", "code": "JobNotFound"}
	resp := rt.get(t, "/jobs/"+jobID)
	assert.Equal(t, http.StatusNotFound, resp.Status, "expired, not yet deleted: %s", resp)
	assert.Equal(t, notFound, resp.Body)
	resp = rt.describeRaw(t, arn)
	assert.Equal(t, http.StatusNotFound, resp.Status, "describe agrees with the record: %s", resp)
	assert.Equal(t, notFound, resp.Body)
	assert.Equal(t, http.StatusOK, rt.describeRaw(t, keep).Status, "describe of the job not yet expired")
	listed := ids(rt.listAll(t, "", 100, nil))
	assert.NotContains(t, listed, jobID, "the list leaves it out")
	assert.Contains(t, listed, keepID, "and keeps the job not yet expired")

	n, err = rt.srv.SweepExpired(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the sweeper deletes the expired record only")
	for _, path := range []string{"/jobs/" + jobID, "/jobs/" + jobID + "/result"} {
		resp := rt.get(t, path)
		assert.Equal(t, http.StatusNotFound, resp.Status, "%s: %s", path, resp)
		assert.Equal(t, notFound, resp.Body, path)
	}
	resp = rt.describeRaw(t, arn)
	assert.Equal(t, http.StatusNotFound, resp.Status, "describe after the sweep: %s", resp)
	assert.Equal(t, http.StatusOK, rt.get(t, "/jobs/"+keepID).Status, "a record not yet expired stays")
}

// TestE2EClientListAndGet: the Go client's List and Get, and `stepjobs list`,
// against the local runtime, as a caller of its own.
func TestE2EClientListAndGet(t *testing.T) {
	rt := shared(t)
	token, err := rt.srv.DevToken(uniqueKey("client-lister"), time.Hour, nil)
	require.NoError(t, err)
	c, err := client.New(rt.api, client.WithToken(token))
	require.NoError(t, err)
	var started []string
	for range 3 {
		j, err := c.Start(t.Context(), map[string]any{"records": 20})
		require.NoError(t, err)
		_, err = c.Wait(t.Context(), j.JobID)
		require.NoError(t, err)
		started = append(started, j.JobID)
	}
	slices.Reverse(started)

	var listed []string
	opts := client.ListOptions{Limit: 2}
	for {
		page, err := c.List(t.Context(), opts)
		require.NoError(t, err)
		for _, j := range page.Jobs {
			listed = append(listed, j.JobID)
			require.NotNil(t, j.Progress, j.JobID)
			assert.Equal(t, 100, j.Progress.Percent)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	assert.Equal(t, started, listed)

	rec, err := c.Get(t.Context(), started[0])
	require.NoError(t, err)
	assert.Equal(t, client.StatusSucceeded, rec.Status)
	assert.Equal(t, &client.RecordResult{Records: 20, Bytes: rec.Result.Bytes}, rec.Result)
	assert.Equal(t, 20, rec.Progress.RecordsGenerated)
	assert.False(t, rec.ExpiresAt.IsZero())
	_, err = c.Get(t.Context(), started[0][:job.OwnerPrefixLen]+"-nope")
	assert.ErrorIs(t, err, client.ErrNotFound)

	var out, errb bytes.Buffer
	m := &cli.Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"STEPJOBS_URL": rt.api, "STEPJOBS_TOKEN": token}[k]
	}}
	require.Equal(t, cli.ExitOK, m.Run(t.Context(), []string{"list", "--status", "SUCCEEDED"}), errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4, out.String())
	for i, id := range started {
		assert.True(t, strings.HasPrefix(lines[i+1], id+" "), "%q", lines[i+1])
		assert.Contains(t, lines[i+1], "SUCCEEDED")
		assert.Contains(t, lines[i+1], "100% 20/20")
	}
}
