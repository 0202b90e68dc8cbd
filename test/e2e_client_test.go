package test

// The public client package and the stepjobs CLI end to end, against a local
// runtime of their own: its batch-simulation function holds jobs asked for
// holdRecords records until they are stopped (or the test ends), so cancel
// and timeout paths have a job that is RUNNING for as long as they need,
// without timing.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/cli"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// holdRecords marks a job whose Simulate task waits until it is stopped.
const holdRecords = 77777

// holder tells which jobs are held in Simulate, and releases them all when
// the test ends.
type holder struct {
	mu      sync.Mutex
	held    map[string]chan struct{} // closed once the job is held
	release chan struct{}
}

func (h *holder) heldCh(jobID string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.held[jobID]
	if !ok {
		ch = make(chan struct{})
		h.held[jobID] = ch
	}
	return ch
}

// markHeld records that jobID is held (once, should its task be retried).
func (h *holder) markHeld(jobID string) {
	ch := h.heldCh(jobID)
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// waitHeld blocks until jobID's Simulate task is running (bounded: a guard
// against a hang, not a timing assertion).
func (h *holder) waitHeld(t *testing.T, jobID string) {
	t.Helper()
	select {
	case <-h.heldCh(jobID):
	case <-time.After(30 * time.Second):
		require.FailNow(t, "job never reached Simulate", jobID)
	}
}

// functions are the runtime's functions with batch-simulation holding.
func (h *holder) functions() map[string]offline.FunctionFactory {
	fns := maps.Clone(offline.Functions)
	inner := fns["batch-simulation"]
	fns["batch-simulation"] = func(d offline.FunctionDeps) (sfn.Invoker, error) {
		real, err := inner(d)
		if err != nil {
			return nil, err
		}
		return sfn.InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			var in struct {
				JobID   string `json:"jobId"`
				Request struct {
					Records int `json:"records"`
				} `json:"request"`
			}
			if json.Unmarshal(payload, &in) != nil || in.Request.Records != holdRecords {
				return real.Invoke(ctx, payload)
			}
			h.markHeld(in.JobID)
			select {
			case <-ctx.Done(): // StopExecution cancels a running task
				return nil, ctx.Err()
			case <-h.release:
				return nil, errors.New("released at the end of the test")
			}
		}), nil
	}
	return fns
}

// clientRuntime is the runtime of these tests and what they learned of it.
type clientRuntime struct {
	*localRuntime
	hold  *holder
	token string // the dev token of the default subject
}

func startClientRuntime(t *testing.T) *clientRuntime {
	t.Helper()
	h := &holder{held: map[string]chan struct{}{}, release: make(chan struct{})}
	cfg := testConfig()
	cfg.Functions = h.functions()
	rt := own(t, cfg)
	t.Cleanup(func() { close(h.release) }) // runs before the runtime closes
	crt := &clientRuntime{localRuntime: rt, hold: h}
	crt.token = crt.devToken(t, "")
	return crt
}

// devToken asks the runtime for a dev token for sub (default subject when
// empty); the test fails when it serves none.
func (rt *clientRuntime) devToken(t *testing.T, sub string) string {
	t.Helper()
	u := rt.api + "/__dev/token"
	if sub != "" {
		u += "?sub=" + sub
	}
	res, err := rt.http.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "GET /__dev/token: %s", b)
	token := strings.TrimSpace(string(b))
	require.NotEmpty(t, token, "GET /__dev/token")
	return token
}

// requireAuth fails when the runtime served no dev token: the local runtime
// always runs the authorizer, so a missing token is a broken runtime.
func (rt *clientRuntime) requireAuth(t *testing.T) {
	t.Helper()
	if rt.token == "" {
		t.Fatal("the local runtime served no dev token at /__dev/token: bearer auth is broken")
	}
}

// requireRoute fails when the local API Gateway has no such route (it then
// answers 403 MISSING_AUTHENTICATION_TOKEN, as API Gateway does): every route
// of serverless.yml is served locally, so a missing one is a broken runtime.
func (rt *clientRuntime) requireRoute(t *testing.T, method, path string) {
	t.Helper()
	req, err := http.NewRequest(method, rt.api+path, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rt.token)
	res, err := rt.http.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusForbidden && bytes.Contains(body, []byte("MISSING_AUTHENTICATION_TOKEN")) {
		t.Fatalf("the local runtime does not serve %s %s: %s", method, path, body)
	}
}

