// Package browser tests the local console in a real headless Chromium,
// driven by chromedp, against the in-process engine running the project's
// definition with fake handlers. It runs when Chromium is installed
// (Debian's chromium, or the binary named by $CHROMIUM) and skips
// otherwise; BROWSER_TESTS=1 (make test-browser) turns the skip into a
// failure. Screenshots go to test/artifacts/; UPDATE_SCREENSHOT=1 also
// writes docs/console.png for the README.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/console"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/sfnapi"
	"github.com/asyncjobs/stepjobs/test/browser/chrome"
)

const (
	artifacts  = "../artifacts"
	docsPNG    = "../../docs/console.png"
	definition = "../../statemachine/jobs.asl.json"
	// ordersDefinition is a larger machine: Choice, Parallel, Map, Catch, a loop.
	ordersDefinition = "../../internal/console/testdata/orders.asl.json"
)

type stack struct {
	eng     *localsfn.Engine
	clock   *localsfn.FakeClock
	smARN   string
	client  *sfn.Client // the engine's Step Functions API, as the console reads it
	console string      // the console's URL
	done    chan struct{}
	// holding receives, for each job started with "hold": true, the channel
	// that releases its Track task.
	holding chan chan struct{}
}

// newStack runs the project's definition on the in-process engine with fake
// handlers, serves its JSON 1.0 API and the console on loopback, and points
// the console at the API through the AWS SDK.
func newStack(t *testing.T) *stack {
	t.Helper()
	def, err := os.ReadFile(definition)
	require.NoError(t, err)
	st := &stack{clock: localsfn.NewFakeClock(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)),
		holding: make(chan chan struct{}, 4), done: make(chan struct{})}
	t.Cleanup(func() { close(st.done) }) // releases held tasks
	jobs := jobtest.NewFakeJobTable()
	work := func(ms int) { st.clock.Advance(time.Duration(ms) * time.Millisecond) } // simulated run time
	reg := localsfn.NewRegistry()
	fakes := &jobtest.FakeLambdas{Clock: st.clock, Jobs: jobs,
		Track: 42 * time.Millisecond, Simulate: 230 * time.Millisecond, Update: 31 * time.Millisecond,
		Hold: func() {
			release := make(chan struct{})
			st.holding <- release
			select {
			case <-release:
			case <-st.done:
			}
		}}
	fakes.Register(reg)
	// The larger example machine's tasks (see internal/console/testdata/orders.asl.json).
	pass := localsfn.InvokerFunc(func(_ context.Context, in []byte) ([]byte, error) { work(15); return in, nil })
	for _, fn := range []string{"validate", "digital", "courier", "refund", "notify"} {
		reg.RegisterFunction(fn, pass)
	}
	reg.RegisterFunction("reserve", localsfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		work(60)
		return []byte(`{"ok": true}`), nil
	}))
	st.eng = localsfn.New(localsfn.Config{Clock: st.clock, Invokers: reg, Rand: rand.NewPCG(7, 7)})
	sm, err := st.eng.CreateStateMachine(t.Context(), localsfn.CreateStateMachineInput{
		Name: "stepjobs-dev-jobs", Definition: string(def), RoleARN: "arn:aws:iam::123456789012:role/local"})
	require.NoError(t, err)
	st.smARN = sm.ARN
	api := httptest.NewServer(sfnapi.Handler(st.eng))
	t.Cleanup(api.Close)
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(api.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, sfnapi.NoHostPrefix)
	st.client = client
	mux := http.NewServeMux()
	mux.Handle("/console/", console.New(console.Config{
		StepFunctions: client, Jobs: jobs, JobsTable: "stepjobs-dev-jobs",
		ResultURL:    func(bucket, key string) string { return "http://127.0.0.1:8084/" + bucket + "/" + key },
		PollInterval: 150 * time.Millisecond,
		Now:          st.clock.Now,
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	st.console = srv.URL + "/console/"
	return st
}

// run starts a job and waits until it closes, moving the fake clock past
// retry backoffs (never as far as a timeout).
func (st *stack) run(t *testing.T, name, input string) string {
	t.Helper()
	ctx := t.Context()
	info, err := st.eng.StartExecution(ctx, st.smARN, name, input)
	require.NoError(t, err)
	for range 10 {
		require.NoError(t, st.eng.WaitIdle(ctx))
		d, err := st.eng.DescribeExecution(ctx, info.ExecutionARN)
		require.NoError(t, err)
		if d.Status != localsfn.StatusRunning {
			return info.ExecutionARN
		}
		st.clock.Advance(2 * time.Second)
	}
	require.FailNow(t, "still running", name)
	return ""
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	chrome.Do(t, ctx, steps...)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return chrome.Eval[T](t, ctx, js)
}

func waitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	chrome.WaitFor(t, ctx, js)
}

func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	return chrome.Screenshot(t, ctx, artifacts, name)
}

