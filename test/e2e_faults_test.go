package test

// Fault injection end to end: a few hundred jobs through the local API
// under task faults, store faults and a dynalite outage, each with a fixed
// seed. Whatever fails, the invariants hold: every job ends SUCCEEDED or
// FAILED (none stays RUNNING, none is lost), and the job table agrees with
// every execution: same status, and for a failure the same error.
//
// The engine runs on a clock 20 times faster than the wall clock (retry
// backoffs, task timeouts), so the definition's real retry policy runs in
// milliseconds; the SDK's own retries of store errors run on real time.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/offline"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// scaledClock runs factor times faster than the wall clock: Now moves
// factor times as fast from the clock's start, and every timer (retry
// backoffs, task timeouts) is shortened by factor, so a timer fires when
// the clock's own Now has reached its due time, as the engine checks.
type scaledClock struct {
	factor time.Duration
	start  time.Time
}

func newScaledClock(factor time.Duration) scaledClock {
	return scaledClock{factor: factor, start: time.Now()}
}

func (c scaledClock) Now() time.Time { return c.start.Add(time.Since(c.start) * c.factor) }

// real is d on the wall clock, rounded up so that a timer is never early.
func (c scaledClock) real(d time.Duration) time.Duration { return (d + c.factor - 1) / c.factor }

func (c scaledClock) AfterFunc(d time.Duration, f func()) sfn.Timer {
	return scaledTimer{time.AfterFunc(c.real(d), f), c}
}

// scaledTimer is a timer of scaledClock: a Reset is shortened too (the
// engine reuses one task-timeout timer per state, Reset for each attempt).
type scaledTimer struct {
	*time.Timer
	clock scaledClock
}

func (t scaledTimer) Reset(d time.Duration) bool { return t.Timer.Reset(t.clock.real(d)) }

const faultJobs = 200

func TestE2EFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault runs take seconds")
	}
	tests := []struct {
		name   string
		tasks  string
		stores string
		// outage stops the DynamoDB (an external dynalite on disk) after
		// this many jobs started, for outageFor.
		outage    int
		outageFor time.Duration
		// rescues: some job's RecordSuccess wrote but every answer was lost,
		// and the execution still ended SUCCEEDED (through RecordFailure).
		rescues bool
	}{
		{name: "task errors", tasks: "tracking:error=0.1:Lambda.ServiceException;batchSimulation:error=0.3:TransientError,latency=2ms;" +
			"statusUpdate:error=0.15:Lambda.TooManyRequestsException"},
		{name: "task timeouts", tasks: "tracking:timeout=0.05;statusUpdate:timeout=0.1"},
		// The handler runs and writes, then its answer is lost (States.Timeout).
		{name: "answers lost", tasks: "tracking:lost=0.05;statusUpdate:lost=0.3", rescues: true},
		{name: "store errors", stores: "s3:error=0.2;dynamodb:error=0.1:reset"},
		{name: "dynalite outage", tasks: "batchSimulation:latency=20ms", outage: 50, outageFor: 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Clock = newScaledClock(20)
			var err error
			cfg.Faults.Tasks, err = faults.ParseTaskFaults(tc.tasks)
			require.NoError(t, err)
			cfg.Faults.Stores, err = faults.ParseStoreFaults(tc.stores)
			require.NoError(t, err)
			cfg.Faults.Seed = 20261123
			var ddb *outageDynamoDB
			if tc.outage > 0 {
				ddb = startOutageDynamoDB(t)
				cfg.DynamoDBEndpoint = ddb.endpoint
			}
			rt := own(t, cfg)

			arns := make([]string, faultJobs)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for i := range faultJobs {
				switch {
				case ddb == nil:
				case i == tc.outage:
					// Jobs in flight, and the next ones, meet a DynamoDB that is down.
					ddb.stop(t)
				case i == 2*tc.outage:
					// The rest start once it is back.
					wg.Wait()
					time.Sleep(tc.outageFor) // a real outage, not a timing assertion
					ddb.restart(t)
				}
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					arns[i] = startJob(t, rt, fmt.Sprintf("fault-%03d", i), fmt.Sprintf(`{"records": 5, "seed": %d}`, i))
				})
			}
			wg.Wait()
			counts := checkJobInvariants(t, rt, arns)
			t.Logf("%s: %v", tc.name, counts)
			assert.Equal(t, faultJobs, counts[sfn.StatusSucceeded]+counts[sfn.StatusFailed], "every job ended SUCCEEDED or FAILED")
			assert.Positive(t, counts[sfn.StatusSucceeded], "retries let most jobs through")
			if tc.rescues {
				assert.Positive(t, counts[rescued], "a success whose every answer was lost still ends SUCCEEDED")
			}
		})
	}
}

