package console

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consoleServer serves the console against the local engine's API.
func consoleServer(t *testing.T, le *localEngine) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/console/", New(Config{
		StepFunctions: le.client, Jobs: le.jobs, JobsTable: "stepjobs-dev-jobs",
		ResultURL: func(bucket, key string) string { return "http://127.0.0.1:8084/" + bucket + "/" + key },
		Now:       le.clock.Now,
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// startedJobs runs the three recorded kinds of job and serves the console.
func startedJobs(t *testing.T) (*localEngine, *httptest.Server, map[string]string) {
	t.Helper()
	le := newLocalEngine(t)
	arns := map[string]string{}
	for name, input := range jobRuns {
		arns[name] = le.run(t, "job-"+name, input)
	}
	return le, consoleServer(t, le), arns
}

func TestIndexPage(t *testing.T) {
	le, srv, _ := startedJobs(t)
	code, body := get(t, srv.URL+"/console/")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, ">stepjobs-dev-jobs</a>")
	assert.Contains(t, strings.ToLower(body), strings.ToLower(`href="state-machine?arn=`+url.QueryEscape(le.smARN)+`"`))
	for name := range jobRuns {
		assert.Contains(t, body, ">job-"+name+"</a>")
	}
	assert.Contains(t, body, `<script src="static/console.js" defer></script>`, "relative links: works under any mount path")
}

var rowRE = regexp.MustCompile(`<tr class="exec" data-status="([A-Z_]+)">\s*<td><a href="execution\?arn=[^"]+">([^<]+)</a>`)

func execRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestMachinePage(t *testing.T) {
	le, srv, _ := startedJobs(t)
	page := srv.URL + "/console/state-machine?arn=" + url.QueryEscape(le.smARN)
	code, body := get(t, page)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, map[string]string{"job-succeeded": "SUCCEEDED", "job-caught": "FAILED", "job-retried": "SUCCEEDED"}, execRows(body))
	for _, st := range []string{"Track", "Simulate", "RecordSuccess", "Done", "RecordFailure", "JobFailed"} {
		assert.Contains(t, body, `class="state st-definition" data-state="`+st+`"`, "graph shows %s", st)
	}
	assert.Contains(t, body, `data-poll="state-machine?arn=`, "the list refreshes itself")

	_, failed := get(t, page+"&status=FAILED")
	assert.Equal(t, map[string]string{"job-caught": "FAILED"}, execRows(failed))
	assert.Contains(t, failed, `aria-current="page" class="current">failed</a>`)

	_, rows := get(t, page+"&status=SUCCEEDED&partial=rows")
	assert.Equal(t, map[string]string{"job-succeeded": "SUCCEEDED", "job-retried": "SUCCEEDED"}, execRows(rows))
	assert.NotContains(t, rows, "<html", "a fragment for the live update")

	_, none := get(t, page+"&status=ABORTED")
	assert.Contains(t, none, "No executions with this status.")
}

// stateClass finds the class of a state's link in the execution graph.
func stateClass(t *testing.T, body, state string) string {
	t.Helper()
	m := regexp.MustCompile(`<a class="([^"]+)" href="[^"]*" data-state="` + regexp.QuoteMeta(state) + `"`).FindStringSubmatch(body)
	require.NotNil(t, m, "state %s drawn as a link", state)
	return m[1]
}

