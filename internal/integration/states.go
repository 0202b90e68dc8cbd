package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// startRequest is StartExecution's request as the integration takes it.
type startRequest struct {
	StateMachineArn string          `json:"StateMachineArn"`
	Name            string          `json:"Name"`
	Input           json.RawMessage `json:"Input"`
}

func registerStates(r *registrar, ex Executions) {
	s := states{ex: ex}
	r.add("states", "startExecution", true, func(ctx context.Context, params []byte) ([]byte, error) {
		info, err := s.start(ctx, params)
		if err != nil {
			return nil, statesError(err)
		}
		return startAnswer(info)
	})
	r.register("states", "startExecution", ".sync", syncJob{s: s})
	r.register("states", "startExecution", ".sync:2", syncJob{s: s, asJSON: true})
	r.add("aws-sdk:sfn", "startExecution", true, func(ctx context.Context, params []byte) ([]byte, error) {
		info, err := s.start(ctx, params)
		if err != nil {
			var ae *sfn.APIError
			if errors.As(err, &ae) {
				return nil, sdkError(&apiError{Status: 400, Code: ae.Code, Message: ae.Message, RequestID: sfn.NewUUID()}, "Sfn")
			}
			return nil, sdkError(err, "Sfn")
		}
		return json.Marshal(map[string]any{"ExecutionArn": info.ExecutionARN, "StartDate": millis(info.StartDate.UnixMilli())})
	})
}

// states serves the Step Functions integrations on the engine itself.
type states struct{ ex Executions }

// start starts the execution params ask for; its errors are the engine's.
func (s states) start(ctx context.Context, params []byte) (sfn.ExecutionInfo, error) {
	var in startRequest
	if err := json.Unmarshal(params, &in); err != nil {
		return sfn.ExecutionInfo{}, &sfn.APIError{Code: "InvalidExecutionInput", Message: err.Error()}
	}
	input := textOf(in.Input)
	if input == "" {
		input = "{}"
	}
	return s.ex.StartExecution(ctx, in.StateMachineArn, in.Name, input)
}

// startAnswer is the optimized integration's answer to a start.
func startAnswer(info sfn.ExecutionInfo) ([]byte, error) {
	answer := map[string]any{"ExecutionArn": info.ExecutionARN, "StartDate": millis(info.StartDate.UnixMilli())}
	body, err := json.Marshal(answer)
	if err != nil {
		return nil, fmt.Errorf("states startExecution: %w", err)
	}
	// The engine is in process: the HTTP answer Step Functions would have
	// had is made up from the body, as the API would have sent it.
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{
		"Content-Type":     {"application/x-amz-json-1.0"},
		"Content-Length":   {strconv.Itoa(len(body))},
		"X-Amzn-Requestid": {sfn.NewUUID()},
	}}
	return withMetadata(answer, resp)
}

// syncJob is the run-a-job pattern: .sync (the child's Input and Output
// as strings) or .sync:2 (as JSON).
type syncJob struct {
	s      states
	asJSON bool
}

// Invoke runs the job to its end (the engine calls Submit instead).
func (j syncJob) Invoke(ctx context.Context, params []byte) ([]byte, error) {
	_, wait, err := j.Submit(ctx, params)
	if err != nil {
		return nil, err
	}
	return wait(ctx)
}

// Submit starts the child execution; wait waits for its end and describes
// it, or fails with States.TaskFailed and the description as cause. A task
// that ends first (timeout, stop) stops the child.
func (j syncJob) Submit(ctx context.Context, params []byte) ([]byte, func(context.Context) ([]byte, error), error) {
	info, err := j.s.start(ctx, params)
	if err != nil {
		return nil, nil, statesError(err)
	}
	submitted, err := startAnswer(info)
	if err != nil {
		return nil, nil, err
	}
	wait := func(ctx context.Context) ([]byte, error) {
		done, err := j.s.ex.Wait(ctx, info.ExecutionARN)
		if err != nil {
			if st, ok := j.s.ex.(stopper); ok {
				cause := "The parent task ended."
				_, _ = st.StopExecution(context.WithoutCancel(ctx), info.ExecutionARN, nil, &cause)
			}
			return nil, err
		}
		desc, err := describe(done, j.asJSON)
		if err != nil {
			return nil, err
		}
		if done.Status != sfn.StatusSucceeded {
			return nil, &sfn.TaskError{Name: "States.TaskFailed", Cause: string(desc)}
		}
		return desc, nil
	}
	return submitted, wait, nil
}