// client is an API client with the runtime's token and a quick backoff
// (the local runtime is not throttled).
func (rt *clientRuntime) client(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	base := []client.Option{
		client.WithHTTPClient(rt.http), client.WithToken(rt.token),
		client.WithBackoff(client.Backoff{Initial: 5 * time.Millisecond, Max: 100 * time.Millisecond}),
	}
	c, err := client.New(rt.api, append(base, opts...)...)
	require.NoError(t, err)
	return c
}

// guard bounds a test against a hang; it asserts no timing.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// cliResult is one run of the stepjobs command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cli runs the stepjobs command against the runtime, with its token in
// STEPJOBS_TOKEN and its URL in STEPJOBS_URL.
func (rt *clientRuntime) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	env := map[string]string{"STEPJOBS_URL": rt.api, "STEPJOBS_TOKEN": rt.token}
	var out, errb bytes.Buffer
	m := &cli.Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		ClientOptions: []client.Option{client.WithBackoff(client.Backoff{Initial: 5 * time.Millisecond, Max: 100 * time.Millisecond})}}
	code := m.Run(guard(t), args)
	return cliResult{code, out.String(), errb.String()}
}

func TestE2EClient(t *testing.T) {
	rt := startClientRuntime(t)

	t.Run("start, wait, result, download", func(t *testing.T) {
		ctx := guard(t)
		c := rt.client(t)
		job, err := c.Start(ctx, map[string]any{"records": 25, "seed": 7}, client.WithIdempotencyKey(uniqueKey("client-ok")))
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(job.ExecutionARN, ":"+job.JobID), job.ExecutionARN)
		assert.False(t, job.StartDate.IsZero())

		var seen []client.JobStatus
		st, err := c.Wait(ctx, job.ExecutionARN, client.OnStatus(func(s *client.Status) { seen = append(seen, s.Status) }))
		require.NoError(t, err)
		assert.Equal(t, client.StatusSucceeded, st.Status)
		assert.Equal(t, client.StatusSucceeded, seen[len(seen)-1])
		assert.JSONEq(t, `{"records":25,"seed":7}`, string(st.Input))
		var out struct {
			Result struct {
				Key     string `json:"key"`
				Records int    `json:"records"`
			} `json:"result"`
		}
		require.NoError(t, json.Unmarshal(st.Output, &out))
		assert.Equal(t, "results/"+job.JobID+".json", out.Result.Key)
		assert.Equal(t, 25, out.Result.Records)
		assert.False(t, st.StopDate.Before(st.StartDate))

		rt.requireRoute(t, http.MethodGet, "/jobs/"+job.JobID+"/result")
		link, err := c.Result(ctx, job.JobID)
		require.NoError(t, err)
		assert.Equal(t, job.JobID, link.JobID)
		assert.True(t, link.ExpiresAt.After(st.StopDate))
		var buf bytes.Buffer
		n, err := c.Download(ctx, link, &buf)
		require.NoError(t, err)
		assert.Equal(t, int64(buf.Len()), n)
		var data struct {
			JobID        string            `json:"jobId"`
			Records      int               `json:"records"`
			Observations []json.RawMessage `json:"observations"`
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &data))
		assert.Equal(t, job.JobID, data.JobID)
		assert.Len(t, data.Observations, 25)
	})

	t.Run("failed job", func(t *testing.T) {
		ctx := guard(t)
		c := rt.client(t)
		job, err := c.Start(ctx, map[string]any{"records": 5, "simulateFailure": "permanent"})
		require.NoError(t, err)
		st, err := c.Wait(ctx, job.ExecutionARN)
		var failed *client.JobFailedError
		require.ErrorAs(t, err, &failed)
		assert.Equal(t, "SimulatedFailure", failed.ErrorName)
		assert.Contains(t, failed.Cause, "errorMessage")
		assert.Equal(t, job.JobID, failed.JobID)
		assert.Equal(t, client.StatusFailed, st.Status)

		rt.requireRoute(t, http.MethodGet, "/jobs/"+job.JobID+"/result")
		_, err = c.Result(ctx, job.JobID)
		assert.ErrorIs(t, err, client.ErrConflict, "a failed job has no result")
	})

	t.Run("unknown job", func(t *testing.T) {
		ctx := guard(t)
		c := rt.client(t)
		// Learn the runtime's ARN prefix, then ask for a name it never made.
		job, err := c.Start(ctx, map[string]any{"records": 1})
		require.NoError(t, err)
		unknown := strings.TrimSuffix(job.ExecutionARN, job.JobID) + job.JobID[:17] + "never-started"
		_, err = c.Describe(ctx, unknown)
		assert.ErrorIs(t, err, client.ErrNotFound)
		_, err = c.Wait(ctx, unknown)
		assert.ErrorIs(t, err, client.ErrNotFound)
		_, err = c.Wait(ctx, job.ExecutionARN)
		require.NoError(t, err)
	})

	t.Run("Idempotency-Key reuse", func(t *testing.T) {
		ctx := guard(t)
		c := rt.client(t)
		key := uniqueKey("client-key")
		job, err := c.Start(ctx, map[string]any{"records": 2}, client.WithIdempotencyKey(key))
		require.NoError(t, err)
		_, err = c.Start(ctx, map[string]any{"records": 3}, client.WithIdempotencyKey(key))
		assert.ErrorIs(t, err, client.ErrConflict)
		var ae *client.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "ExecutionAlreadyExists", ae.Code)
		_, err = c.Wait(ctx, job.ExecutionARN)
		require.NoError(t, err)
	})

	t.Run("bare job id", func(t *testing.T) {
		rt.requireAuth(t) // the describe template that reads only the name comes with it
		ctx := guard(t)
		job, err := rt.client(t).Start(ctx, map[string]any{"records": 1})
		require.NoError(t, err)
		// A fresh client knows no ARN prefix: it sends a placeholder one.
		st, err := rt.client(t).Wait(ctx, job.JobID)
		require.NoError(t, err)
		assert.Equal(t, job.JobID, st.JobID)
		assert.Equal(t, client.PlaceholderARNPrefix+job.JobID, st.ExecutionARN)
	})

	t.Run("auth errors and ownership", func(t *testing.T) {
		rt.requireAuth(t)
		ctx := guard(t)
		job, err := rt.client(t).Start(ctx, map[string]any{"records": 1})
		require.NoError(t, err)

		_, err = rt.client(t, client.WithToken("")).Describe(ctx, job.ExecutionARN)
		assert.ErrorIs(t, err, client.ErrUnauthorized)
		_, err = rt.client(t, client.WithToken("not-a-jwt")).Describe(ctx, job.ExecutionARN)
		assert.ErrorIs(t, err, client.ErrForbidden)

		other := rt.client(t, client.WithToken(rt.devToken(t, "someone-else")))
		_, err = other.Describe(ctx, job.ExecutionARN)
		assert.ErrorIs(t, err, client.ErrNotFound, "another caller's job is not found")
		_, err = rt.client(t).Wait(ctx, job.ExecutionARN)
		require.NoError(t, err)
	})

	t.Run("stop a running job", func(t *testing.T) {
		rt.requireRoute(t, http.MethodPost, "/stop-execution")
		ctx := guard(t)
		c := rt.client(t)
		job, err := c.Start(ctx, map[string]any{"records": holdRecords})
		require.NoError(t, err)
		rt.hold.waitHeld(t, job.JobID)
		require.NoError(t, c.Stop(ctx, job.ExecutionARN))
		st, err := c.Wait(ctx, job.ExecutionARN)
		assert.ErrorIs(t, err, client.ErrAborted)
		require.NotNil(t, st)
		assert.Equal(t, client.StatusAborted, st.Status)
	})
}

