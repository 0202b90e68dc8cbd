package jobtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// SimulatedFailure is the fake batch simulation's permanent failure, named
// as the project's handler names its own (Lambda names an error by its Go
// type, which the state machine's Catch matches).
type SimulatedFailure struct{ Msg string }

func (e *SimulatedFailure) Error() string { return e.Msg }

// TransientError is the fake batch simulation's failure on a first
// attempt, which the state machine retries.
type TransientError struct{ Msg string }

func (e *TransientError) Error() string { return e.Msg }

// FakeJobTable is an in-memory job table: the FakeLambdas write it, and
// it answers DynamoDB GetItem as the console reads the table.
type FakeJobTable struct {
	mu    sync.Mutex
	items map[string]map[string]dbtypes.AttributeValue
}

// NewFakeJobTable returns an empty table.
func NewFakeJobTable() *FakeJobTable {
	return &FakeJobTable{items: map[string]map[string]dbtypes.AttributeValue{}}
}

// Put stores item as the record of jobID (its jobId attribute set).
func (f *FakeJobTable) Put(jobID string, item map[string]dbtypes.AttributeValue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	item["jobId"] = &dbtypes.AttributeValueMemberS{Value: jobID}
	f.items[jobID] = item
}

// GetItem answers the record whose jobId the key names.
func (f *FakeJobTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := in.Key["jobId"].(*dbtypes.AttributeValueMemberS).Value
	return &dynamodb.GetItemOutput{Item: f.items[id]}, nil
}

// FakeClock is the clock the FakeLambdas spend their simulated run time on
// (*sfn.FakeClock).
type FakeClock interface {
	Now() time.Time
	Advance(d time.Duration)
}

// FakeLambdas are the project's three functions (tracking,
// batchSimulation, statusUpdate) faked for the in-process engine: they
// answer as the real handlers do, write Jobs, and take simulated time on
// Clock, so tests of the console and the browser tests run the project's
// state machine without AWS or real handlers.
type FakeLambdas struct {
	Clock FakeClock
	Jobs  *FakeJobTable
	// Track, Simulate and Update are each task's simulated run time.
	Track, Simulate, Update time.Duration
	// Hold, when set, is called by tracking for a job started with
	// "hold": true; the task goes on when it returns.
	Hold func()
	// CreatedAt, when set, dates the tracking answer; else Clock.Now.
	CreatedAt func() time.Time
}

// Register registers the three functions under the names the state
// machine's definition uses.
func (f *FakeLambdas) Register(reg *localsfn.Registry) {
	reg.RegisterFunction("tracking", localsfn.LambdaFunc(f.tracking))
	reg.RegisterFunction("batchSimulation", localsfn.LambdaFunc(f.batchSimulation))
	reg.RegisterFunction("statusUpdate", localsfn.LambdaFunc(f.statusUpdate))
}

func s(v string) dbtypes.AttributeValue { return &dbtypes.AttributeValueMemberS{Value: v} }

type trackingInput struct {
	JobID   string `json:"jobId"`
	Request struct {
		Hold bool `json:"hold"`
	} `json:"request"`
}

func (f *FakeLambdas) tracking(_ context.Context, in trackingInput) (map[string]any, error) {
	if in.Request.Hold && f.Hold != nil {
		f.Hold()
	}
	f.Clock.Advance(f.Track)
	f.Jobs.Put(in.JobID, map[string]dbtypes.AttributeValue{"status": s("RUNNING")})
	created := f.Clock.Now()
	if f.CreatedAt != nil {
		created = f.CreatedAt()
	}
	return map[string]any{"jobId": in.JobID, "status": "RUNNING", "createdAt": created.Format(time.RFC3339)}, nil
}

type simulationInput struct {
	JobID   string `json:"jobId"`
	Attempt int    `json:"attempt"`
	Request struct {
		Records         int    `json:"records"`
		SimulateFailure string `json:"simulateFailure"`
	} `json:"request"`
}

func (f *FakeLambdas) batchSimulation(_ context.Context, in simulationInput) (map[string]any, error) {
	f.Clock.Advance(f.Simulate)
	switch {
	case in.Request.SimulateFailure == "permanent":
		return nil, &SimulatedFailure{Msg: "simulated permanent failure"}
	case in.Request.SimulateFailure == "transient" && in.Attempt < 1:
		return nil, &TransientError{Msg: fmt.Sprintf("simulated transient failure (attempt %d)", in.Attempt)}
	}
	return map[string]any{"bucket": "stepjobs-dev-results", "key": "results/" + in.JobID + ".json",
		"records": in.Request.Records, "bytes": 97 * in.Request.Records}, nil
}

type statusInput struct {
	JobID  string          `json:"jobId"`
	Status string          `json:"status"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

func (f *FakeLambdas) statusUpdate(_ context.Context, in statusInput) (map[string]any, error) {
	f.Clock.Advance(f.Update)
	item := map[string]dbtypes.AttributeValue{"status": s(in.Status)}
	out := map[string]any{"jobId": in.JobID, "status": in.Status}
	if in.Error != "" {
		item["error"] = s(in.Error)
		item["cause"] = s(in.Cause)
	}
	var res struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
	}
	if len(in.Result) > 0 && json.Unmarshal(in.Result, &res) == nil && res.Key != "" {
		out["result"] = in.Result
		item["result"] = &dbtypes.AttributeValueMemberM{Value: map[string]dbtypes.AttributeValue{
			"bucket": s(res.Bucket), "key": s(res.Key)}}
	}
	f.Jobs.Put(in.JobID, item)
	return out, nil
}