// stopper stops an execution (the engine does).
type stopper interface {
	StopExecution(ctx context.Context, executionARN string, errName, cause *string) (time.Time, error)
}

// describe is a child execution as the .sync patterns return it.
func describe(info sfn.ExecutionInfo, asJSON bool) ([]byte, error) {
	value := func(s string) any {
		if asJSON && json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
		return s
	}
	d := map[string]any{
		"ExecutionArn":    info.ExecutionARN,
		"Input":           value(info.Input),
		"InputDetails":    map[string]bool{"Included": true},
		"Name":            info.Name,
		"StartDate":       millis(info.StartDate.UnixMilli()),
		"StateMachineArn": info.StateMachineARN,
		"Status":          info.Status,
		"StopDate":        millis(info.StopDate.UnixMilli()),
	}
	if info.Output != nil {
		d["Output"] = value(*info.Output)
		d["OutputDetails"] = map[string]bool{"Included": true}
	}
	if info.Error != nil {
		d["Error"] = *info.Error
	}
	if info.Cause != nil {
		d["Cause"] = *info.Cause
	}
	return json.Marshal(d)
}

// millis is a date as the integrations return it: epoch milliseconds.
type millis int64

// statesError names an engine error as the optimized integration does:
// StepFunctions.<Code>Exception, with the Java SDK v1's cause text.
func statesError(err error) error {
	code := sfn.ErrorCode(err)
	if code == "" {
		return &sfn.TaskError{Name: "StepFunctions.AWSStepFunctionsException", Cause: err.Error()}
	}
	var ae *sfn.APIError
	errors.As(err, &ae)
	return &sfn.TaskError{Name: "StepFunctions." + withException(code),
		Cause: fmt.Sprintf("%s (Service: AWSStepFunctions; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", ae.Message, code, sfn.NewUUID())}
}

// LateEngine is the Executions of an engine opened after the integrations
// are registered: a durable engine resolves the tasks of the machines it
// loads as it opens, so its registry must hold the integrations by then,
// while the states integration needs the engine itself. Set it once the
// engine is open; a call before that fails.
type LateEngine struct {
	eng atomic.Pointer[sfn.Engine]
}

// Set gives l its engine.
func (l *LateEngine) Set(e *sfn.Engine) { l.eng.Store(e) }

func (l *LateEngine) engine() (*sfn.Engine, error) {
	e := l.eng.Load()
	if e == nil {
		return nil, errors.New("integration: the engine is not open yet")
	}
	return e, nil
}

// StartExecution implements Executions.
func (l *LateEngine) StartExecution(ctx context.Context, stateMachineARN, name, input string) (sfn.ExecutionInfo, error) {
	e, err := l.engine()
	if err != nil {
		return sfn.ExecutionInfo{}, err
	}
	return e.StartExecution(ctx, stateMachineARN, name, input)
}

// Wait implements Executions.
func (l *LateEngine) Wait(ctx context.Context, executionARN string) (sfn.ExecutionInfo, error) {
	e, err := l.engine()
	if err != nil {
		return sfn.ExecutionInfo{}, err
	}
	return e.Wait(ctx, executionARN)
}

// StopExecution stops a child whose parent task ended first.
func (l *LateEngine) StopExecution(ctx context.Context, executionARN string, errName, cause *string) (time.Time, error) {
	e, err := l.engine()
	if err != nil {
		return time.Time{}, err
	}
	return e.StopExecution(ctx, executionARN, errName, cause)
}
