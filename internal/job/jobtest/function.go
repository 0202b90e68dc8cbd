package jobtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/asyncjobs/stepjobs/internal/lambdart"
)

// functionEnv marks the test binary started again as a Lambda function.
const functionEnv = "STEPJOBS_TEST_RUN_MAIN"

// IsFunctionProcess reports whether this test binary was started by
// StartFunction to be the function under test. A cmd package's TestMain
// calls main when it is:
//
//	func TestMain(m *testing.M) {
//		if jobtest.IsFunctionProcess() {
//			main()
//			return
//		}
//		os.Exit(m.Run())
//	}
func IsFunctionProcess() bool { return os.Getenv(functionEnv) == "1" }

// Response is a function's answer to one invocation, as the Lambda service
// receives it: a payload, or an error with the type name Step Functions'
// Retry and Catch match.
type Response struct {
	Payload      json.RawMessage
	ErrorType    string
	ErrorMessage string
}

// Function is a Lambda main running as a child process against the Lambda
// Runtime API of internal/lambdart, the one the local runtime serves its
// bootstrap processes: the very binary behaviour Lambda sees on AWS, offline.
type Function struct {
	t      *testing.T
	api    *lambdart.API
	server *httptest.Server
	mu     sync.Mutex
	seq    int
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
}

// invocationTimeout sets the deadline the function sees
// (Lambda-Runtime-Deadline-Ms); Invoke's context bounds the wait.
const invocationTimeout = time.Minute

// functionARN is the ARN the function sees as its own.
const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:stepjobs-test"

// StartFunction starts this test binary again as the function (see
// IsFunctionProcess) with exactly env as its environment plus the Runtime
// API's address. The process is killed when the test ends.
func StartFunction(t *testing.T, env map[string]string) *Function {
	t.Helper()
	f := &Function{t: t, api: lambdart.NewAPI(), stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	f.server = httptest.NewServer(f.api.Handler())

	f.cmd = exec.Command(os.Args[0], "-test.run=^$")
	f.cmd.Env = []string{functionEnv + "=1", "AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(f.server.URL, "http://")}
	for k, v := range env {
		f.cmd.Env = append(f.cmd.Env, k+"="+v)
	}
	f.cmd.Stderr = f.stderr
	f.cmd.Stdout = f.stderr // the function's JSON logs, shown when a test fails
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start function: %v", err)
	}
	go func() {
		_ = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		_ = f.cmd.Process.Kill() // the process this test started, by its pid
		<-f.exited
		f.api.Close()
		f.server.Close()
		if t.Failed() {
			t.Logf("function output:\n%s", f.Output())
		}
	})
	return f
}

// Output is what the function wrote to stdout and stderr so far.
func (f *Function) Output() string {
	select {
	case <-f.exited:
		return f.stderr.String()
	default:
		return "(still running)"
	}
}

// Exited is closed when the function's process has ended.
func (f *Function) Exited() <-chan struct{} { return f.exited }

// Wait waits for the process to end and returns its output and exit code.
func (f *Function) Wait(ctx context.Context) (output string, exitCode int, err error) {
	select {
	case <-f.exited:
		return f.stderr.String(), f.cmd.ProcessState.ExitCode(), nil
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
}

// errExited ends an Invoke whose function process ended.
var errExited = errors.New("function exited")

// Invoke hands payload to the function and waits for its answer.
func (f *Function) Invoke(ctx context.Context, payload string) (Response, error) {
	f.mu.Lock()
	f.seq++
	id := "request-" + strconv.Itoa(f.seq)
	f.mu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-f.exited:
			cancel(errExited)
		case <-ctx.Done():
		}
	}()
	inv := lambdart.NewInvocation(id, []byte(payload), functionARN, "", invocationTimeout)
	if !f.api.Offer(inv, ctx.Done()) {
		if errors.Is(context.Cause(ctx), errExited) {
			return Response{}, fmt.Errorf("function exited: %s", f.stderr.String())
		}
		return Response{}, ctx.Err()
	}
	select {
	case o := <-inv.Done():
		var e messages.InvokeResponse_Error
		if errors.As(o.Err, &e) {
			return Response{ErrorType: e.Type, ErrorMessage: e.Message}, nil
		}
		if o.Err != nil {
			return Response{}, o.Err
		}
		return Response{Payload: o.Payload}, nil
	case <-ctx.Done():
		if errors.Is(context.Cause(ctx), errExited) {
			return Response{}, fmt.Errorf("function exited during the invocation: %s", f.stderr.String())
		}
		return Response{}, ctx.Err()
	}
}
