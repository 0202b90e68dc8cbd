package jobtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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

// Function is a Lambda main running as a child process against a fake
// Lambda Runtime API: the very binary behaviour Lambda sees on AWS, offline.
type Function struct {
	t       *testing.T
	api     *httptest.Server
	next    chan invocation
	quit    chan struct{}
	mu      sync.Mutex
	waiting map[string]chan Response
	seq     int
	cmd     *exec.Cmd
	stderr  *bytes.Buffer
	exited  chan struct{}
}

type invocation struct {
	id      string
	payload []byte
}

// StartFunction starts this test binary again as the function (see
// IsFunctionProcess) with exactly env as its environment plus the Runtime
// API's address. The process is killed when the test ends.
func StartFunction(t *testing.T, env map[string]string) *Function {
	t.Helper()
	f := &Function{t: t, next: make(chan invocation), quit: make(chan struct{}),
		waiting: make(map[string]chan Response), stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	f.api = httptest.NewServer(http.HandlerFunc(f.serve))

	f.cmd = exec.Command(os.Args[0], "-test.run=^$")
	f.cmd.Env = []string{functionEnv + "=1", "AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(f.api.URL, "http://")}
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
		close(f.quit)
		f.api.Close()
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

// Invoke hands payload to the function and waits for its answer.
func (f *Function) Invoke(ctx context.Context, payload string) (Response, error) {
	f.mu.Lock()
	f.seq++
	id := "request-" + strconv.Itoa(f.seq)
	answer := make(chan Response, 1)
	f.waiting[id] = answer
	f.mu.Unlock()
	select {
	case f.next <- invocation{id: id, payload: []byte(payload)}:
	case <-f.exited:
		return Response{}, fmt.Errorf("function exited: %s", f.stderr.String())
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	select {
	case r := <-answer:
		return r, nil
	case <-f.exited:
		return Response{}, fmt.Errorf("function exited during the invocation: %s", f.stderr.String())
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// serve implements the three calls of the Runtime API a function makes:
// GET next, POST response, POST error.
func (f *Function) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	switch {
	case ok && r.Method == http.MethodGet && path == "next":
		select {
		case inv := <-f.next:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:stepjobs-test")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-f.quit:
			http.Error(w, "shutting down", http.StatusGone)
		case <-r.Context().Done():
		}
	case ok && r.Method == http.MethodPost && (strings.HasSuffix(path, "/response") || strings.HasSuffix(path, "/error")):
		id, kind, _ := strings.Cut(path, "/")
		body, _ := io.ReadAll(r.Body)
		var resp Response
		if kind == "response" {
			resp.Payload = body
		} else {
			var e struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			_ = json.Unmarshal(body, &e)
			resp.ErrorType, resp.ErrorMessage = e.ErrorType, e.ErrorMessage
		}
		f.mu.Lock()
		answer, found := f.waiting[id]
		delete(f.waiting, id)
		f.mu.Unlock()
		if !found {
			http.Error(w, "unknown request id "+id, http.StatusBadRequest)
			return
		}
		answer <- resp
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "not part of the fake Runtime API: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}