func TestExecutionPage(t *testing.T) {
	_, srv, arns := startedJobs(t)
	tests := []struct {
		job     string
		classes map[string]string
		has     []string
	}{
		{job: "succeeded",
			classes: map[string]string{"Track": "state st-succeeded", "Simulate": "state st-succeeded", "RecordSuccess": "state st-succeeded",
				"Done": "state st-succeeded", "RecordFailure": "state st-not-reached", "JobFailed": "state st-not-reached"},
			has: []string{`id="result-link" href="http://127.0.0.1:8084/stepjobs-dev-results/results/job-succeeded.json"`,
				`&#34;status&#34;: &#34;SUCCEEDED&#34;`, `<span aria-hidden="true">✓</span> succeeded</span>`}},
		{job: "caught",
			classes: map[string]string{"Track": "state st-succeeded", "Simulate": "state st-caught", "RecordSuccess": "state st-not-reached",
				"Done": "state st-not-reached", "RecordFailure": "state st-succeeded", "JobFailed": "state st-failed"},
			has: []string{`id="exec-error" role="alert"><strong>Error</strong> <code>SimulatedFailure</code>`,
				`<strong>Cause</strong> <code class="cause">{&#34;errorMessage&#34;:&#34;simulated permanent failure&#34;`, `&#34;error&#34;: &#34;SimulatedFailure&#34;`}},
		{job: "retried",
			classes: map[string]string{"Simulate": "state st-retried", "Done": "state st-succeeded"},
			has:     []string{"Error of the retried attempt", "↻ retried · 1 retry"}},
	}
	for _, tc := range tests {
		t.Run(tc.job, func(t *testing.T) {
			code, body := get(t, srv.URL+"/console/execution?arn="+url.QueryEscape(arns[tc.job]))
			require.Equal(t, http.StatusOK, code, body)
			for st, cls := range tc.classes {
				assert.Equal(t, cls, stateClass(t, body, st), st)
			}
			for _, s := range tc.has {
				assert.True(t, strings.Contains(body, s), "the page shows %s", s)
			}
			// Every history event is a row, numbered as AWS numbers them.
			ids := regexp.MustCompile(`<tr(?: class="failure")?>\s*<td>(\d+)</td>`).FindAllStringSubmatch(body, -1)
			require.NotEmpty(t, ids)
			for i, m := range ids {
				assert.Equal(t, strconv.Itoa(i+1), m[1])
			}
			assert.NotContains(t, body, "data-poll=", "a closed execution does not refresh")
			// The edges the execution took are drawn heavier: here the Catch out of Simulate.
			caughtEdge := regexp.MustCompile(`<path class="edge edge-catch taken" d="[^"]+" marker-end="url\(#arrow-taken\)" data-from="Simulate" data-to="RecordFailure">`)
			assert.Equal(t, tc.job == "caught", caughtEdge.MatchString(body), "Simulate's Catch edge taken")
			assert.Contains(t, body, `id="job-record"`)
		})
	}
}

func TestExecutionStateSelection(t *testing.T) {
	_, srv, arns := startedJobs(t)
	_, body := get(t, srv.URL+"/console/execution?state=Simulate&arn="+url.QueryEscape(arns["caught"]))
	assert.Contains(t, stateClass(t, body, "Simulate"), "selected")
	visible := regexp.MustCompile(`<div class="state-panel" data-state="([^"]+)">`).FindAllStringSubmatch(body, -1)
	require.Len(t, visible, 1, "only the selected state's panel is shown")
	assert.Equal(t, "Simulate", visible[0][1])
	assert.Contains(t, body, `id="no-selection" hidden`)
}