// statusUpdateCalls counts the status-update invocations per job.
type statusUpdateCalls struct {
	mu    sync.Mutex
	calls map[string][]job.Status
}

// functions returns the runtime's functions with status-update counted.
func (c *statusUpdateCalls) functions() map[string]offline.FunctionFactory {
	return withStatusUpdate(func(inv sfn.Invoker) sfn.Invoker {
		return sfn.InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			var in job.StatusInput
			_ = json.Unmarshal(payload, &in)
			c.mu.Lock()
			c.calls[in.JobID] = append(c.calls[in.JobID], in.Status)
			c.mu.Unlock()
			return inv.Invoke(ctx, payload)
		})
	})
}

// withStatusUpdate returns the runtime's functions with status-update's
// invoker (the state machine's and the status change rule's) wrapped.
func withStatusUpdate(wrap func(sfn.Invoker) sfn.Invoker) map[string]offline.FunctionFactory {
	fns := maps.Clone(offline.Functions)
	base := fns["status-update"]
	fns["status-update"] = func(d offline.FunctionDeps) (sfn.Invoker, error) {
		inv, err := base(d)
		if err != nil {
			return nil, err
		}
		return wrap(inv), nil
	}
	return fns
}

func (c *statusUpdateCalls) of(jobID string) []job.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls[jobID])
}

