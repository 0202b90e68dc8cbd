// Package localruntime tests the console against the whole local runtime
// (internal/offline: the API Gateway, the engine, the real handlers,
// dynalite and gofakes3), with jobs started through the HTTP API as the
// README's walkthrough does, in headless Chromium. It skips when Chromium
// or the npm tools (dynalite) are missing.
package localruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/console"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/sfnapi"
	"github.com/asyncjobs/stepjobs/test/browser/chrome"
)

const projectDir = "../../.."

// startJob posts to the local API Gateway with a bearer token and returns
// the execution ARN.
func startJob(t *testing.T, api, token, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api+"/start-execution", bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(b))
	var out struct {
		ExecutionArn string `json:"executionArn"`
	}
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	require.NotEmpty(t, out.ExecutionArn, string(b))
	return out.ExecutionArn
}

func TestConsoleOnLocalRuntime(t *testing.T) {
	ctx := chrome.Start(t) // skips first when there is no browser
	if _, err := os.Stat(projectDir + "/node_modules/dynalite"); err != nil {
		t.Skip("needs the npm tools (dynalite): run npm ci, or make test, first")
	}
	cfg := offline.DefaultConfig()
	cfg.Dir = projectDir
	cfg.APIPort, cfg.SFNPort, cfg.S3Port, cfg.DynamoDBPort, cfg.SQSPort, cfg.SNSPort = 0, 0, 0, 0, 0, 0
	srv, err := offline.Start(t.Context(), cfg)
	require.NoError(t, err, "start the local runtime")
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	u, res := srv.URLs(), srv.Resources()
	token, err := srv.DevToken(offline.DefaultDevSubject, time.Hour, nil)
	require.NoError(t, err)

	// The wiring the local runtime uses (see the package doc of internal/console).
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	mux := http.NewServeMux()
	mux.Handle("/console/", console.New(console.Config{
		StepFunctions: sfn.New(sfn.Options{Region: res.Region, BaseEndpoint: aws.String(u.StepFunctions), Credentials: creds}, sfnapi.NoHostPrefix),
		Jobs:          dynamodb.New(dynamodb.Options{Region: res.Region, BaseEndpoint: aws.String(u.DynamoDB), Credentials: creds}),
		JobsTable:     res.Tables["JobsTable"],
		ResultURL:     func(bucket, key string) string { return u.S3 + "/" + bucket + "/" + key },
	}))
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)

	ok := startJob(t, u.API, token, `{"records": 50, "seed": 42}`)
	failed := startJob(t, u.API, token, `{"records": 5, "simulateFailure": "permanent"}`)
	for _, arn := range []string{ok, failed} {
		_, err := srv.Engine().Wait(t.Context(), arn)
		require.NoError(t, err)
	}

	chrome.Do(t, ctx, chromedp.Navigate(web.URL+"/console/"), chromedp.WaitVisible(`tr.exec`))
	statuses := chrome.Eval[map[string]string](t, ctx,
		`Object.fromEntries([...document.querySelectorAll('tr.exec')].map(r => [r.querySelector('a').href, r.dataset.status]))`)
	got := map[string]string{}
	for href, st := range statuses {
		h, err := url.Parse(href)
		require.NoError(t, err)
		got[h.Query().Get("arn")] = st
	}
	assert.Equal(t, map[string]string{ok: "SUCCEEDED", failed: "FAILED"}, got)
	chrome.Screenshot(t, ctx, "../../artifacts", "runtime-index")

	page := func(arn string) string { return web.URL + "/console/execution?arn=" + url.QueryEscape(arn) }
	classes := `Object.fromEntries([...document.querySelectorAll('a.state')].map(a => [a.dataset.state, a.getAttribute('class')]))`

	chrome.Do(t, ctx, chromedp.Navigate(page(ok)), chromedp.WaitVisible(`svg.graph-svg`))
	cls := chrome.Eval[map[string]string](t, ctx, classes)
	for _, s := range []string{"Track", "Simulate", "RecordSuccess", "Done"} {
		assert.Equal(t, "state st-succeeded", cls[s], s)
	}
	assert.Contains(t, chrome.Eval[string](t, ctx, `document.querySelector('#job-record').textContent`), `"status": "SUCCEEDED"`, "the record from dynalite")
	link := chrome.Eval[string](t, ctx, `document.querySelector('#result-link').href`)
	resp, err := http.Get(link)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the result link opens the object in the local S3")
	assert.Contains(t, string(body), `"records"`)
	chrome.Do(t, ctx, chromedp.Click(`a.state[data-state="Simulate"]`), chromedp.WaitVisible(`.state-panel[data-state="Simulate"] .state-output`))
	assert.Contains(t, chrome.Eval[string](t, ctx, `document.querySelector('.state-panel[data-state="Simulate"] .state-output').textContent`), `"bucket"`)
	chrome.Screenshot(t, ctx, "../../artifacts", "runtime-succeeded")

	chrome.Do(t, ctx, chromedp.Navigate(page(failed)), chromedp.WaitVisible(`svg.graph-svg`))
	cls = chrome.Eval[map[string]string](t, ctx, classes)
	assert.Equal(t, "state st-caught", cls["Simulate"])
	assert.Equal(t, "state st-failed", cls["JobFailed"])
	errText := chrome.Eval[string](t, ctx, `document.querySelector('#exec-error').textContent`)
	assert.Contains(t, errText, "SimulatedFailure")
	assert.Contains(t, errText, "errorMessage")
	chrome.Screenshot(t, ctx, "../../artifacts", "runtime-failed")

	// The runtime's own console (on the API port) tests a state through the
	// runtime's TestState: the Choice on the failure path, its input edited
	// so the record says SUCCEEDED.
	own := u.API + offline.ConsolePath
	chrome.Do(t, ctx, chromedp.Navigate(own+"execution?state=CheckRecord&arn="+url.QueryEscape(failed)),
		chromedp.WaitVisible(`.state-panel[data-state="CheckRecord"] .test-state-link`),
		chromedp.Click(`.state-panel[data-state="CheckRecord"] .test-state-link`), chromedp.WaitVisible(`#test-state-form`))
	assert.Contains(t, chrome.Eval[string](t, ctx, `document.querySelector('#ts-input').value`), `"status": "FAILED"`, "the recorded input")
	chrome.Do(t, ctx, chromedp.SetValue(`#ts-input`, `{"record": {"status": "SUCCEEDED"}}`), chromedp.Click(`#ts-submit`))
	chrome.WaitFor(t, ctx, `document.getElementById('ts-result').getAttribute('data-runs') === '1'`)
	require.False(t, chrome.Eval[bool](t, ctx, `document.getElementById('ts-error') !== null`),
		"TestState answered: %s", chrome.Eval[string](t, ctx, `(document.getElementById('ts-error') || {}).textContent || ''`))
	assert.Equal(t, "SUCCEEDED", chrome.Eval[string](t, ctx, `document.querySelector('#ts-status').dataset.status`))
	assert.Equal(t, "AlreadySucceeded", chrome.Eval[string](t, ctx, `document.querySelector('#ts-next').textContent`), "the Choice took the SUCCEEDED rule")
	shown := chrome.Eval[[][]string](t, ctx, `[...document.querySelectorAll('#ts-steps li')].map(li => [li.dataset.step, li.querySelector('pre').textContent])`)
	require.NotEmpty(t, shown, "DEBUG shows the inspection steps")
	assert.Equal(t, "input", shown[0][0])
	assert.JSONEq(t, `{"record": {"status": "SUCCEEDED"}}`, shown[0][1])

	// The same request, asked of the runtime's TestState directly: every
	// JSON step it answers with is shown, with the same value.
	api := sfn.New(sfn.Options{Region: res.Region, BaseEndpoint: aws.String(u.StepFunctions), Credentials: creds}, sfnapi.NoHostPrefix)
	ex, err := api.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(failed)})
	require.NoError(t, err)
	sm, err := api.DescribeStateMachine(t.Context(), &sfn.DescribeStateMachineInput{StateMachineArn: ex.StateMachineArn})
	require.NoError(t, err)
	want, err := api.TestState(t.Context(), &sfn.TestStateInput{Definition: sm.Definition, StateName: aws.String("CheckRecord"),
		RoleArn: sm.RoleArn, Input: aws.String(`{"record": {"status": "SUCCEEDED"}}`), InspectionLevel: sfntypes.InspectionLevelDebug})
	require.NoError(t, err)
	b, err := json.Marshal(want.InspectionData)
	require.NoError(t, err)
	var answered map[string]any
	require.NoError(t, json.Unmarshal(b, &answered))
	texts := map[string]string{}
	for k, v := range answered {
		if s, ok := v.(string); ok {
			texts[strings.ToLower(k[:1])+k[1:]] = s
		}
	}
	require.Len(t, shown, len(texts), "one step shown per step answered: %v", texts)
	for _, st := range shown {
		require.Contains(t, texts, st[0])
		assert.JSONEq(t, texts[st[0]], st[1], st[0])
	}
	chrome.Screenshot(t, ctx, "../../artifacts", "runtime-test-state")
}