func TestRunningExecutionPolls(t *testing.T) {
	le := newLocalEngine(t)
	srv := consoleServer(t, le)
	le.hold = make(chan struct{})
	info, err := le.eng.StartExecution(t.Context(), le.smARN, "job-held", `{"hold": true}`)
	require.NoError(t, err)
	<-le.holding // Track is running

	page := srv.URL + "/console/execution?arn=" + url.QueryEscape(info.ExecutionARN)
	_, body := get(t, page)
	assert.Equal(t, "state st-running", stateClass(t, body, "Track"))
	assert.Equal(t, "state st-not-reached", stateClass(t, body, "Simulate"))
	assert.Contains(t, body, `data-poll="execution?arn=`, "a running execution refreshes")
	assert.Contains(t, body, `data-exec-status="RUNNING"`)
	_, live := get(t, page+"&partial=live")
	assert.NotContains(t, live, "<html", "the refresh is a fragment")
	assert.Contains(t, live, `data-exec-status="RUNNING"`)
	assert.NotContains(t, live, `id="job-progress"`, "no progress before the first report")

	// batch-simulation's report in the record: the refresh shows it.
	le.jobs.Put("job-held", map[string]dbtypes.AttributeValue{
		"status":           &dbtypes.AttributeValueMemberS{Value: "RUNNING"},
		"recordsGenerated": &dbtypes.AttributeValueMemberN{Value: "40000"},
		"recordsTotal":     &dbtypes.AttributeValueMemberN{Value: "100000"},
	})
	_, live = get(t, page+"&partial=live")
	assert.Contains(t, live, `<progress id="job-progress" max="100000" value="40000">40%</progress> 40% · 40000/100000 records`)

	close(le.hold)
	_, err = le.eng.Wait(t.Context(), info.ExecutionARN)
	require.NoError(t, err)
	_, live = get(t, page+"&partial=live")
	assert.Contains(t, live, `data-exec-status="SUCCEEDED"`, "the script stops polling on this")
	assert.Equal(t, "state st-succeeded", stateClass(t, live, "Track"))
}

func TestErrors(t *testing.T) {
	le := newLocalEngine(t)
	srv := consoleServer(t, le)
	missing := "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:nope"
	tests := []struct {
		name, path string
		status     int
	}{
		{"unknown page", "/console/nope", http.StatusNotFound},
		{"execution without arn", "/console/execution", http.StatusBadRequest},
		{"machine without arn", "/console/state-machine", http.StatusBadRequest},
		{"bad status filter", "/console/state-machine?status=DONE&arn=" + url.QueryEscape(le.smARN), http.StatusBadRequest},
		{"unknown execution", "/console/execution?arn=" + url.QueryEscape(missing), http.StatusNotFound},
		{"unknown machine", "/console/state-machine?arn=" + url.QueryEscape("arn:aws:states:us-east-1:123456789012:stateMachine:nope"), http.StatusNotFound},
		{"invalid arn", "/console/execution?arn=nonsense", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, srv.URL+tc.path)
			assert.Equal(t, tc.status, code, body)
			assert.Contains(t, body, `class="error-box" role="alert"`)
		})
	}
	resp, err := http.Post(srv.URL+"/console/", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestStaticAssets(t *testing.T) {
	le := newLocalEngine(t)
	srv := consoleServer(t, le)
	for path, typ := range map[string]string{"/console/static/console.css": "text/css", "/console/static/console.js": "javascript"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), typ, path)
		assert.NotContains(t, string(b), "http://", "%s loads nothing from the network", path)
		assert.NotContains(t, string(b), "https://", "%s loads nothing from the network", path)
	}
}

// failingAPI answers every call with an error, as an unreachable endpoint would.
type failingAPI struct{ API }

func (failingAPI) ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	return nil, errors.New("connection refused")
}

func TestAPIUnavailable(t *testing.T) {
	srv := httptest.NewServer(New(Config{StepFunctions: failingAPI{}, Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	code, body := get(t, srv.URL+"/")
	assert.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, body, "list state machines: connection refused")
}

func TestRecordProgress(t *testing.T) {
	tests := map[string]struct {
		record string
		want   *progressView
	}{
		"none":          {``, nil},
		"no progress":   {`{"jobId":"j","status":"RUNNING"}`, nil},
		"progress":      {`{"recordsGenerated":250,"recordsTotal":1000}`, &progressView{Generated: 250, Total: 1000, Percent: 25}},
		"done":          {`{"recordsGenerated":7,"recordsTotal":7}`, &progressView{Generated: 7, Total: 7, Percent: 100}},
		"total missing": {`{"recordsGenerated":7}`, nil},
		"zero total":    {`{"recordsGenerated":0,"recordsTotal":0}`, nil},
		"not JSON":      {`{`, nil},
	}
	for name, tc := range tests {
		assert.Equal(t, tc.want, recordProgress(tc.record), name)
	}
}
