package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
)

const fakePrefix = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:"

// fakeJob is a job of fakeAPI: it answers RUNNING for its first polls
// (forever when hang), then its end status.
type fakeJob struct {
	input   map[string]any
	polls   int
	running int
	hang    bool
	end     string
	stopped bool
}

// fakeAPI is the stepjobs API in memory, as the contract (docs/openapi.yaml)
// describes it: bearer token, 202 with Location, 404 for unknown jobs, stop,
// and result links to its own object route.
type fakeAPI struct {
	t     *testing.T
	token string
	srv   *httptest.Server

	mu    sync.Mutex
	jobs  map[string]*fakeJob
	stops int
	n     int
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, token: "test-token", jobs: map[string]*fakeJob{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) fail(w http.ResponseWriter, status int, code, msg string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg, "code": code})
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if id, ok := strings.CutPrefix(r.URL.Path, "/objects/"); ok {
		if r.Header.Get("Authorization") != "" {
			f.fail(w, 400, "InvalidArgument", "two authorizations")
			return
		}
		fmt.Fprintf(w, `{"jobId":%q,"records":%v,"observations":[]}`, id, f.jobs[id].input["records"])
		return
	}
	switch r.Header.Get("Authorization") {
	case "":
		f.fail(w, 401, "UNAUTHORIZED", "Unauthorized")
		return
	case "Bearer " + f.token:
	default:
		f.fail(w, 403, "ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny")
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			f.fail(w, 400, "BAD_REQUEST_BODY", "Invalid request body")
			return
		}
	}
	job := func() (string, *fakeJob) {
		arn, _ := body["executionArn"].(string)
		id := arn[strings.LastIndexByte(arn, ':')+1:]
		return id, f.jobs[id]
	}
	switch {
	case r.URL.Path == "/start-execution":
		f.n++
		id := fmt.Sprintf("0123456789abcdef-req%d", f.n)
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			id = "0123456789abcdef-" + k
		}
		j := &fakeJob{input: body, running: 2, end: "SUCCEEDED"}
		switch body["simulateFailure"] {
		case "permanent":
			j.end = "FAILED"
		case "hang":
			j.hang = true
		case "abort":
			j.end = "ABORTED"
		case "timeout":
			j.end = "TIMED_OUT"
		}
		f.jobs[id] = j
		w.Header().Set("Location", "jobs/"+id+"/result")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"jobId":%q,"executionArn":%q,"startDate":1795470123.456}`, id, fakePrefix+id)
	case r.URL.Path == "/describe-execution":
		id, j := job()
		if j == nil {
			f.fail(w, 404, "JobNotFound", "Job not found")
			return
		}
		j.polls++
		in, _ := json.Marshal(j.input)
		switch {
		case j.stopped:
			fmt.Fprintf(w, `{"jobId":%q,"status":"ABORTED","input":%s,"startDate":1795470123.456,"stopDate":1795470124}`, id, in)
		case j.hang || j.polls <= j.running:
			fmt.Fprintf(w, `{"jobId":%q,"status":"RUNNING","input":%s,"startDate":1795470123.456}`, id, in)
		case j.end == "FAILED":
			fmt.Fprintf(w, `{"jobId":%q,"status":"FAILED","input":%s,"error":"SimulatedFailure","cause":"{\"errorMessage\":\"simulated permanent failure\",\"errorType\":\"SimulatedFailure\"}","startDate":1795470123.456,"stopDate":1795470124}`, id, in)
		default:
			fmt.Fprintf(w, `{"jobId":%q,"status":%q,"input":%s,"output":{"jobId":%q,"status":"SUCCEEDED"},"startDate":1795470123.456,"stopDate":1795470124}`, id, j.end, in, id)
		}
	case r.URL.Path == "/stop-execution":
		_, j := job()
		if j == nil {
			f.fail(w, 404, "JobNotFound", "Job not found")
			return
		}
		j.stopped = true
		f.stops++
		fmt.Fprint(w, `{"stopDate":1795470124}`)
	case strings.HasPrefix(r.URL.Path, "/jobs/") && strings.HasSuffix(r.URL.Path, "/result"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/jobs/"), "/result")
		j := f.jobs[id]
		if j == nil {
			f.fail(w, 404, "JobNotFound", "Job not found")
			return
		}
		if j.hang || j.stopped || j.polls <= j.running || j.end != "SUCCEEDED" {
			f.fail(w, 409, "JobNotSucceeded", "Job is RUNNING: only a SUCCEEDED job has a result")
			return
		}
		fmt.Fprintf(w, `{"jobId":%q,"url":%q,"expiresAt":"2026-11-23T12:15:00Z"}`, id, f.srv.URL+"/objects/"+id)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/jobs/"):
		// The record: half the records per poll so far.
		id := strings.TrimPrefix(r.URL.Path, "/jobs/")
		j := f.jobs[id]
		if j == nil {
			f.fail(w, 404, "JobNotFound", "Job not found")
			return
		}
		fmt.Fprintf(w, `{"jobId":%q,"status":"RUNNING","createdAt":"2026-11-23T12:00:00Z","updatedAt":"2026-11-23T12:00:00Z",`+
			`"progress":{"recordsGenerated":%d,"recordsTotal":100,"percent":%d,"updatedAt":"2026-11-23T12:00:01Z"}}`,
			id, min(j.polls*50, 100), min(j.polls*50, 100))
	case r.Method == http.MethodGet && r.URL.Path == "/jobs":
		// Newest (highest n) first, limit a page, the cursor an offset.
		ids := slices.Sorted(maps.Keys(f.jobs))
		slices.Reverse(ids)
		limit, from := 20, 0
		if v := r.URL.Query().Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		if v := r.URL.Query().Get("cursor"); v != "" {
			from, _ = strconv.Atoi(v)
		}
		var items []string
		for _, id := range ids[from:min(from+limit, len(ids))] {
			items = append(items, fmt.Sprintf(`{"jobId":%q,"status":"SUCCEEDED","createdAt":"2026-11-23T12:00:00Z","updatedAt":"2026-11-23T12:00:01Z",`+
				`"progress":{"recordsGenerated":100,"recordsTotal":100,"percent":100,"updatedAt":"2026-11-23T12:00:01Z"}}`, id))
		}
		next := ""
		if from+limit < len(ids) {
			next = fmt.Sprintf(`,"nextCursor":"%d"`, from+limit)
		}
		fmt.Fprintf(w, `{"jobs":[%s]%s}`, strings.Join(items, ","), next)
	default:
		f.fail(w, 403, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
	}
}

func (f *fakeAPI) job(id string) *fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id]
}

// instant is a client clock that does not sleep.
type instant struct{}

func (instant) Now() time.Time { return time.Now() }
func (instant) Sleep(ctx context.Context, _ time.Duration) error {
	return ctx.Err()
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the command against api with env (STEPJOBS_URL and
// STEPJOBS_TOKEN default to the fake's), on a client clock that does not
// sleep unless opts say otherwise.
func run(t *testing.T, api *fakeAPI, env map[string]string, args ...string) result {
	t.Helper()
	return runWith(t, api, env, []client.Option{client.WithClock(instant{})}, args...)
}

func runWith(t *testing.T, api *fakeAPI, env map[string]string, opts []client.Option, args ...string) result {
	t.Helper()
	full := map[string]string{"STEPJOBS_TOKEN": api.token, "STEPJOBS_URL": api.srv.URL}
	for k, v := range env {
		full[k] = v
	}
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return full[k] }, ClientOptions: opts}
	code := m.Run(t.Context(), args)
	return result{code, out.String(), errb.String()}
}

func TestUsageErrors(t *testing.T) {
	api := newFakeAPI(t)
	tests := map[string][]string{
		"no command":             {},
		"unknown command":        {"frobnicate"},
		"unknown flag":           {"status", "--nope", "x"},
		"status without job":     {"status"},
		"status with two jobs":   {"status", "a", "b"},
		"submit with a position": {"submit", "extra"},
		"input not JSON":         {"submit", "--input", "{"},
		"input not an object":    {"submit", "--input", "[1]"},
		"input with trailing":    {"submit", "--input", "{} {}"},
		"input file missing":     {"submit", "--input", "@/nonexistent/input.json"},
		"records not a number":   {"submit", "--records", "many"},
		"timeout without wait":   {"submit", "--timeout", "1s"},
		"negative timeout":       {"wait", "x", "--timeout", "-1s"},
		"bad url":                {"--url", "localhost:8080", "status", "x"},
		"global flag typo":       {"--jsn", "status", "x"},
		"malformed job id":       {"status", "nope"},
		"job id without prefix":  {"cancel", "abc-123"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			r := run(t, api, nil, args...)
			assert.Equal(t, ExitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, "stepjobs: ")
			assert.Contains(t, r.stderr, "stepjobs help")
			assert.Empty(t, r.stdout)
		})
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	assert.Empty(t, api.jobs, "no usage error reaches the API")
}

func TestHelp(t *testing.T) {
	api := newFakeAPI(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"status", "--help"}} {
		r := run(t, api, nil, args...)
		assert.Equal(t, ExitOK, r.code)
		assert.Equal(t, Usage, r.stdout)
	}
}

func TestSubmit(t *testing.T) {
	api := newFakeAPI(t)
	in := filepath.Join(t.TempDir(), "in.json")
	require.NoError(t, os.WriteFile(in, []byte(`{"records": 3, "seed": 9007199254740993}`), 0o600))

	r := run(t, api, nil, "submit", "--input", "@"+in, "--records", "7", "--key", "k1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "job 0123456789abcdef-k1 started\nexecutionArn: "+fakePrefix+"0123456789abcdef-k1\n", r.stdout)
	got, err := json.Marshal(api.job("0123456789abcdef-k1").input)
	require.NoError(t, err)
	assert.JSONEq(t, `{"records": 7, "seed": 9007199254740993}`, string(got), "--records wins, the seed keeps its precision")

	r = run(t, api, nil, "submit", "--json", "--seed", "5")
	require.Equal(t, ExitOK, r.code, r.stderr)
	var job client.Job
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &job))
	assert.Equal(t, "0123456789abcdef-req2", job.JobID)
	assert.Equal(t, fakePrefix+job.JobID, job.ExecutionARN)
	assert.Equal(t, api.srv.URL+"/jobs/"+job.JobID+"/result", job.Location)
}

func TestSubmitWaitSucceeds(t *testing.T) {
	api := newFakeAPI(t)
	r := run(t, api, nil, "submit", "--records", "5", "--wait")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "status   SUCCEEDED\n")
	assert.Contains(t, r.stdout, "elapsed  0.5s\n")
	assert.Contains(t, r.stdout, `output   {"jobId":"0123456789abcdef-req1","status":"SUCCEEDED"}`)
	// Plain lines, one per status change or tenth of progress (50%, 100%), not one per
	// poll, and no \r.
	assert.Equal(t, 2, strings.Count(r.stderr, " RUNNING "), r.stderr)
	assert.Contains(t, r.stderr, " RUNNING  50% 50/100 records ", r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, " SUCCEEDED "), r.stderr)
	assert.NotContains(t, r.stderr, "\r")
}

func TestSubmitWaitFails(t *testing.T) {
	api := newFakeAPI(t)
	r := run(t, api, nil, "submit", "--input", `{"simulateFailure":"permanent"}`, "--wait")
	assert.Equal(t, ExitFailure, r.code)
	assert.Contains(t, r.stderr, "job 0123456789abcdef-req1 FAILED\n  error: SimulatedFailure\n  cause: {\"errorMessage\":\"simulated permanent failure\"")
	assert.Contains(t, r.stdout, "status   FAILED\n")

	r = run(t, api, nil, "wait", "0123456789abcdef-req1", "--json")
	assert.Equal(t, ExitFailure, r.code)
	var st client.Status
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st), r.stdout)
	assert.Equal(t, client.StatusFailed, st.Status)
	assert.Equal(t, "SimulatedFailure", st.Error)
}

func TestWaitIncomplete(t *testing.T) {
	api := newFakeAPI(t)
	for _, mode := range []string{"abort", "timeout"} {
		r := run(t, api, nil, "submit", "--key", mode, "--input", `{"simulateFailure":"`+mode+`"}`, "--wait")
		assert.Equal(t, ExitIncomplete, r.code, mode)
	}
	r := run(t, api, nil, "wait", "0123456789abcdef-timeout")
	assert.Equal(t, ExitIncomplete, r.code)
	assert.Contains(t, r.stderr, "job timed out")
	r = run(t, api, nil, "wait", fakePrefix+"0123456789abcdef-abort")
	assert.Equal(t, ExitIncomplete, r.code)
	assert.Contains(t, r.stderr, "job aborted")
}

func TestWaitTimeoutGivesUp(t *testing.T) {
	api := newFakeAPI(t)
	r := run(t, api, nil, "submit", "--key", "slow", "--input", `{"simulateFailure":"hang"}`)
	require.Equal(t, ExitOK, r.code, r.stderr)
	// The deadline is the thing under test, so the client sleeps for real
	// here, a millisecond at a time.
	fast := []client.Option{client.WithBackoff(client.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond})}
	r = runWith(t, api, nil, fast, "wait", "0123456789abcdef-slow", "--timeout", "20ms")
	assert.Equal(t, ExitIncomplete, r.code, r.stderr)
	assert.Contains(t, r.stderr, "gave up waiting after 20ms: job 0123456789abcdef-slow is still RUNNING")
	assert.Contains(t, r.stderr, "stepjobs cancel 0123456789abcdef-slow")
	assert.Empty(t, r.stdout, "no final status for a job that has not ended")
	assert.False(t, api.job("0123456789abcdef-slow").stopped, "giving up does not cancel")
}

func TestInterrupted(t *testing.T) {
	api := newFakeAPI(t)
	run(t, api, nil, "submit", "--key", "slow", "--input", `{"simulateFailure":"hang"}`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"STEPJOBS_URL": api.srv.URL, "STEPJOBS_TOKEN": api.token}[k]
	}}
	assert.Equal(t, ExitInterrupted, m.Run(ctx, []string{"wait", "0123456789abcdef-slow"}))
}

func TestStatus(t *testing.T) {
	api := newFakeAPI(t)
	run(t, api, nil, "submit", "--key", "s1")
	r := run(t, api, nil, "status", "0123456789abcdef-s1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "job      0123456789abcdef-s1\nstatus   RUNNING\nstarted  2026-11-23T21:42:03.456Z\n", r.stdout[:strings.Index(r.stdout, "elapsed")])

	r = run(t, api, nil, "status", "0123456789abcdef-s1", "--json") // flags after the job
	require.Equal(t, ExitOK, r.code, r.stderr)
	var st map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Equal(t, "RUNNING", st["status"])
	assert.Equal(t, client.PlaceholderARNPrefix+"0123456789abcdef-s1", st["executionArn"], "the bare id was sent as an ARN")

	r = run(t, api, nil, "status", "0123456789abcdef-nope")
	assert.Equal(t, ExitNotFound, r.code)
	assert.Contains(t, r.stderr, "404 Not Found (JobNotFound): Job not found")
}

func TestAuth(t *testing.T) {
	api := newFakeAPI(t)
	r := run(t, api, map[string]string{"STEPJOBS_TOKEN": ""}, "status", "0123456789abcdef-x")
	assert.Equal(t, ExitFailure, r.code)
	assert.Contains(t, r.stderr, "401")

	r = run(t, api, map[string]string{"STEPJOBS_TOKEN": "wrong"}, "status", "0123456789abcdef-x")
	assert.Equal(t, ExitFailure, r.code)
	assert.Contains(t, r.stderr, "403")

	tok := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tok, []byte(api.token+"\n"), 0o600))
	r = run(t, api, map[string]string{"STEPJOBS_TOKEN": "wrong"}, "--token-file", tok, "submit")
	assert.Equal(t, ExitOK, r.code, "--token-file wins over the environment: %s", r.stderr)

	r = run(t, api, nil, "status", "0123456789abcdef-x", "--token-file", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, ExitFailure, r.code)
	assert.Contains(t, r.stderr, "read token")
}

func TestURLFlagWinsOverEnvironment(t *testing.T) {
	api := newFakeAPI(t)
	r := run(t, api, map[string]string{"STEPJOBS_URL": "http://127.0.0.1:1"}, "--url", api.srv.URL, "submit")
	assert.Equal(t, ExitOK, r.code, r.stderr)
}

func TestCancel(t *testing.T) {
	api := newFakeAPI(t)
	run(t, api, nil, "submit", "--key", "c1", "--input", `{"simulateFailure":"hang"}`)
	r := run(t, api, nil, "cancel", "0123456789abcdef-c1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "job 0123456789abcdef-c1 stopped (a running job ends ABORTED)\n", r.stdout)
	assert.True(t, api.job("0123456789abcdef-c1").stopped)

	r = run(t, api, nil, "wait", "0123456789abcdef-c1")
	assert.Equal(t, ExitIncomplete, r.code)
	assert.Contains(t, r.stdout, "status   ABORTED")

	r = run(t, api, nil, "cancel", "--json", fakePrefix+"0123456789abcdef-c1")
	require.Equal(t, ExitOK, r.code)
	assert.JSONEq(t, `{"jobId":"0123456789abcdef-c1","stopped":true}`, r.stdout)

	r = run(t, api, nil, "cancel", "0123456789abcdef-none")
	assert.Equal(t, ExitNotFound, r.code)
}

func TestResult(t *testing.T) {
	api := newFakeAPI(t)
	run(t, api, nil, "submit", "--key", "r1", "--records", "4")

	r := run(t, api, nil, "result", "0123456789abcdef-r1")
	assert.Equal(t, ExitFailure, r.code, "still running")
	assert.Contains(t, r.stderr, "JobNotSucceeded")

	require.Equal(t, ExitOK, run(t, api, nil, "wait", "0123456789abcdef-r1").code)
	r = run(t, api, nil, "result", "0123456789abcdef-r1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, api.srv.URL+"/objects/0123456789abcdef-r1\n(valid until 2026-11-23T12:15:00Z)\n", r.stdout)

	dir := t.TempDir()
	file := filepath.Join(dir, "out.json")
	r = run(t, api, nil, "result", "0123456789abcdef-r1", "-o", file)
	require.Equal(t, ExitOK, r.code, r.stderr)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.JSONEq(t, `{"jobId":"0123456789abcdef-r1","records":4,"observations":[]}`, string(data))
	assert.Equal(t, fmt.Sprintf("wrote %d bytes to %s\n", len(data), file), r.stdout)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	r = run(t, api, nil, "result", "-o", "-", "0123456789abcdef-r1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.JSONEq(t, string(data), r.stdout)

	r = run(t, api, nil, "result", "0123456789abcdef-r1", "-o", filepath.Join(dir, "no", "such", "dir.json"))
	assert.Equal(t, ExitFailure, r.code)
}

func TestLiveStatusLineOnATerminal(t *testing.T) {
	api := newFakeAPI(t)
	var out, errb bytes.Buffer
	m := &Main{
		Stdout: &out, Stderr: &errb, Terminal: func() bool { return true },
		Getenv: func(k string) string {
			return map[string]string{"STEPJOBS_URL": api.srv.URL, "STEPJOBS_TOKEN": api.token}[k]
		},
		ClientOptions: []client.Option{client.WithClock(instant{})},
	}
	require.Equal(t, ExitOK, m.Run(t.Context(), []string{"submit", "--wait"}))
	lines := strings.Split(errb.String(), "\r\x1b[K")
	require.Greater(t, len(lines), 2, "%q", errb.String())
	assert.True(t, strings.HasPrefix(lines[1], "job 0123456789abcdef-req1  RUNNING  "), "%q", lines[1])
	assert.Contains(t, errb.String(), "job 0123456789abcdef-req1  RUNNING  [##########----------]   50% 50/100 records  ",
		"the bar follows the record's progress")
	assert.Contains(t, errb.String(), "RUNNING  [####################]  100% 100/100 records  ")
	assert.Equal(t, "job 0123456789abcdef-req1  SUCCEEDED  [####################]  100% 100/100 records  0.5s\n", lines[len(lines)-1])
}

func TestPlainHeartbeat(t *testing.T) {
	now := time.Date(2026, 11, 23, 21, 42, 4, 0, time.UTC)
	var errb bytes.Buffer
	m := &Main{Stderr: &errb, Terminal: func() bool { return false }, Now: func() time.Time { return now }}
	m.defaults()
	p := newProgress(m, "j")
	st := &client.Status{JobID: "j", Status: client.StatusRunning, StartDate: now.Add(-time.Second)}
	p.update(st, nil)
	now = now.Add(10 * time.Second)
	p.update(st, nil) // unchanged, within the heartbeat: no line
	now = now.Add(30 * time.Second)
	p.update(st, nil)
	p.stop()
	assert.Equal(t, "2026-11-23T21:42:04Z job j RUNNING (elapsed 1.0s)\n2026-11-23T21:42:44Z job j RUNNING (elapsed 41.0s)\n", errb.String())
}

// TestPlainProgressLines: without a terminal, a line when the progress
// reaches another tenth, not for every report.
func TestPlainProgressLines(t *testing.T) {
	now := time.Date(2026, 11, 23, 21, 42, 4, 0, time.UTC)
	var errb bytes.Buffer
	m := &Main{Stderr: &errb, Terminal: func() bool { return false }, Now: func() time.Time { return now }}
	m.defaults()
	p := newProgress(m, "j")
	st := &client.Status{JobID: "j", Status: client.StatusRunning, StartDate: now}
	for _, generated := range []int{0, 5000, 12000, 15000, 100000} {
		p.update(st, &client.Progress{RecordsGenerated: generated, RecordsTotal: 100000, Percent: generated * 100 / 100000})
	}
	p.stop()
	assert.Equal(t, "2026-11-23T21:42:04Z job j RUNNING   0% 0/100000 records (elapsed 0.0s)\n"+
		"2026-11-23T21:42:04Z job j RUNNING  12% 12000/100000 records (elapsed 0.0s)\n"+
		"2026-11-23T21:42:04Z job j RUNNING 100% 100000/100000 records (elapsed 0.0s)\n", errb.String())
}

func TestProgressBar(t *testing.T) {
	for percent, want := range map[int]string{
		-5: "[----------]", 0: "[----------]", 9: "[----------]", 10: "[#---------]", 55: "[#####-----]", 100: "[##########]", 120: "[##########]",
	} {
		assert.Equal(t, want, progressBar(percent, 10), "%d%%", percent)
	}
}

func TestList(t *testing.T) {
	api := newFakeAPI(t)
	for range 3 {
		require.Equal(t, ExitOK, run(t, api, nil, "submit").code)
	}
	r := run(t, api, nil, "list", "--limit", "2")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "JOB                                       STATUS     CREATED                   PROGRESS\n"+
		"0123456789abcdef-req3                     SUCCEEDED  2026-11-23T12:00:00.000Z  [##########] 100% 100/100\n"+
		"0123456789abcdef-req2                     SUCCEEDED  2026-11-23T12:00:00.000Z  [##########] 100% 100/100\n"+
		"more: stepjobs list --cursor 2 --limit 2\n", r.stdout)

	r = run(t, api, nil, "--json", "list", "--limit", "1", "--all")
	require.Equal(t, ExitOK, r.code, r.stderr)
	var page client.JobPage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Jobs, 3, "--all follows every page")
	assert.Equal(t, "0123456789abcdef-req1", page.Jobs[2].JobID)
	assert.Empty(t, page.NextCursor)

	for _, args := range [][]string{{"list", "--limit", "101"}, {"list", "--limit", "-1"}, {"list", "extra"}} {
		assert.Equal(t, ExitUsage, run(t, api, nil, args...).code, args)
	}
}

func TestFormatElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.0s", 1234 * time.Millisecond: "1.2s", 65 * time.Second: "1m05s", 3725 * time.Second: "1h02m",
	} {
		assert.Equal(t, want, formatElapsed(d))
	}
}

func TestExitCodes(t *testing.T) {
	tests := map[string]struct {
		err  error
		want int
	}{
		"nil":         {nil, ExitOK},
		"usage":       {usagef("x"), ExitUsage},
		"failed":      {&client.JobFailedError{JobID: "j"}, ExitFailure},
		"not found":   {fmt.Errorf("describe: %w", &client.APIError{Status: 404}), ExitNotFound},
		"aborted":     {fmt.Errorf("job: %w", client.ErrAborted), ExitIncomplete},
		"timed out":   {fmt.Errorf("job: %w", client.ErrTimedOut), ExitIncomplete},
		"gave up":     {fmt.Errorf("%w after 1s", errGaveUp), ExitIncomplete},
		"interrupted": {fmt.Errorf("wait: %w", context.Canceled), ExitInterrupted},
		"server":      {&client.APIError{Status: 502}, ExitFailure},
		"forbidden":   {&client.APIError{Status: 403}, ExitFailure},
		"network":     {io.ErrUnexpectedEOF, ExitFailure},
	}
	for name, tt := range tests {
		assert.Equal(t, tt.want, exitCode(tt.err), name)
	}
}

func FuzzBuildInput(f *testing.F) {
	for _, s := range []string{"", "{}", `{"records":5}`, "null", "[1]", "{} {}", `{"seed":9223372036854775807}`, "@x", "{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		body, err := buildInput(s, func(string) ([]byte, error) { return []byte(`{"a":1}`), nil })
		if err != nil {
			return
		}
		if body == nil {
			t.Fatalf("nil body without error for %q", s)
		}
		if _, err := json.Marshal(body); err != nil {
			t.Fatalf("input %q does not encode again: %v", s, err)
		}
	})
}
