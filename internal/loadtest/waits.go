package loadtest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// WaitMachine is the state machine of a wait run: one Wait state of
// $.seconds, then Succeed.
//
//go:embed testdata/wait-machine.asl.json
var WaitMachine string

// SFNAPI is the part of the Step Functions client a wait run uses.
type SFNAPI interface {
	CreateStateMachine(ctx context.Context, in *sfn.CreateStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.CreateStateMachineOutput, error)
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
}

var _ SFNAPI = (*sfn.Client)(nil)

// WaitOptions configure a wait run.
type WaitOptions struct {
	SFN SFNAPI
	// Executions to start, Concurrency of the start requests (default 64).
	Executions, Concurrency int
	// Wait is how long each execution waits (default 1h).
	Wait time.Duration
	// Name is the state machine's name (default stepjobs-load-wait-<unix>).
	Name string
	// PID is the runtime's process, whose memory is measured; 0: none.
	PID int
}

// WaitReport is the outcome of a wait run.
type WaitReport struct {
	Executions int
	Elapsed    time.Duration // to start them all
	StartRate  float64
	Start      Latency
	// Running is how many the runtime lists as RUNNING afterwards.
	Running int
	// Before and After are the runtime's memory before the first start and
	// once all are waiting (after a GC when the runtime is this process).
	Before, After Memory
}

// RunWaits creates the wait machine and starts o.Executions executions that
// wait, then counts the running ones and measures the runtime's memory.
func RunWaits(ctx context.Context, o WaitOptions) (WaitReport, error) {
	if o.Executions <= 0 {
		return WaitReport{}, errors.New("loadtest: executions must be positive")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Wait <= 0 {
		o.Wait = time.Hour
	}
	if o.Name == "" {
		o.Name = "stepjobs-load-wait-" + strconv.FormatInt(time.Now().Unix(), 10)
	}
	sm, err := o.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(o.Name),
		Definition: aws.String(WaitMachine), RoleArn: aws.String("arn:aws:iam::000000000000:role/stepjobs-load")})
	if err != nil {
		return WaitReport{}, fmt.Errorf("create the wait machine: %w", err)
	}
	r := WaitReport{Executions: o.Executions}
	if o.PID > 0 {
		if r.Before, err = measure(o.PID); err != nil {
			return r, err
		}
	}
	input := fmt.Sprintf(`{"seconds": %d}`, int(o.Wait.Seconds()))
	var lat latencies
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				if n.Add(1) > int64(o.Executions) {
					return
				}
				t0 := time.Now()
				_, err := o.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(input)})
				lat.add(time.Since(t0))
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("start a waiting execution: %w", err); cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return r, firstErr
	}
	r.Elapsed = time.Since(began)
	r.StartRate = float64(o.Executions) / r.Elapsed.Seconds()
	r.Start = lat.summary()
	p := sfn.NewListExecutionsPaginator(o.SFN, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn,
		StatusFilter: types.ExecutionStatusRunning, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r, fmt.Errorf("list the waiting executions: %w", err)
		}
		r.Running += len(page.Executions)
	}
	if o.PID > 0 {
		if r.After, err = measure(o.PID); err != nil {
			return r, err
		}
	}
	return r, nil
}

// measure reads pid's memory; for this very process it collects garbage
// first, so the figure is what the executions hold, not what was allocated
// on the way.
func measure(pid int) (Memory, error) {
	if pid == selfPID {
		runtime.GC()
	}
	return ReadMemory(pid)
}
