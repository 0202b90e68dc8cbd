package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/asyncjobs/stepjobs/internal/asl"
)

// Invoker runs one task: it takes the task's JSON input and returns its JSON
// result. It has the shape of aws-lambda-go's lambda.Handler, so
// lambda.NewHandler(fn) gives an Invoker for a Lambda handler function.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// JobInvoker is an Invoker of the run-a-job integration pattern (a
// Resource ending in .sync or .sync:2): Submit starts the job and returns
// the service's answer, recorded as TaskSubmitted, and wait, which blocks
// until the job ends and returns the task's result (or its error). Invoke
// is not called for it.
type JobInvoker interface {
	Invoker
	Submit(ctx context.Context, payload []byte) (submitted []byte, wait func(context.Context) ([]byte, error), err error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke implements Invoker.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// Registry maps Task resources to invokers. Lambda functions are registered
// by function name and match every resource form that names them: a function
// ARN (with or without qualifier), {"Fn::GetAtt": [name, "Arn"]}, and
// arn:aws:states:::lambda:invoke with Parameters.FunctionName. Any other
// resource (a service integration such as arn:aws:states:::sqs:sendMessage)
// is matched exactly by RegisterResource, which is how users plug in mocks.
type Registry struct {
	mu        sync.RWMutex
	functions map[string]Invoker
	resources map[string]Invoker
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{functions: map[string]Invoker{}, resources: map[string]Invoker{}}
}

// RegisterFunction registers the Lambda function called name.
//
// Handlers built with aws-lambda-go's lambda.NewHandler are called one at a
// time: their Invoke returns bytes backed by a pooled buffer that the next
// call reuses, so concurrent calls would corrupt each other's results. Use
// LambdaFunc (or any concurrency-safe Invoker) for parallel invocations.
func (r *Registry) RegisterFunction(name string, inv Invoker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.functions[name] = serialiseIfPooled(inv)
}

// serialiseIfPooled wraps aws-lambda-go handlers (see RegisterFunction).
func serialiseIfPooled(inv Invoker) Invoker {
	t := reflect.TypeOf(inv)
	if t == nil {
		return inv
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() != "github.com/aws/aws-lambda-go/lambda" {
		return inv
	}
	return &serialInvoker{inv: inv}
}

// serialInvoker runs one call at a time and copies the result before the
// next call can reuse its buffer.
type serialInvoker struct {
	mu  sync.Mutex
	inv Invoker
}

func (s *serialInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := s.inv.Invoke(ctx, payload)
	return append([]byte(nil), out...), err
}

// LambdaFunc adapts a typed handler function, as lambda.Start accepts it,
// to an Invoker with the same JSON round trip: the payload is decoded into
// In and the result encoded from Out. Unlike lambda.NewHandler it is safe
// for concurrent use.
func LambdaFunc[In, Out any](fn func(context.Context, In) (Out, error)) Invoker {
	return InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		var in In
		if len(payload) > 0 {
			if err := json.Unmarshal(payload, &in); err != nil {
				return nil, err
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("encode result: %w", err)
		}
		return b, nil
	})
}

// RegisterResource registers an invoker for one exact Task Resource string,
// e.g. "arn:aws:states:::sqs:sendMessage". The invoker receives the state's
// effective parameters and returns the task result.
func (r *Registry) RegisterResource(resource string, inv Invoker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resources[resource] = serialiseIfPooled(inv)
}

func (r *Registry) function(name string) (Invoker, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	inv, ok := r.functions[name]
	return inv, ok
}

func (r *Registry) resource(res string) (Invoker, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	inv, ok := r.resources[res]
	return inv, ok
}

// taskKind selects the history events and result shape of a Task.
type taskKind int

const (
	taskLambda       taskKind = iota // a Lambda ARN or Fn::GetAtt: LambdaFunction* events
	taskLambdaInvoke                 // arn:aws:states:::lambda:invoke: Task* events, result envelope
	taskService                      // a registered service integration: Task* events
	taskActivity                     // an activity ARN: Activity* events (activity.go)
)

// lambdaInvokeResource is the optimised Lambda integration.
const lambdaInvokeSuffix = ":states:::lambda:invoke"

// task is a Task state's resolved resource.
type task struct {
	kind         taskKind
	resource     string // as shown in history (an ARN for Lambda functions)
	resourceType string // Task* events: e.g. "lambda"
	resourceName string // Task* events: e.g. "invoke"
	invoker      Invoker
	// functionName is fixed for taskLambda, and for taskLambdaInvoke when
	// Parameters.FunctionName is static; empty means "read it at run time".
	functionName string
	// callback tasks (.waitForTaskToken) end with SendTaskSuccess/Failure.
	callback bool
}

// invokesFunction reports whether the task invokes one of the Registry's
// functions, which Config.TaskConcurrency bounds.
func (t *task) invokesFunction() bool { return t.kind == taskLambda || t.kind == taskLambdaInvoke }

// callbackSuffix marks the wait-for-callback integration pattern.
const callbackSuffix = ".waitForTaskToken"

// resolveTask resolves a Task Resource (raw JSON) and, for lambda:invoke, its
// raw Parameters, to an invoker. Unknown resources are errors naming them.
func (e *Engine) resolveTask(rawResource json.RawMessage, rawParams map[string]json.RawMessage) (*task, error) {
	var s string
	if err := json.Unmarshal(rawResource, &s); err != nil {
		name, ok := getAttFunction(rawResource)
		if !ok {
			return nil, fmt.Errorf("unsupported Resource %s", rawResource)
		}
		inv, ok := e.cfg.Invokers.function(name)
		if !ok {
			return nil, fmt.Errorf("no function registered for Resource %s", rawResource)
		}
		return &task{kind: taskLambda, resource: e.lambdaARN(name), invoker: inv, functionName: name}, nil
	}
	if inv, ok := e.cfg.Invokers.resource(s); ok {
		typ, name := serviceParts(s)
		return &task{kind: taskService, resource: s, resourceType: typ, resourceName: name, invoker: inv,
			callback: strings.HasSuffix(s, callbackSuffix)}, nil
	}
	if name, ok := lambdaFunctionName(s); ok && strings.Contains(s, ":lambda:") {
		inv, ok := e.cfg.Invokers.function(name)
		if !ok {
			return nil, fmt.Errorf("no function registered for Resource '%s' (function %s)", s, name)
		}
		return &task{kind: taskLambda, resource: s, invoker: inv, functionName: name}, nil
	}
	base, callback := strings.CutSuffix(s, callbackSuffix)
	if strings.HasPrefix(s, "arn:") && strings.HasSuffix(base, lambdaInvokeSuffix) {
		t := &task{kind: taskLambdaInvoke, resource: s, resourceType: "lambda", resourceName: "invoke", callback: callback}
		if callback {
			t.resourceName = "invoke" + callbackSuffix
		}
		if fn, ok := rawParams["FunctionName"]; ok {
			name, err := functionNameOf(fn)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", s, err)
			}
			if _, ok := e.cfg.Invokers.function(name); !ok {
				return nil, fmt.Errorf("no function registered for Resource '%s' (FunctionName %s)", s, name)
			}
			t.functionName = name
		} else if _, ok := rawParams["FunctionName.$"]; !ok {
			return nil, fmt.Errorf("resource %s: Parameters.FunctionName is required", s)
		}
		return t, nil
	}
	if isActivityARN(s) {
		// Looked up when scheduled, not now: AWS accepts a definition
		// naming an activity that does not exist yet.
		return &task{kind: taskActivity, resource: s}, nil
	}
	return nil, fmt.Errorf("no invoker registered for Resource '%s'", s)
}

// unresolvedTask stands for a Task resource that nothing here serves, when
// a mock configuration is loaded: as in Step Functions Local, the machine
// can then be created and its test cases mock the state; run for real, the
// task fails with States.Runtime naming what is missing.
func unresolvedTask(raw json.RawMessage, cause error) (*task, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil || !strings.HasPrefix(s, "arn:") {
		return nil, cause
	}
	fail := InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &TaskError{Name: asl.ErrRuntime, Cause: cause.Error()}
	})
	if name, ok := lambdaFunctionName(s); ok && strings.Contains(s, ":lambda:") {
		return &task{kind: taskLambda, resource: s, invoker: fail, functionName: name}, nil
	}
	base, callback := strings.CutSuffix(s, callbackSuffix)
	if strings.HasSuffix(base, lambdaInvokeSuffix) {
		// An unknown FunctionName: the look-up when the task runs answers
		// Lambda.ResourceNotFoundException, as Lambda would.
		t := &task{kind: taskLambdaInvoke, resource: s, resourceType: "lambda", resourceName: "invoke", callback: callback}
		if callback {
			t.resourceName += callbackSuffix
		}
		return t, nil
	}
	typ, name := serviceParts(s)
	return &task{kind: taskService, resource: s, resourceType: typ, resourceName: name, invoker: fail, callback: callback}, nil
}

