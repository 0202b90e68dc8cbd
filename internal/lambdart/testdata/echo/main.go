// Command echo is the test function of package lambdart: its input says
// what it does (echo, fail with a named error, sleep, exit, panic, fail
// its init).
package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// BadInput is a named error: Lambda reports it as errorType "BadInput".
type BadInput struct{ Reason string }

func (e *BadInput) Error() string { return "bad input: " + e.Reason }

type input struct {
	Echo    json.RawMessage `json:"echo,omitempty"`
	Fail    string          `json:"fail,omitempty"`
	SleepMS int             `json:"sleepMs,omitempty"`
	Exit    *int            `json:"exit,omitempty"`
	Panic   string          `json:"panic,omitempty"`
	Env     string          `json:"env,omitempty"`
}

type output struct {
	Echo        json.RawMessage `json:"echo,omitempty"`
	Env         string          `json:"env,omitempty"`
	PID         int             `json:"pid"`
	HasDeadline bool            `json:"hasDeadline"`
}

func handle(ctx context.Context, in input) (output, error) {
	if in.SleepMS > 0 {
		time.Sleep(time.Duration(in.SleepMS) * time.Millisecond)
	}
	switch {
	case in.Exit != nil:
		os.Exit(*in.Exit)
	case in.Panic != "":
		panic(in.Panic)
	case in.Fail != "":
		return output{}, &BadInput{Reason: in.Fail}
	}
	_, ok := ctx.Deadline()
	out := output{Echo: in.Echo, PID: os.Getpid(), HasDeadline: ok}
	if in.Env != "" {
		out.Env = os.Getenv(in.Env)
	}
	return out, nil
}

func main() {
	if os.Getenv("ECHO_FAIL_INIT") != "" {
		// aws-lambda-go has no init/error call of its own; a main that
		// exits before lambda.Start is what Lambda sees most often.
		os.Exit(3)
	}
	lambda.Start(handle)
}