// TestE2EStatusChangeDeliveredOnce: with nothing failing, the status change
// rule calls status-update exactly once per execution that does not
// succeed, and nothing else calls it again (no scan, no redrive, not at
// shutdown): a SUCCEEDED job is recorded by RecordSuccess alone, a FAILED
// one by RecordFailure and once by the rule, an ABORTED one by the rule
// alone. (TIMED_OUT takes the machine's 15 minutes; TestProjectRuleDeliversOnce
// in internal/offline counts it at the rule.)
func TestE2EStatusChangeDeliveredOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a job to be stopped")
	}
	counted := &statusUpdateCalls{calls: map[string][]job.Status{}}
	cfg := testConfig()
	cfg.Functions = counted.functions()
	var err error
	// Long enough to stop a job while it simulates.
	cfg.Faults.Tasks, err = faults.ParseTaskFaults("batchSimulation:latency=1500ms")
	require.NoError(t, err)
	rt := own(t, cfg)

	tests := []struct {
		key, body string
		stop      bool
		want      []job.Status
	}{
		{key: "once-succeeded", body: `{"records": 3}`, want: []job.Status{job.StatusSucceeded}},
		{key: "once-failed", body: `{"records": 3, "simulateFailure": "permanent"}`, want: []job.Status{job.StatusFailed, job.StatusFailed}},
		{key: "once-aborted", body: `{"records": 3}`, stop: true, want: []job.Status{job.StatusAborted}},
	}
	arns := make([]string, len(tests))
	for i, tc := range tests {
		arns[i] = startJob(t, rt, tc.key, tc.body)
		require.NotEmpty(t, arns[i])
		if tc.stop {
			resp := rt.post(t, "/stop-execution", []byte(`{"executionArn": "`+arns[i]+`"}`))
			require.Equal(t, http.StatusOK, resp.Status, resp.String())
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	names := make([]string, len(tests))
	for i, arn := range arns {
		info, err := rt.srv.Engine().Wait(ctx, arn)
		require.NoError(t, err)
		names[i] = info.Name
	}
	require.NoError(t, rt.srv.WaitDelivered(ctx))
	time.Sleep(time.Second) // several redrive periods: a second delivery would show
	rt.close()              // and none at shutdown
	for i, tc := range tests {
		assert.Equal(t, tc.want, counted.of(names[i]), "%s: status-update calls", tc.key)
	}
	assert.Zero(t, rt.srv.DeadLetters())
}

// checkJobInvariants waits for every execution to end and for the local
// EventBridge's deliveries (Lambda's retries, then the dead-letter queue's
// redrives), then checks each job record against its execution. It returns
// the count of executions per status (and of the rescued).
func checkJobInvariants(t *testing.T, rt *localRuntime, arns []string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a guard against a hang
	defer cancel()
	eng := rt.srv.Engine()
	infos := make([]sfn.ExecutionInfo, len(arns))
	for i, arn := range arns {
		require.NotEmpty(t, arn, "job %d was started", i)
		info, err := eng.Wait(ctx, arn)
		require.NoError(t, err, "job %d is not RUNNING forever", i)
		infos[i] = info
	}
	// The state machine records a job's end itself unless even its
	// RecordSuccess/RecordFailure failed for good; then only the status
	// change rule (FAILED) makes the record agree. Say how often that was
	// needed.
	unrecorded := 0
	counts := map[string]int{}
	for _, info := range infos {
		hist, err := eng.History(ctx, info.ExecutionARN)
		require.NoError(t, err)
		if !recordedByStateMachine(hist) {
			unrecorded++
		}
		if slices.Contains(statesEntered(hist), "AlreadySucceeded") {
			counts[rescued]++
		}
	}
	require.NoError(t, rt.srv.WaitDelivered(ctx))
	t.Logf("jobs whose end only the status change rule recorded: %d", unrecorded)
	assert.Zero(t, rt.srv.DeadLetters(), "status changes refused for good (left in the dead-letter queue)")

	for _, info := range infos {
		counts[info.Status]++
		if info.Error != nil {
			counts[info.Status+" "+*info.Error]++
		}
		rec, err := rt.jobs.Get(ctx, info.Name)
		if !assert.NoError(t, err, "job %s has a record", info.Name) {
			continue
		}
		assert.Equal(t, info.Status, string(rec.Status), "job %s: the record agrees with the execution", info.Name)
		assert.Equal(t, info.ExecutionARN, rec.ExecutionARN)
		switch info.Status {
		case sfn.StatusSucceeded:
			require.NotNil(t, info.Output)
			var out job.StatusOutput
			require.NoError(t, json.Unmarshal([]byte(*info.Output), &out))
			assert.Equal(t, out.Result, rec.Result, "job %s: the record's result is the output's", info.Name)
		case sfn.StatusFailed:
			assert.Equal(t, deref(info.Error), rec.Error, "job %s: the record's error is the execution's", info.Name)
		}
	}
	return counts
}

// rescued counts the jobs that ended SUCCEEDED through RecordFailure: the
// record was SUCCEEDED, RecordSuccess's answer lost.
const rescued = "SUCCEEDED after RecordSuccess's answer was lost"

// recordedByStateMachine reports whether RecordSuccess or RecordFailure
// ran to success in a history.
func recordedByStateMachine(hist []sfn.Event) bool {
	state := ""
	for _, ev := range hist {
		if d := ev.StateEnteredEventDetails; d != nil {
			state = d.Name
		}
		if ev.Type == "LambdaFunctionSucceeded" && (state == "RecordSuccess" || state == "RecordFailure") {
			return true
		}
	}
	return false
}

// startJob starts a job from any goroutine; "" when it could not.
func startJob(t *testing.T, rt *localRuntime, key, body string) string {
	resp, err := rt.tryPost(context.Background(), "/start-execution", []byte(body), "Idempotency-Key", key)
	if !assert.NoError(t, err) || !assert.Equal(t, http.StatusAccepted, resp.Status, resp.String()) {
		return ""
	}
	arn, _ := resp.Body["executionArn"].(string)
	return arn
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// outageDynamoDB is a dynalite on disk that a test stops and restarts on
// the same port and data.
type outageDynamoDB struct {
	dir, endpoint string
	root          string
	log           syncBuffer // dynalite's output, for failure messages
	port          int
	mu            sync.Mutex
	srv           *dynalite.Server
}

func startOutageDynamoDB(t *testing.T) *outageDynamoDB {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	d := &outageDynamoDB{dir: filepath.Join(t.TempDir(), "dynamodb"), root: root}
	require.NoError(t, os.MkdirAll(d.dir, 0o755))
	srv, err := dynalite.Start(t.Context(), dynalite.Options{Root: root, Path: d.dir, Log: &d.log})
	require.NoError(t, err)
	d.srv, d.endpoint = srv, srv.Endpoint()
	u, err := url.Parse(d.endpoint)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	d.port, err = strconv.Atoi(port)
	require.NoError(t, err)
	t.Cleanup(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if t.Failed() {
			// A runtime that cannot reach it says only "connection refused".
			t.Logf("dynalite's output:\n%s", d.log.String())
		}
		if d.srv != nil {
			_ = d.srv.Stop()
		}
	})
	return d
}

func (d *outageDynamoDB) stop(t *testing.T) {
	d.mu.Lock()
	defer d.mu.Unlock()
	require.NoError(t, d.srv.Stop())
}

func (d *outageDynamoDB) restart(t *testing.T) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	for range 50 { // the port may take a moment to be free again
		if d.srv, err = dynalite.Start(context.Background(), dynalite.Options{Root: d.root, Path: d.dir, Port: d.port, Log: &d.log}); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.srv = nil
	assert.NoError(t, err, "restart dynalite")
}