// getAttFunction reads {"Fn::GetAtt": [name, "Arn"]} (or "name.Arn").
func getAttFunction(raw json.RawMessage) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || len(obj) != 1 {
		return "", false
	}
	v, ok := obj["Fn::GetAtt"]
	if !ok {
		return "", false
	}
	var arr []string
	if json.Unmarshal(v, &arr) == nil && len(arr) == 2 && arr[1] == "Arn" && arr[0] != "" {
		return arr[0], true
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if name, ok := strings.CutSuffix(s, ".Arn"); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

// functionNameOf reads a lambda:invoke FunctionName: a string (name, partial
// or full ARN, optionally qualified) or an Fn::GetAtt object.
func functionNameOf(raw json.RawMessage) (string, error) {
	if name, ok := getAttFunction(raw); ok {
		return name, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("FunctionName %s is neither a string nor Fn::GetAtt", raw)
	}
	if name, ok := lambdaFunctionName(s); ok {
		return name, nil
	}
	return "", fmt.Errorf("invalid FunctionName '%s'", s)
}

// lambdaFunctionName extracts the function name from a Lambda function ARN
// (arn:aws:lambda:region:acct:function:name[:qualifier]), a partial ARN
// (acct:function:name) or a plain name (name[:qualifier]).
func lambdaFunctionName(s string) (string, bool) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" && len(parts) <= 8:
		return parts[6], parts[6] != ""
	case len(parts) >= 3 && parts[1] == "function" && len(parts) <= 4:
		return parts[2], parts[2] != ""
	case len(parts) <= 2 && !strings.HasPrefix(s, "arn") && parts[0] != "":
		return parts[0], true
	}
	return "", false
}

