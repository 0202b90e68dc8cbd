package offline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// EngineFile is the Step Functions engine's data file under DataDir.
const EngineFile = "stepfunctions.bolt"

// resilience holds what durability, fault injection and reconciliation add
// to a Server.
type resilience struct {
	reconciler *reconciler
	unsub      func()
}

// applyStoreFaults gives the functions' store clients an HTTP client with
// the configured store faults (after the table and bucket exist: start-up
// itself is not faulted).
func (s *Server) applyStoreFaults() {
	f := s.cfg.Faults
	if len(f.Stores) == 0 {
		return
	}
	if _, ok := f.Stores[StoreDynamoDB]; ok && s.dynamo != nil {
		s.dynamo = dynamodb.New(s.dynamo.Options(), func(o *dynamodb.Options) { o.HTTPClient = storeHTTPClient(StoreDynamoDB, f) })
	}
	if _, ok := f.Stores[StoreS3]; ok && s.s3 != nil {
		s.s3 = s3.New(s.s3.Options(), func(o *s3.Options) { o.HTTPClient = storeHTTPClient(StoreS3, f) })
	}
	s.log.Warn("fault injection on", "faults", f.String(), "seed", f.Seed)
}

// checkFaults refuses task faults for functions serverless.yml does not
// declare (a typo would silently inject nothing).
func (s *Server) checkFaults() error {
	for key := range s.cfg.Faults.Tasks {
		found := false
		for _, fn := range s.svc.Functions {
			found = found || fn.Key == key
		}
		if !found {
			return fmt.Errorf("offline: fault for function %q: serverless.yml has no such function", key)
		}
	}
	return nil
}

// function wraps a function's invoker with its task faults and keeps the
// status-update handler for the reconciler.
func (s *Server) function(key, dir string, inv sfn.Invoker) sfn.Invoker {
	if dir == "status-update" && s.resil.reconciler == nil {
		s.resil.reconciler = newReconciler(inv, s.log.With("part", "reconciler"))
	}
	f, ok := s.cfg.Faults.Tasks[key]
	if !ok {
		return inv
	}
	return newFaultyInvoker(key, inv, f, s.cfg.Faults.Seed)
}

// newEngine opens the engine: on DataDir/stepfunctions.bolt when DataDir is
// set (durable), else in memory.
func (s *Server) newEngine(cfg sfn.Config) (*sfn.Engine, error) {
	if s.cfg.DataDir == "" {
		return sfn.New(cfg), nil
	}
	if err := os.MkdirAll(s.cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("offline: data directory: %w", err)
	}
	cfg.DataFile = filepath.Join(s.cfg.DataDir, EngineFile)
	e, err := sfn.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("offline: %w", err)
	}
	return e, nil
}

// createStateMachine creates a machine, or updates the one a data file
// kept when serverless.yml changed since (running executions keep their
// version).
func (s *Server) createStateMachine(ctx context.Context, in sfn.CreateStateMachineInput, arn string) (sfn.StateMachineInfo, error) {
	info, err := s.engine.CreateStateMachine(ctx, in)
	if sfn.ErrorCode(err) != "StateMachineAlreadyExists" {
		return info, err
	}
	if _, err := s.engine.UpdateStateMachine(ctx, arn, in.Definition, in.RoleARN); err != nil {
		return sfn.StateMachineInfo{}, err
	}
	return s.engine.DescribeStateMachine(ctx, arn)
}

// resume subscribes the reconciler, goes on with the executions a data
// file kept running, and queues the reconciliation of the ended ones (it
// is idempotent; what a crash cut short gets done).
func (s *Server) resume(ctx context.Context) {
	if r := s.resil.reconciler; r != nil {
		s.resil.unsub = s.engine.Subscribe(r.observe)
		if s.cfg.DataDir != "" {
			for _, arn := range s.res.StateMachines {
				execs, err := s.engine.ListExecutions(ctx, arn, "")
				if err != nil {
					continue
				}
				for _, ex := range execs {
					if needsReconcile(ex.Status) {
						r.add(sfn.StatusChange{ExecutionARN: ex.ExecutionARN, StateMachineARN: ex.StateMachineARN, Name: ex.Name,
							Status: ex.Status, Error: ex.Error, Cause: ex.Cause, Time: ex.StopDate})
					}
				}
			}
		}
	}
	if n := s.engine.Resume(); n > 0 {
		s.log.Info("resumed running executions", "count", n)
	}
}

// closeEngine stops the reconciler (letting it finish within ctx) and
// closes the engine's data file.
func (s *Server) closeEngine(ctx context.Context) error {
	if s.resil.unsub != nil {
		s.resil.unsub()
	}
	if r := s.resil.reconciler; r != nil {
		r.stop(ctx)
	}
	if s.engine == nil {
		return nil
	}
	if err := s.engine.Close(); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	return nil
}

// WaitReconciled blocks until every execution that ended FAILED, TIMED_OUT
// or ABORTED has been recorded in the job table (see reconciler), or ctx
// ends.
func (s *Server) WaitReconciled(ctx context.Context) error {
	r := s.resil.reconciler
	if r == nil {
		return errors.New("offline: no status-update function: nothing reconciles")
	}
	return r.wait(ctx)
}

// ReconcileFailures is how many executions' records the reconciler could
// not make agree (a conflicting terminal status was already recorded).
func (s *Server) ReconcileFailures() int {
	r := s.resil.reconciler
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
