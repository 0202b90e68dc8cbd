package console

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/require"

	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// The fake handlers fail with errors named like the project's (Lambda names
// an error by its Go type name).
type SimulatedFailure struct{ msg string }

func (e *SimulatedFailure) Error() string { return e.msg }

type TransientError struct{ msg string }

func (e *TransientError) Error() string { return e.msg }

// fakeJobs is an in-memory job table answering GetItem.
type fakeJobs struct {
	mu    sync.Mutex
	items map[string]map[string]dbtypes.AttributeValue
}

func (f *fakeJobs) put(jobID, status string, extra map[string]dbtypes.AttributeValue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	item := map[string]dbtypes.AttributeValue{
		"jobId":  &dbtypes.AttributeValueMemberS{Value: jobID},
		"status": &dbtypes.AttributeValueMemberS{Value: status},
	}
	for k, v := range extra {
		item[k] = v
	}
	f.items[jobID] = item
}

func (f *fakeJobs) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := in.Key["jobId"].(*dbtypes.AttributeValueMemberS).Value
	return &dynamodb.GetItemOutput{Item: f.items[id]}, nil
}

// localEngine is the local Step Functions engine with the project's
// definition, fake handlers, and its JSON 1.0 API on httptest.
type localEngine struct {
	eng    *localsfn.Engine
	clock  *localsfn.FakeClock
	client *sfn.Client
	smARN  string
	jobs   *fakeJobs
	// hold, when set, makes Track wait for it on inputs with "hold": true;
	// holding is signalled when it starts waiting.
	hold    chan struct{}
	holding chan struct{}
}

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newLocalEngine(t *testing.T) *localEngine {
	t.Helper()
	return newLocalEngineWith(t, "../../statemachine/jobs.asl.json")
}

// newLocalEngineWith is newLocalEngine with the definition at defPath.
func newLocalEngineWith(t *testing.T, defPath string) *localEngine {
	t.Helper()
	def, err := os.ReadFile(defPath)
	require.NoError(t, err)
	le := &localEngine{clock: localsfn.NewFakeClock(epoch), jobs: &fakeJobs{items: map[string]map[string]dbtypes.AttributeValue{}}}
	work := func(ms int) { le.clock.Advance(time.Duration(ms) * time.Millisecond) } // simulated run time
	reg := localsfn.NewRegistry()
	le.holding = make(chan struct{}, 1)
	reg.RegisterFunction("tracking", localsfn.LambdaFunc(func(_ context.Context, in struct {
		JobID   string `json:"jobId"`
		Request struct {
			Hold bool `json:"hold"`
		} `json:"request"`
	}) (map[string]any, error) {
		if in.Request.Hold && le.hold != nil {
			le.holding <- struct{}{}
			<-le.hold
		}
		work(35)
		le.jobs.put(in.JobID, "RUNNING", nil)
		return map[string]any{"jobId": in.JobID, "status": "RUNNING", "createdAt": epoch.Format(time.RFC3339)}, nil
	}))
	reg.RegisterFunction("batchSimulation", localsfn.LambdaFunc(func(_ context.Context, in struct {
		JobID   string `json:"jobId"`
		Attempt int    `json:"attempt"`
		Request struct {
			Records         int    `json:"records"`
			SimulateFailure string `json:"simulateFailure"`
		} `json:"request"`
	}) (map[string]any, error) {
		work(120)
		switch {
		case in.Request.SimulateFailure == "permanent":
			return nil, &SimulatedFailure{msg: "simulated permanent failure"}
		case in.Request.SimulateFailure == "transient" && in.Attempt < 1:
			return nil, &TransientError{msg: fmt.Sprintf("simulated transient failure (attempt %d)", in.Attempt)}
		}
		return map[string]any{"bucket": "stepjobs-dev-results", "key": "results/" + in.JobID + ".json", "records": in.Request.Records, "bytes": 97 * in.Request.Records}, nil
	}))
	reg.RegisterFunction("statusUpdate", localsfn.LambdaFunc(func(_ context.Context, in struct {
		JobID  string          `json:"jobId"`
		Status string          `json:"status"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}) (map[string]any, error) {
		work(25)
		extra := map[string]dbtypes.AttributeValue{}
		if in.Error != "" {
			extra["error"] = &dbtypes.AttributeValueMemberS{Value: in.Error}
		}
		out := map[string]any{"jobId": in.JobID, "status": in.Status}
		if len(in.Result) > 0 {
			var res map[string]any
			if json.Unmarshal(in.Result, &res) == nil {
				out["result"] = res
				extra["result"] = &dbtypes.AttributeValueMemberM{Value: map[string]dbtypes.AttributeValue{
					"bucket": &dbtypes.AttributeValueMemberS{Value: fmt.Sprint(res["bucket"])},
					"key":    &dbtypes.AttributeValueMemberS{Value: fmt.Sprint(res["key"])},
				}}
			}
		}
		le.jobs.put(in.JobID, in.Status, extra)
		return out, nil
	}))
	le.eng = localsfn.New(localsfn.Config{Clock: le.clock, Invokers: reg, Rand: rand.NewPCG(1, 2)})
	sm, err := le.eng.CreateStateMachine(t.Context(), localsfn.CreateStateMachineInput{
		Name: "stepjobs-dev-jobs", Definition: string(def), RoleARN: "arn:aws:iam::123456789012:role/local"})
	require.NoError(t, err)
	le.smARN = sm.ARN
	srv := httptest.NewServer(le.eng.Handler())
	t.Cleanup(srv.Close)
	le.client = sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return le
}

// run starts an execution and waits for it to close, moving the fake clock
// past retry backoffs.
func (le *localEngine) run(t *testing.T, name, input string) string {
	t.Helper()
	ctx := t.Context()
	info, err := le.eng.StartExecution(ctx, le.smARN, name, input)
	require.NoError(t, err)
	for range 10 {
		require.NoError(t, le.eng.WaitIdle(ctx))
		d, err := le.eng.DescribeExecution(ctx, info.ExecutionARN)
		require.NoError(t, err)
		if d.Status != localsfn.StatusRunning {
			return info.ExecutionARN
		}
		le.clock.Advance(2 * time.Second) // past the retry backoff (at most 1 s), before any timeout
	}
	require.FailNow(t, "execution still running", name)
	return ""
}