// serviceParts splits arn:aws:states:::sqs:sendMessage into "sqs",
// "sendMessage", and arn:aws:states:::aws-sdk:s3:getObject into
// "aws-sdk:s3", "getObject", as history names them.
func serviceParts(res string) (string, string) {
	parts := strings.SplitN(res, ":", 7)
	if len(parts) != 7 {
		return "", res
	}
	if parts[5] == "aws-sdk" {
		if svc, action, ok := strings.Cut(parts[6], ":"); ok {
			return "aws-sdk:" + svc, action
		}
	}
	return parts[5], parts[6]
}

// lambdaARN is the ARN under which a registered function appears in history.
func (e *Engine) lambdaARN(name string) string {
	return "arn:" + e.cfg.Partition + ":lambda:" + e.cfg.Region + ":" + e.cfg.AccountID + ":function:" + name
}

// lambdaError is a task failure as Step Functions reports a Lambda error.
type lambdaError struct {
	Name  string // the error type: Go type name or InvokeResponse_Error.Type
	Cause string // {"errorMessage": ..., "errorType": ...}
}

// TaskError is a task failure named as the service integration names it,
// e.g. {Name: "DynamoDB.ConditionalCheckFailedException", Cause: "The
// conditional request failed (Service: ...)"}: an Invoker returns it (or
// wraps it) when the error and cause Step Functions records are not a Lambda
// function's.
type TaskError struct {
	Name  string
	Cause string
}

// Error implements error.
func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// mapLambdaError names err as aws-lambda-go does (lambda/errors.go): an
// InvokeResponse_Error keeps its type, any other error is named by its Go
// type; a TaskError keeps its name and cause as they are.
func mapLambdaError(err error) lambdaError {
	var te *TaskError
	if errors.As(err, &te) {
		return lambdaError{Name: te.Name, Cause: te.Cause}
	}
	var ire messages.InvokeResponse_Error
	var pire *messages.InvokeResponse_Error
	var msg, typ string
	switch {
	case errors.As(err, &ire):
		msg, typ = ire.Message, ire.Type
	case errors.As(err, &pire) && pire != nil:
		msg, typ = pire.Message, pire.Type
	default:
		msg, typ = err.Error(), typeName(err)
	}
	cause, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, typ})
	return lambdaError{Name: typ, Cause: string(cause)}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "error"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// safeCall calls fn, turning a panic into a Lambda-style error.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = messages.InvokeResponse_Error{Message: fmt.Sprintf("%v", r), Type: typeName(r)}
		}
	}()
	return fn()
}

// safeInvoke calls inv, turning a panic into a Lambda-style error.
func safeInvoke(ctx context.Context, inv Invoker, payload []byte) (out []byte, err error) {
	err = safeCall(func() (err error) {
		out, err = inv.Invoke(ctx, payload)
		return err
	})
	return out, err
}
