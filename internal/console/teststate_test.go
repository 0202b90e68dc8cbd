package console

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// testStateAPI is the local engine's API with a fake TestState: it records
// each call and answers as told, so the page can be checked against every
// kind of answer.
type testStateAPI struct {
	API
	mu    sync.Mutex
	calls []*sfn.TestStateInput
	out   *sfn.TestStateOutput
	err   error
}

func (a *testStateAPI) TestState(_ context.Context, in *sfn.TestStateInput, _ ...func(*sfn.Options)) (*sfn.TestStateOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, in)
	return a.out, a.err
}

func (a *testStateAPI) answer(out *sfn.TestStateOutput, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.out, a.err = out, err
}

func (a *testStateAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

func (a *testStateAPI) last(t *testing.T) *sfn.TestStateInput {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	require.NotEmpty(t, a.calls, "TestState was called")
	return a.calls[len(a.calls)-1]
}

// assignRun runs testdata/assign.asl.json (variables at the top level, in
// a Map's iterations and in a Parallel's branches) on the local engine and
// serves the console over it with the fake TestState.
func assignRun(t *testing.T) (srv *httptest.Server, arn string, api *testStateAPI, le *localEngine) {
	t.Helper()
	le = newLocalEngineWith(t, "testdata/assign.asl.json", func(reg *localsfn.Registry) {
		reg.RegisterFunction("charge", localsfn.InvokerFunc(func(_ context.Context, in []byte) ([]byte, error) {
			var v struct{ Amount int }
			if err := json.Unmarshal(in, &v); err != nil {
				return nil, err
			}
			return json.Marshal(map[string]int{"amount": v.Amount})
		}))
	})
	arn = le.run(t, "order-1", `{"customer": "ada", "items": [1, 2]}`)
	out, err := le.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	require.NoError(t, err)
	require.Equal(t, types.ExecutionStatusSucceeded, out.Status, aws.ToString(out.Error)+" "+aws.ToString(out.Cause))
	api = &testStateAPI{API: le.client}
	mux := http.NewServeMux()
	mux.Handle("/console/", New(Config{StepFunctions: api, Now: le.clock.Now, Logger: slog.New(slog.DiscardHandler)}))
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, arn, api, le
}

var textareaRE = regexp.MustCompile(`(?s)<textarea id="([^"]+)"[^>]*>(.*?)</textarea>`)

// textareas are a page's text areas by id, unescaped.
func textareas(body string) map[string]string {
	out := map[string]string{}
	for _, m := range textareaRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// stateEntries are the ids of a state's StateEntered events, in order.
func stateEntries(t *testing.T, le *localEngine, arn, state string) []int64 {
	t.Helper()
	h, err := le.client.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	require.NoError(t, err)
	var ids []int64
	for _, ev := range h.Events {
		if d := ev.StateEnteredEventDetails; d != nil && aws.ToString(d.Name) == state {
			ids = append(ids, ev.Id)
		}
	}
	return ids
}

func TestTestStatePrefilled(t *testing.T) {
	srv, arn, _, le := assignRun(t)
	tests := []struct {
		state     string
		visit     int // which entry of the state
		input     string
		variables string
		has       []string
	}{
		{state: "Init", input: `{"customer": "ada", "items": [1, 2]}`, variables: `{}`,
			has: []string{"No variables were assigned before the state was entered."}},
		{state: "Items", input: `{"customer": "ada", "items": [1, 2]}`, variables: `{"total": 0, "customer": "ada"}`,
			has: []string{`<legend>Mock the service call (optional)</legend>`}},
		{state: "Price", input: `1`, variables: `{"total": 0, "customer": "ada"}`, has: []string{"Map iteration 0"}},
		// The second iteration's Charge sees its own price, not the first's.
		{state: "Charge", visit: 1, input: `2`, variables: `{"total": 0, "customer": "ada", "price": 20}`,
			has: []string{"Map iteration 1", `aria-current="page" class="current">visit 2 · event #18</a>`}},
		{state: "Charge", visit: 0, input: `1`, variables: `{"total": 0, "customer": "ada", "price": 10}`},
		// A branch sees what its own states assigned, not what the other branch did.
		{state: "LeftDone", input: `[{"amount": 10}, {"amount": 20}]`, variables: `{"total": 30, "customer": "ada", "side": "left"}`},
		{state: "Right", input: `[{"amount": 10}, {"amount": 20}]`, variables: `{"total": 30, "customer": "ada"}`},
		// After the Map and the Parallel, what their iterations and branches assigned is gone.
		{state: "Finish", input: `[[{"amount": 10}, {"amount": 20}], [{"amount": 10}, {"amount": 20}]]`, variables: `{"total": 30, "customer": "ada"}`},
	}
	for _, tc := range tests {
		t.Run(tc.state, func(t *testing.T) {
			ids := stateEntries(t, le, arn, tc.state)
			require.Greater(t, len(ids), tc.visit)
			code, body := get(t, srv.URL+"/console/"+testStateHref(arn, tc.state, ids[tc.visit]))
			require.Equal(t, http.StatusOK, code, body)
			fields := textareas(body)
			assert.JSONEq(t, tc.input, fields["ts-input"], "the recorded input")
			assert.JSONEq(t, tc.variables, fields["ts-variables"], "the variables in scope")
			assert.Contains(t, body, "Worked out by following the state's own path", "exact")
			assert.NotContains(t, body, "Not exact")
			assert.Contains(t, body, `<option selected>DEBUG</option>`)
			var ctxObj struct {
				Execution struct{ Id, Name string }
				State     struct{ Name, EnteredTime string }
			}
			require.NoError(t, json.Unmarshal([]byte(fields["ts-context"]), &ctxObj), fields["ts-context"])
			assert.Equal(t, arn, ctxObj.Execution.Id)
			assert.Equal(t, tc.state, ctxObj.State.Name)
			assert.NotEmpty(t, ctxObj.State.EnteredTime)
			for _, s := range tc.has {
				assert.Contains(t, body, s)
			}
			assert.Equal(t, tc.state == "Items" || tc.state == "Charge" || tc.state == "Both", strings.Contains(body, `name="mock"`), "a mock for Task, Map and Parallel states")
		})
	}
}

// The execution page links each state to its test page.
func TestExecutionPageLinksTestState(t *testing.T) {
	srv, arn, _, _ := assignRun(t)
	_, body := get(t, srv.URL+"/console/execution?state=Charge&arn="+url.QueryEscape(arn))
	assert.Contains(t, body, `<a class="test-state-link" href="`+html.EscapeString(testStateHref(arn, "Charge", 0))+`">Test this state</a>`)
	code, page := get(t, srv.URL+"/console/"+testStateHref(arn, "Charge", 0))
	require.Equal(t, http.StatusOK, code, page)
	assert.JSONEq(t, `1`, textareas(page)["ts-input"], "the first visit by default")
	assert.Contains(t, page, `&#34;Resource&#34;: &#34;arn:aws:lambda:us-east-1:123456789012:function:charge&#34;`, "the state's definition")
}

// post submits the test form as a browser without the script does.
func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestTestStateSubmit(t *testing.T) {
	srv, arn, api, le := assignRun(t)
	sm, err := le.client.DescribeStateMachine(t.Context(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(le.smARN)})
	require.NoError(t, err)
	api.answer(&sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded, Output: aws.String(`{"amount":70}`)}, nil)
	page := srv.URL + "/console/" + testStateHref(arn, "Charge", 0)
	tests := []struct {
		name string
		form url.Values
		want *sfn.TestStateInput
	}{
		{name: "mocked result with context",
			form: url.Values{"input": {` 7 `}, "variables": {`{"price": 70}`}, "inspectionLevel": {"TRACE"}, "mock": {"result"},
				"mockResult": {`{"Payload": {"amount": 70}}`}, "fieldValidationMode": {"PRESENT"}, "context": {`{"State": {"Name": "Charge"}}`}},
			want: &sfn.TestStateInput{Input: aws.String("7"), Variables: aws.String(`{"price": 70}`), InspectionLevel: types.InspectionLevelTrace,
				Mock:    &types.MockInput{Result: aws.String(`{"Payload": {"amount": 70}}`), FieldValidationMode: types.MockResponseValidationModePresent},
				Context: aws.String(`{"State": {"Name": "Charge"}}`)}},
		{name: "mocked error",
			form: url.Values{"input": {`1`}, "inspectionLevel": {"DEBUG"}, "mock": {"error"}, "mockError": {"Lambda.ServiceException"}, "mockCause": {"down"}},
			want: &sfn.TestStateInput{Input: aws.String("1"), InspectionLevel: types.InspectionLevelDebug,
				Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Lambda.ServiceException"), Cause: aws.String("down")}}}},
		// No mock: the context is not sent (AWS refuses it), nor are empty variables.
		{name: "no mock",
			form: url.Values{"input": {`{"a": 1}`}, "variables": {"{}"}, "context": {`{"State": {}}`}},
			want: &sfn.TestStateInput{Input: aws.String(`{"a": 1}`), InspectionLevel: types.InspectionLevelInfo}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, page, tc.form)
			require.Equal(t, http.StatusOK, code, body)
			got := api.last(t)
			tc.want.Definition, tc.want.StateName, tc.want.RoleArn = sm.Definition, aws.String("Charge"), sm.RoleArn
			assert.Equal(t, tc.want, got)
			assert.Contains(t, body, `id="ts-status" data-status="SUCCEEDED"`)
			// The form shows what was sent, not the recording again.
			assert.Equal(t, tc.form.Get("input"), textareas(body)["ts-input"])
		})
	}
}

// A result section of the page: what the golden files hold.
var resultRE = regexp.MustCompile(`(?s)<section class="card" id="ts-result".*?</section>`)

func TestTestStateResults(t *testing.T) {
	srv, arn, api, _ := assignRun(t)
	tests := []struct {
		name  string
		out   *sfn.TestStateOutput
		steps []string
	}{
		{name: "succeeded", out: &sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded, NextState: aws.String("Next"),
			Output: aws.String(`{"amount":20,"ok":true}`),
			InspectionData: &types.InspectionData{Input: aws.String(`{"n":2}`), AfterInputPath: aws.String(`{"n":2}`),
				AfterParameters: aws.String(`{"FunctionName":"charge","Payload":{"amount":20}}`), Result: aws.String(`{"Payload":{"amount":20}}`),
				AfterResultSelector: aws.String(`{"amount":20}`), AfterResultPath: aws.String(`{"amount":20,"ok":true}`),
				Variables: aws.String(`{"price":20}`)}},
			steps: []string{"input", "afterInputPath", "afterParameters", "result", "afterResultSelector", "afterResultPath", "variables"}},
		{name: "failed", out: &sfn.TestStateOutput{Status: types.TestExecutionStatusFailed, Error: aws.String("States.TaskFailed"),
			Cause:          aws.String("charge: card declined"),
			InspectionData: &types.InspectionData{Input: aws.String(`1`), AfterArguments: aws.String(`{"FunctionName":"charge"}`)}},
			steps: []string{"input", "afterArguments"}},
		{name: "retriable", out: &sfn.TestStateOutput{Status: types.TestExecutionStatusRetriable, Error: aws.String("Lambda.ServiceException"),
			Cause: aws.String("try again"),
			InspectionData: &types.InspectionData{Input: aws.String(`1`),
				ErrorDetails: &types.InspectionErrorDetails{RetryIndex: aws.Int32(0), RetryBackoffIntervalSeconds: aws.Int32(2)}}},
			steps: []string{"input"}},
		{name: "caught_error", out: &sfn.TestStateOutput{Status: types.TestExecutionStatusCaughtError, NextState: aws.String("Refund"),
			Error: aws.String("States.ALL"), Cause: aws.String("boom"), Output: aws.String(`{"Error":"States.ALL","Cause":"boom"}`),
			InspectionData: &types.InspectionData{ErrorDetails: &types.InspectionErrorDetails{CatchIndex: aws.Int32(1)},
				AfterResultPath: aws.String(`{"Error":"States.ALL","Cause":"boom"}`)}},
			steps: []string{"afterResultPath"}},
		{name: "trace", out: &sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded, Output: aws.String(`{}`),
			InspectionData: &types.InspectionData{Result: aws.String(`{}`),
				Request:  &types.InspectionDataRequest{Method: aws.String("GET"), Url: aws.String("https://example.com/a")},
				Response: &types.InspectionDataResponse{StatusCode: aws.String("200"), Body: aws.String("{}")}}},
			steps: []string{"result"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api.answer(tc.out, nil)
			code, body := post(t, srv.URL+"/console/"+testStateHref(arn, "Charge", 0), url.Values{"input": {"1"}, "inspectionLevel": {"DEBUG"}})
			require.Equal(t, http.StatusOK, code, body)
			got := resultRE.FindString(body)
			require.NotEmpty(t, got, body)
			var steps []string
			for _, m := range regexp.MustCompile(`<li data-step="([^"]+)">`).FindAllStringSubmatch(got, -1) {
				steps = append(steps, m[1])
			}
			assert.Equal(t, tc.steps, steps, "the steps present, in the order the state runs them")
			golden := filepath.Join("testdata", "teststate", tc.name+".html")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got+"\n"), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), got+"\n")
		})
	}
}