func TestE2ECLI(t *testing.T) {
	rt := startClientRuntime(t)

	t.Run("submit --wait succeeds", func(t *testing.T) {
		r := rt.cli(t, "submit", "--records", "12", "--seed", "3", "--wait")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "status   SUCCEEDED\n")
		assert.Contains(t, r.stdout, `"records":12`)
		// The last progress read while it ran, when a poll saw it RUNNING with some.
		assert.Regexp(t, ` SUCCEEDED( +\d+% \d+/12 records)? \(elapsed `, r.stderr)
		assert.NotContains(t, r.stderr, "\r", "not a terminal: plain lines")
	})

	t.Run("submit --wait fails", func(t *testing.T) {
		r := rt.cli(t, "submit", "--input", `{"simulateFailure":"permanent"}`, "--records", "3", "--wait")
		assert.Equal(t, cli.ExitFailure, r.code)
		assert.Contains(t, r.stderr, " FAILED\n  error: SimulatedFailure\n  cause: {")
		assert.Contains(t, r.stdout, "status   FAILED\n")
	})

	t.Run("submit --json, status, wait --json", func(t *testing.T) {
		r := rt.cli(t, "submit", "--json", "--records", "4", "--key", uniqueKey("cli-json"))
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var job client.Job
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &job), r.stdout)

		r = rt.cli(t, "wait", job.ExecutionARN, "--json")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var st client.Status
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &st), r.stdout)
		assert.Equal(t, client.StatusSucceeded, st.Status)

		r = rt.cli(t, "status", job.ExecutionARN)
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "job      "+job.JobID+"\nstatus   SUCCEEDED\n")
	})

	t.Run("result -o file", func(t *testing.T) {
		r := rt.cli(t, "submit", "--json", "--records", "6", "--wait")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var st client.Status
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &st), r.stdout)
		rt.requireRoute(t, http.MethodGet, "/jobs/"+st.JobID+"/result")

		file := filepath.Join(t.TempDir(), "result.json")
		r = rt.cli(t, "result", st.JobID, "-o", file)
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.True(t, json.Valid(raw), "the file is JSON")
		var data struct {
			JobID   string `json:"jobId"`
			Records int    `json:"records"`
		}
		require.NoError(t, json.Unmarshal(raw, &data))
		assert.Equal(t, st.JobID, data.JobID)
		assert.Equal(t, 6, data.Records)
		assert.Equal(t, "wrote "+strconv.Itoa(len(raw))+" bytes to "+file+"\n", r.stdout)
	})

	t.Run("status of an unknown job", func(t *testing.T) {
		r := rt.cli(t, "submit", "--json", "--records", "1")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var job client.Job
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &job))
		unknown := strings.TrimSuffix(job.ExecutionARN, job.JobID) + job.JobID[:17] + "never-started"
		r = rt.cli(t, "status", unknown)
		assert.Equal(t, cli.ExitNotFound, r.code, r.stderr)
	})

	t.Run("wait --timeout gives up on a running job", func(t *testing.T) {
		r := rt.cli(t, "submit", "--json", "--records", strconv.Itoa(holdRecords))
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var job client.Job
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &job))
		rt.hold.waitHeld(t, job.JobID)
		r = rt.cli(t, "wait", job.ExecutionARN, "--timeout", "200ms")
		assert.Equal(t, cli.ExitIncomplete, r.code, r.stderr)
		assert.Contains(t, r.stderr, "gave up waiting after 200ms: job "+job.JobID+" is still RUNNING")
	})

	t.Run("cancel a running job", func(t *testing.T) {
		rt.requireRoute(t, http.MethodPost, "/stop-execution")
		r := rt.cli(t, "submit", "--json", "--records", strconv.Itoa(holdRecords))
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		var job client.Job
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &job))
		rt.hold.waitHeld(t, job.JobID)

		r = rt.cli(t, "cancel", job.JobID) // a bare id, not the execution ARN
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		assert.Equal(t, "job "+job.JobID+" stopped (a running job ends ABORTED)\n", r.stdout)

		r = rt.cli(t, "wait", job.JobID)
		assert.Equal(t, cli.ExitIncomplete, r.code, r.stderr)
		assert.Contains(t, r.stdout, "status   ABORTED\n")
		assert.Contains(t, r.stderr, "job aborted")
	})

	t.Run("usage error", func(t *testing.T) {
		r := rt.cli(t, "cancel")
		assert.Equal(t, cli.ExitUsage, r.code)
	})
}
