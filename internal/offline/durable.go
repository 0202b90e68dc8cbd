package offline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/cpushare"
	"github.com/asyncjobs/stepjobs/internal/faults"
	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// EngineFile is the Step Functions engine's data file under DataDir.
const EngineFile = "stepfunctions.bolt"

// applyStoreFaults gives the functions' store clients an HTTP client with
// the configured store faults (after the table and bucket exist: start-up
// itself is not faulted).
func (s *Server) applyStoreFaults() {
	f := s.cfg.Faults
	if len(f.Stores) == 0 {
		return
	}
	// An injected latency is a wait, as the store's answer is: the CPU
	// share goes back around the faults too.
	client := func(store string) *http.Client {
		return &http.Client{Transport: cpushare.Transport(faults.HTTPClient(store, f, storePool()).Transport)}
	}
	if _, ok := f.Stores[faults.StoreDynamoDB]; ok && s.dynamo != nil {
		s.dynamo = dynamodb.New(s.dynamo.Options(), func(o *dynamodb.Options) { o.HTTPClient = client(faults.StoreDynamoDB) })
	}
	if _, ok := f.Stores[faults.StoreS3]; ok && s.s3 != nil {
		s.s3 = s3.New(s.s3.Options(), func(o *s3.Options) { o.HTTPClient = client(faults.StoreS3) })
	}
	s.log.Warn("fault injection on", "faults", f.String(), "seed", f.Seed)
}

// checkFaults refuses task faults for functions serverless.yml does not
// declare and for integrations the runtime does not serve (a typo would
// silently inject nothing).
func (s *Server) checkFaults() error {
	var integrations []string
	if len(s.cfg.Faults.Tasks) > 0 {
		integrations = integration.Targets()
	}
	for key := range s.cfg.Faults.Tasks {
		found := slices.Contains(integrations, key)
		for _, fn := range s.svc.Functions {
			found = found || fn.Key == key
		}
		if !found {
			return fmt.Errorf("offline: fault for %q: serverless.yml has no such function, and no service integration is named so (e.g. dynamodb.putItem)", key)
		}
	}
	return nil
}

// function wraps a function's invoker with its task faults (the state
// machine's calls only: the EventBridge rules invoke without them, as
// EventBridge is not the state machine).
//
// Service integrations take faults the same way, by their target name
// (integration.Targets).
func (s *Server) function(key string, inv sfn.Invoker) sfn.Invoker {
	f, ok := s.cfg.Faults.Tasks[key]
	if !ok {
		return inv
	}
	return faults.NewInvoker(key, inv, f, s.cfg.Faults.Seed)
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

// resume subscribes the EventBridge rules (serverless.yml's eventBridge
// events), delivers what a data directory's ledger says a stop or crash cut
// short, then goes on with the executions the data file kept running.
func (s *Server) resume(ctx context.Context) error {
	r := s.eventRules
	s.unsubscribeRules = s.engine.Subscribe(r.Observe)
	if s.cfg.DataDir != "" {
		machines := make([]string, 0, len(s.res.StateMachines))
		for _, arn := range s.res.StateMachines {
			machines = append(machines, arn)
		}
		n, err := r.Redeliver(ctx, s.cfg.DataDir, s.engine, machines)
		if err != nil {
			return fmt.Errorf("offline: %w", err)
		}
		if n > 0 {
			s.log.Info("delivering the status changes a stop cut short", "count", n)
		}
	}
	if n := s.engine.Resume(); n > 0 {
		s.log.Info("resumed running executions", "count", n)
	}
	return nil
}

// closeEngine lets the EventBridge deliveries and redrives finish within
// ctx, then closes the engine's data file.
func (s *Server) closeEngine(ctx context.Context) error {
	if s.unsubscribeRules != nil {
		s.unsubscribeRules()
	}
	if r := s.eventRules; r != nil {
		r.Stop(ctx)
	}
	if s.engine == nil {
		return nil
	}
	if err := s.engine.Close(); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	return nil
}

// WaitDelivered blocks until every status change an EventBridge rule
// matched has been delivered to its function (after Lambda's retries, or
// redriven from the dead-letter queue), or parked there for good (see
// DeadLetters), or until ctx ends.
func (s *Server) WaitDelivered(ctx context.Context) error {
	r := s.eventRules
	if r == nil {
		return errors.New("offline: not started")
	}
	return r.Wait(ctx)
}

// DeadLetters is how many deliveries sit in the dead-letter queue for good:
// their function refused them in a way no redrive changes (status-update:
// the record holds another final status, or belongs to another execution).
func (s *Server) DeadLetters() int {
	r := s.eventRules
	if r == nil {
		return 0
	}
	return r.Parked()
}