func TestTestStateErrors(t *testing.T) {
	srv, arn, api, _ := assignRun(t)
	page := srv.URL + "/console/" + testStateHref(arn, "Charge", 0)
	tests := []struct {
		name   string
		err    error
		form   url.Values
		status int
		has    []string
	}{
		{name: "validation", err: &types.ValidationException{Message: aws.String("Variables must be a JSON object")},
			status: http.StatusBadRequest, has: []string{"<strong>ValidationException</strong>", "Variables must be a JSON object"}},
		{name: "invalid definition", err: &types.InvalidDefinition{Message: aws.String("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED'")},
			status: http.StatusBadRequest, has: []string{"<strong>InvalidDefinition</strong>", "SCHEMA_VALIDATION_FAILED"}},
		{name: "endpoint down", err: errors.New("connection refused"),
			status: http.StatusBadGateway, has: []string{"<strong>TestState</strong>", "connection refused"}},
		{name: "bad form", form: url.Values{"inspectionLevel": {"LOUD"}},
			status: http.StatusBadRequest, has: []string{"<strong>BadForm</strong>", "inspectionLevel is INFO, DEBUG or TRACE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api.answer(nil, tc.err)
			form := tc.form
			if form == nil {
				form = url.Values{"input": {`{"edited": true}`}}
			}
			code, body := post(t, page, form)
			assert.Equal(t, tc.status, code)
			assert.Contains(t, body, `id="ts-error" role="alert"`, "shown in the test page")
			assert.Contains(t, body, `id="test-state-form"`, "with the form, to fix and run again")
			for _, s := range tc.has {
				assert.Contains(t, body, s)
			}
		})
	}
	// Pages that cannot be built at all are error pages.
	for path, status := range map[string]int{
		"/console/test-state?arn=" + url.QueryEscape(arn):                      http.StatusBadRequest,
		"/console/test-state?state=Charge&event=x&arn=" + url.QueryEscape(arn): http.StatusBadRequest,
		"/console/" + testStateHref(arn, "Nope", 0):                            http.StatusNotFound,
	} {
		code, body := get(t, srv.URL+path)
		assert.Equal(t, status, code, path)
		assert.Contains(t, body, `class="error-box" role="alert"`, path)
	}
	// Another site's page cannot post the form.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, page, strings.NewReader("input=1"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	calls := api.count()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, calls, api.count(), "TestState was not called")

	req, err = http.NewRequestWithContext(t.Context(), http.MethodPut, page, nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, HEAD, POST", resp.Header.Get("Allow"))
}

// A history whose chain breaks before the start, or that truncated a
// value, gives variables marked not exact.
func TestRecordStateNotExact(t *testing.T) {
	events := []types.HistoryEvent{
		{Id: 5, PreviousEventId: 4, Type: types.HistoryEventTypePassStateExited,
			StateExitedEventDetails: &types.StateExitedEventDetails{Name: aws.String("A"), AssignedVariables: map[string]string{"x": "1"}}},
		{Id: 6, PreviousEventId: 5, Type: types.HistoryEventTypePassStateEntered,
			StateEnteredEventDetails: &types.StateEnteredEventDetails{Name: aws.String("B"), Input: aws.String("{}")}},
	}
	rec := recordState(events, nil, "B", 0)
	assert.False(t, rec.Exact, "event 4 is missing")
	assert.Equal(t, map[string]string{"x": "1"}, rec.Variables)
	require.NotNil(t, rec.Visit)
	assert.Equal(t, int64(6), rec.Visit.EventID)
	assert.False(t, rec.Visit.Truncated)

	// The chain reaches the start, but a value on it was truncated.
	events[0].PreviousEventId = 0
	require.True(t, recordState(events, nil, "B", 0).Exact)
	events[0].StateExitedEventDetails.AssignedVariablesDetails = &types.AssignedVariablesDetails{Truncated: true}
	events[1].StateEnteredEventDetails.InputDetails = &types.HistoryEventExecutionDataDetails{Truncated: true}
	rec = recordState(events, nil, "B", 0)
	assert.False(t, rec.Exact, "a truncated value")
	assert.True(t, rec.Visit.Truncated)
}

func FuzzFindStateDef(f *testing.F) {
	def, err := os.ReadFile("testdata/assign.asl.json")
	require.NoError(f, err)
	f.Add(string(def), "Charge")
	f.Add(`{"States": {"A": {"Type": "Parallel", "Branches": [{"States": {"B": {"Type": "Pass"}}}]}}}`, "B")
	f.Add(`{"States": {"A": {"Iterator": {"States": null}}}}`, "Z")
	f.Fuzz(func(t *testing.T, def, name string) {
		raw, _, ok := findStateDef(def, name)
		if ok {
			assert.True(t, json.Valid(raw), "a found state is JSON")
		}
	})
}

func TestStateScopes(t *testing.T) {
	def, err := os.ReadFile("testdata/assign.asl.json")
	require.NoError(t, err)
	scopes := stateScopes(string(def))
	for state, want := range map[string][]string{
		"Init": nil, "Items": nil, "Price": {"Items#0"}, "Charge": {"Items#0"},
		"Both": nil, "Left": {"Both#0"}, "LeftDone": {"Both#0"}, "Right": {"Both#1"}, "Finish": nil,
	} {
		assert.Equal(t, want, scopes[state], state)
	}
	assert.Len(t, scopes, 9)
}

// Against the local engine's own TestState: the pre-filled variables and
// context object of the second iteration's Charge, sent back as they are,
// are accepted and give the arguments that iteration computed.
func TestTestStateOnEngine(t *testing.T) {
	le := newLocalEngineWith(t, "testdata/assign.asl.json", func(reg *localsfn.Registry) {
		reg.RegisterFunction("charge", localsfn.InvokerFunc(func(_ context.Context, in []byte) ([]byte, error) { return in, nil }))
	})
	arn := le.run(t, "order-2", `{"customer": "ada", "items": [1, 2]}`)
	srv := consoleServer(t, le)
	page := srv.URL + "/console/" + testStateHref(arn, "Charge", stateEntries(t, le, arn, "Charge")[1])
	_, body := get(t, page)
	fields := textareas(body)
	code, body := post(t, page, url.Values{"input": {fields["ts-input"]}, "variables": {fields["ts-variables"]},
		"context": {fields["ts-context"]}, "inspectionLevel": {"DEBUG"}, "mock": {"result"},
		"mockResult": {`{"amount": 20, "customer": "ada"}`}, "fieldValidationMode": {"NONE"}})
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, `id="ts-error"`, resultRE.FindString(body))
	assert.Contains(t, body, `data-status="SUCCEEDED"`)
	m := regexp.MustCompile(`(?s)<li data-step="afterArguments"><h4>After Arguments</h4><pre class="json">(.*?)</pre>`).FindStringSubmatch(body)
	require.NotNil(t, m, resultRE.FindString(body))
	assert.JSONEq(t, `{"amount": 20, "customer": "ada"}`, html.UnescapeString(m[1]), "$price and $customer as recorded")
}

// A state the execution never entered opens with an empty input.
func TestTestStateNotEntered(t *testing.T) {
	_, srv, arns := startedJobs(t)
	code, body := get(t, srv.URL+"/console/"+testStateHref(arns["succeeded"], "RecordFailure", 0))
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `id="ts-not-entered"`)
	assert.Equal(t, "{}", textareas(body)["ts-input"])
	assert.Contains(t, body, "No variables were assigned before the state was entered.")
}
