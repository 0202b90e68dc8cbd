package sfn_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// A local runtime registers its handlers by function name, creates the
// state machine from the same definition file it deploys, and runs it.
func ExampleEngine() {
	reg := sfn.NewRegistry()
	reg.RegisterFunction("greet", sfn.LambdaFunc(func(_ context.Context, in struct{ Name string }) (map[string]string, error) {
		return map[string]string{"greeting": "hello " + in.Name}, nil
	}))
	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	stop := eng.Subscribe(func(c sfn.StatusChange) {
		fmt.Println("status:", c.Status)
	})
	defer stop()

	ctx := context.Background()
	sm, err := eng.CreateStateMachine(ctx, sfn.CreateStateMachineInput{
		Name:    "hello",
		RoleARN: "arn:aws:iam::123456789012:role/local",
		Definition: `{"StartAt":"Greet","States":{"Greet":{"Type":"Task",
			"Resource":{"Fn::GetAtt":["greet","Arn"]},"End":true}}}`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	started, err := eng.StartExecution(ctx, sm.ARN, "first", `{"Name":"world"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	done, err := eng.Wait(ctx, started.ExecutionARN)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(done.ExecutionARN)
	fmt.Println(*done.Output)
	events, _ := eng.History(ctx, started.ExecutionARN)
	types := make([]string, len(events))
	for i, ev := range events {
		types[i] = string(ev.Type)
	}
	fmt.Println(strings.Join(types, " "))

	// Output:
	// status: RUNNING
	// status: SUCCEEDED
	// arn:aws:states:us-east-1:123456789012:execution:hello:first
	// {"greeting":"hello world"}
	// ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded
}