const (
	jsRows       = `Object.fromEntries([...document.querySelectorAll('#exec-rows tr.exec')].map(r => [r.querySelector('a').textContent, r.dataset.status]))`
	jsStateClass = `Object.fromEntries([...document.querySelectorAll('a.state')].map(a => [a.dataset.state, a.getAttribute('class')]))`
)

func jsPanelText(state, part string) string {
	return fmt.Sprintf(`(() => { const p = document.querySelector('.state-panel[data-state=%q]'); return p.hidden ? '' : (p.querySelector('.state-%s') || {}).textContent || '' })()`, state, part)
}

func TestConsoleInChromium(t *testing.T) {
	ctx := chrome.Start(t) // skips at once when there is no browser
	st := newStack(t)
	ok := st.run(t, "weather-500", `{"records": 500, "seed": 42}`)
	failed := st.run(t, "weather-broken", `{"records": 20, "simulateFailure": "permanent"}`)
	retried := st.run(t, "weather-flaky", `{"records": 50, "simulateFailure": "transient"}`)
	execURL := func(arn string) string { return st.console + "execution?arn=" + url.QueryEscape(arn) }

	t.Run("executions list with live updates", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(st.console+"state-machine?arn="+url.QueryEscape(st.smARN)),
			chromedp.WaitVisible(`#exec-rows tr.exec`))
		assert.Equal(t, map[string]string{"weather-500": "SUCCEEDED", "weather-broken": "FAILED", "weather-flaky": "SUCCEEDED"},
			eval[map[string]string](t, ctx, jsRows))
		assert.True(t, eval[bool](t, ctx, `document.querySelectorAll('svg.graph-svg a.state, svg.graph-svg g.state').length === 8`), "the definition's eight states are drawn")

		// A job started while the page is open appears without a reload, RUNNING, then SUCCEEDED.
		eval[bool](t, ctx, `(window.__sameDocument = true)`)
		held, err := st.eng.StartExecution(t.Context(), st.smARN, "weather-live", `{"records": 10, "hold": true}`)
		require.NoError(t, err)
		release := <-st.holding
		waitFor(t, ctx, `document.querySelector('#exec-rows tr.exec[data-status="RUNNING"]') !== null`)
		assert.Equal(t, "RUNNING", eval[map[string]string](t, ctx, jsRows)["weather-live"])
		screenshot(t, ctx, "executions-running")
		close(release)
		_, err = st.eng.Wait(t.Context(), held.ExecutionARN)
		require.NoError(t, err)
		waitFor(t, ctx, `document.querySelectorAll('#exec-rows tr.exec[data-status="RUNNING"]').length === 0`)
		assert.Equal(t, "SUCCEEDED", eval[map[string]string](t, ctx, jsRows)["weather-live"])
		assert.True(t, eval[bool](t, ctx, `window.__sameDocument === true`), "updated in place, not reloaded")

		do(t, ctx, chromedp.Click(`.filters a[href*="status=FAILED"]`), chromedp.WaitVisible(`.filters a.current[href*="status=FAILED"]`))
		assert.Equal(t, map[string]string{"weather-broken": "FAILED"}, eval[map[string]string](t, ctx, jsRows))
		screenshot(t, ctx, "executions-failed-filter")
	})

	t.Run("failed job: coloured graph, error and cause, state details", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(execURL(failed)), chromedp.WaitVisible(`svg.graph-svg`))
		assert.Equal(t, map[string]string{
			"Track": "state st-succeeded", "Simulate": "state st-caught", "RecordSuccess": "state st-not-reached",
			"Done": "state st-not-reached", "RecordFailure": "state st-succeeded", "CheckRecord": "state st-succeeded",
			"AlreadySucceeded": "state st-not-reached", "JobFailed": "state st-failed",
		}, eval[map[string]string](t, ctx, jsStateClass))
		// Not colour alone: each state says what happened in words.
		assert.Equal(t, "⤳ caught", eval[string](t, ctx, `document.querySelector('a.state[data-state="Simulate"] .sub').textContent`))
		assert.Equal(t, "✕ failed", eval[string](t, ctx, `document.querySelector('a.state[data-state="JobFailed"] .sub').textContent`))
		errText := eval[string](t, ctx, `document.querySelector('#exec-error').textContent`)
		assert.Contains(t, errText, "SimulatedFailure")
		assert.Contains(t, errText, "simulated permanent failure", "the cause is shown")
		assert.Contains(t, eval[string](t, ctx, `document.querySelector('#exec-status').textContent`), "failed")

		do(t, ctx, chromedp.Click(`a.state[data-state="Simulate"]`),
			chromedp.WaitVisible(`.state-panel[data-state="Simulate"] .state-input`))
		assert.Contains(t, eval[string](t, ctx, jsPanelText("Simulate", "input")), `"jobId": "weather-broken"`)
		assert.Contains(t, eval[string](t, ctx, jsPanelText("Simulate", "output")), `"Error": "SimulatedFailure"`)
		assert.Contains(t, eval[string](t, ctx, jsPanelText("Simulate", "error")), "SimulatedFailure")
		assert.Contains(t, eval[string](t, ctx, `location.search`), "state=Simulate", "the selection is in the URL")
		assert.Contains(t, eval[string](t, ctx, `document.querySelector('a.state[data-state="Simulate"]').getAttribute('class')`), "selected")
		assert.Contains(t, eval[string](t, ctx, `document.querySelector('#job-record').textContent`), `"status": "FAILED"`)
		png := screenshot(t, ctx, "execution-failed")
		if os.Getenv("UPDATE_SCREENSHOT") == "1" {
			require.NoError(t, os.MkdirAll(filepath.Dir(docsPNG), 0o755))
			require.NoError(t, os.WriteFile(docsPNG, png, 0o644))
		}

		// Keyboard: focus a state and press Enter.
		do(t, ctx, chromedp.Focus(`a.state[data-state="RecordFailure"]`), chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(`.state-panel[data-state="RecordFailure"] .state-input`))
		assert.True(t, eval[bool](t, ctx, `document.querySelector('.state-panel[data-state="Simulate"]').hidden`), "one panel at a time")
		assert.Contains(t, eval[string](t, ctx, jsPanelText("RecordFailure", "input")), `"Error": "SimulatedFailure"`)

		// History: AWS's event types, expandable details.
		types := eval[[]string](t, ctx, `[...document.querySelectorAll('table.history tbody tr td:nth-child(2)')].map(td => td.textContent.replace('✕ ', ''))`)
		assert.Contains(t, types, "LambdaFunctionFailed")
		assert.Equal(t, "ExecutionFailed", types[len(types)-1])
		do(t, ctx, chromedp.Click(`table.history tr.failure details summary`))
		assert.True(t, eval[bool](t, ctx, `document.querySelector('table.history tr.failure details').open`))
	})

	t.Run("succeeded job: input and output of a state, result link", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(execURL(ok)), chromedp.WaitVisible(`svg.graph-svg`))
		classes := eval[map[string]string](t, ctx, jsStateClass)
		for _, s := range []string{"Track", "Simulate", "RecordSuccess", "Done"} {
			assert.Equal(t, "state st-succeeded", classes[s], s)
		}
		do(t, ctx, chromedp.Click(`a.state[data-state="Track"]`), chromedp.WaitVisible(`.state-panel[data-state="Track"] .state-output`))
		assert.Contains(t, eval[string](t, ctx, jsPanelText("Track", "input")), `"records": 500`)
		assert.Contains(t, eval[string](t, ctx, jsPanelText("Track", "output")), `"status": "RUNNING"`)
		assert.Equal(t, "http://127.0.0.1:8084/stepjobs-dev-results/results/weather-500.json",
			eval[string](t, ctx, `document.querySelector('#result-link').href`))
		screenshot(t, ctx, "execution-succeeded")
	})

	t.Run("retried job", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(execURL(retried)), chromedp.WaitVisible(`svg.graph-svg`))
		assert.Equal(t, "state st-retried", eval[map[string]string](t, ctx, jsStateClass)["Simulate"])
		assert.Equal(t, "↻ retried · 1 retry", eval[string](t, ctx, `document.querySelector('a.state[data-state="Simulate"] .sub').textContent`))
		screenshot(t, ctx, "execution-retried")
	})

	t.Run("running execution updates in place", func(t *testing.T) {
		held, err := st.eng.StartExecution(t.Context(), st.smARN, "weather-watched", `{"records": 10, "hold": true}`)
		require.NoError(t, err)
		release := <-st.holding
		do(t, ctx, chromedp.Navigate(execURL(held.ExecutionARN)+"&state=Track"), chromedp.WaitVisible(`svg.graph-svg`))
		assert.Equal(t, "state st-running selected", eval[map[string]string](t, ctx, jsStateClass)["Track"])
		assert.Contains(t, eval[string](t, ctx, `document.querySelector('#exec-status').textContent`), "running")
		eval[bool](t, ctx, `(window.__sameDocument = true)`)
		close(release)
		_, err = st.eng.Wait(t.Context(), held.ExecutionARN)
		require.NoError(t, err)
		waitFor(t, ctx, `document.querySelector('#exec-status').textContent.includes('succeeded')`)
		cls := eval[map[string]string](t, ctx, jsStateClass)
		assert.Equal(t, "state st-succeeded selected", cls["Track"], "the selection survives the refresh")
		assert.Equal(t, "state st-succeeded", cls["Done"])
		assert.False(t, eval[bool](t, ctx, `document.querySelector('.state-panel[data-state="Track"]').hidden`))
		assert.True(t, eval[bool](t, ctx, `window.__sameDocument === true`), "updated in place, not reloaded")
		assert.False(t, eval[bool](t, ctx, `document.getElementById('live').hasAttribute('data-poll')`), "polling stops once closed")
	})

	t.Run("larger machine: Choice, Parallel and Map coloured inside their boxes", func(t *testing.T) {
		def, err := os.ReadFile(ordersDefinition)
		require.NoError(t, err)
		sm, err := st.eng.CreateStateMachine(t.Context(), localsfn.CreateStateMachineInput{
			Name: "orders", Definition: string(def), RoleARN: "arn:aws:iam::123456789012:role/local"})
		require.NoError(t, err)
		ship, err := st.eng.StartExecution(t.Context(), sm.ARN, "order-ship", `{"kind": "physical"}`)
		require.NoError(t, err)
		bundle, err := st.eng.StartExecution(t.Context(), sm.ARN, "order-bundle", `{"kind": "bundle", "items": [1, 2, 3]}`)
		require.NoError(t, err)
		for _, arn := range []string{ship.ExecutionARN, bundle.ExecutionARN} {
			d, err := st.eng.Wait(t.Context(), arn)
			require.NoError(t, err)
			require.Equal(t, localsfn.StatusSucceeded, d.Status)
		}
		do(t, ctx, chromedp.Navigate(execURL(ship.ExecutionARN)), chromedp.WaitVisible(`svg.graph-svg`))
		cls := eval[map[string]string](t, ctx, jsStateClass)
		for state, want := range map[string]string{
			"Validate": "succeeded", "Route": "succeeded", "Ship": "succeeded", "Reserve stock": "succeeded", "Stock ok?": "succeeded",
			"Reserved": "succeeded", "Book courier": "succeeded", "Notify": "succeeded",
			"Wait for stock": "not-reached", "Fulfil digital": "not-reached", "Bundle items": "not-reached", "Price item": "not-reached",
			"Refund": "not-reached", "Failed": "not-reached",
		} {
			assert.Contains(t, cls[state], "st-"+want, state)
		}
		assert.True(t, eval[bool](t, ctx, `document.querySelector('a.state[data-state="Reserve stock"]').closest('g.nested') !== null`), "branch states are drawn inside the Parallel's box")
		screenshot(t, ctx, "execution-parallel")
		// Fit switches between the whole drawing and its natural size.
		width := `document.querySelector('svg.graph-svg').getBoundingClientRect().width`
		pressed := eval[string](t, ctx, `document.querySelector('.graph-fit').getAttribute('aria-pressed')`)
		before := eval[float64](t, ctx, width)
		do(t, ctx, chromedp.Click(`.graph-fit`))
		assert.NotEqual(t, pressed, eval[string](t, ctx, `document.querySelector('.graph-fit').getAttribute('aria-pressed')`))
		assert.NotEqual(t, before, eval[float64](t, ctx, width), "the drawing changed size")
		screenshot(t, ctx, "execution-parallel-toggled")

		do(t, ctx, chromedp.Navigate(execURL(bundle.ExecutionARN)), chromedp.WaitVisible(`svg.graph-svg`))
		cls = eval[map[string]string](t, ctx, jsStateClass)
		assert.Contains(t, cls["Bundle items"], "st-succeeded")
		assert.Contains(t, cls["Ship"], "st-not-reached")
		assert.Equal(t, "✓ succeeded · ×3", eval[string](t, ctx, `document.querySelector('a.state[data-state="Pack item"] .sub').textContent`), "one visit per item")
		screenshot(t, ctx, "execution-map")
	})

	t.Run("test this state: edited input, mocked result, inspection steps", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(execURL(ok)), chromedp.WaitVisible(`svg.graph-svg`),
			chromedp.Click(`a.state[data-state="Simulate"]`),
			chromedp.WaitVisible(`.state-panel[data-state="Simulate"] .test-state-link`),
			chromedp.Click(`.state-panel[data-state="Simulate"] .test-state-link`),
			chromedp.WaitVisible(`#test-state-form`))
		assert.Contains(t, eval[string](t, ctx, `location.search`), "state=Simulate")
		recorded := eval[string](t, ctx, `document.querySelector('#ts-input').value`)
		assert.Contains(t, recorded, `"jobId": "weather-500"`, "the recorded input of Simulate")
		assert.Contains(t, eval[string](t, ctx, `document.querySelector('#ts-state-def').textContent`), `"ResultPath": "$.result"`)
		screenshot(t, ctx, "test-state-form")

		assert.True(t, eval[bool](t, ctx, `document.querySelector('[data-mock="result"]').hidden`), "no mock chosen: its fields are hidden")
		const edited = `{"jobId": "edited", "status": "RUNNING"}`
		const mocked = `{"bucket": "b", "key": "results/edited.json", "records": 3, "bytes": 9}`
		eval[bool](t, ctx, `(window.__sameDocument = true)`)
		do(t, ctx,
			chromedp.SetValue(`#ts-input`, edited), chromedp.SetValue(`#ts-level`, "DEBUG"),
			chromedp.Click(`input[name="mock"][value="result"]`), chromedp.WaitVisible(`#ts-mock-result`), chromedp.SetValue(`#ts-mock-result`, mocked),
			chromedp.Click(`#ts-submit`))
		waitFor(t, ctx, `document.getElementById('ts-result').getAttribute('data-runs') === '1'`)
		assert.True(t, eval[bool](t, ctx, `window.__sameDocument === true`), "posted in place by the script")
		assert.Equal(t, edited, eval[string](t, ctx, `document.querySelector('#ts-input').value`), "the form keeps the edit")
		require.False(t, eval[bool](t, ctx, `document.getElementById('ts-error') !== null`),
			"TestState answered: %s", eval[string](t, ctx, `(document.getElementById('ts-error') || {}).textContent || ''`))
		screenshot(t, ctx, "test-state")

		// What TestState answers to the same request, asked directly.
		sm, err := st.client.DescribeStateMachine(t.Context(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(st.smARN)})
		require.NoError(t, err)
		want, err := st.client.TestState(t.Context(), &sfn.TestStateInput{
			Definition: sm.Definition, StateName: aws.String("Simulate"), RoleArn: sm.RoleArn, Input: aws.String(edited),
			InspectionLevel: sfntypes.InspectionLevelDebug,
			Mock:            &sfntypes.MockInput{Result: aws.String(mocked), FieldValidationMode: sfntypes.MockResponseValidationModeStrict},
			Context:         aws.String(eval[string](t, ctx, `document.querySelector('#ts-context').value`)),
		})
		require.NoError(t, err)
		require.NotNil(t, want.InspectionData, "DEBUG answers with the inspection data")
		assert.Equal(t, string(want.Status), eval[string](t, ctx, `document.querySelector('#ts-status').dataset.status`))
		assert.Equal(t, aws.ToString(want.NextState), eval[string](t, ctx, `(document.querySelector('#ts-next') || {}).textContent || ''`))
		assert.JSONEq(t, aws.ToString(want.Output), eval[string](t, ctx, `document.querySelector('#ts-output').textContent`))

		shown := eval[[][]string](t, ctx, `[...document.querySelectorAll('#ts-steps li')].map(li => [li.dataset.step, li.querySelector('pre').textContent])`)
		d := want.InspectionData
		var steps [][2]string // the steps TestState answered with, in the order a state runs them
		for _, s := range []struct {
			key string
			v   *string
		}{{"input", d.Input}, {"afterInputPath", d.AfterInputPath}, {"afterParameters", d.AfterParameters}, {"afterArguments", d.AfterArguments},
			{"result", d.Result}, {"afterResultSelector", d.AfterResultSelector}, {"afterResultPath", d.AfterResultPath}, {"variables", d.Variables}} {
			if s.v != nil {
				steps = append(steps, [2]string{s.key, *s.v})
			}
		}
		require.Len(t, shown, len(steps), "one step shown per step answered")
		for i, s := range steps {
			assert.Equal(t, s[0], shown[i][0], "step %d", i)
			assert.JSONEq(t, s[1], shown[i][1], s[0])
		}
		// The edit, the recorded context and the mock went through: Parameters
		// read the context ($$.Execution), the mocked result lands at $.result.
		require.NotNil(t, d.AfterParameters)
		var params struct {
			JobID string `json:"jobId"`
		}
		require.NoError(t, json.Unmarshal([]byte(*d.AfterParameters), &params))
		assert.Equal(t, "weather-500", params.JobID)
		require.NotNil(t, d.AfterResultPath)
		assert.JSONEq(t, `{"jobId": "edited", "status": "RUNNING", "result": `+mocked+`}`, *d.AfterResultPath)
	})

	t.Run("narrow window", func(t *testing.T) {
		do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(execURL(failed)+"&state=Simulate"), chromedp.WaitVisible(`svg.graph-svg`))
		assert.True(t, eval[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`), "no horizontal scrolling")
		assert.True(t, eval[bool](t, ctx, `document.querySelector('svg.graph-svg').getBoundingClientRect().width <= window.innerWidth`), "the graph fits")
		assert.False(t, eval[bool](t, ctx, `document.querySelector('.state-panel[data-state="Simulate"]').hidden`))
		screenshot(t, ctx, "execution-narrow")
		do(t, ctx, chromedp.EmulateViewport(1280, 800))
	})
}
