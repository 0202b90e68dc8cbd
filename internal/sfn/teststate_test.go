package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEngineTestState calls TestState in-process, as the console does to
// test a state again with an execution's recorded input, variables and
// context object.
func TestEngineTestState(t *testing.T) {
	e := New(Config{Region: "us-east-1", AccountID: "123456789012"})
	result := `{"MessageId": "m-1"}`
	cases := []struct {
		name    string
		in      TestStateInput
		want    TestStateOutput
		wantErr string
	}{
		{name: "recorded context and variables", in: TestStateInput{
			Definition: `{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"MessageBody.$": "$.body", "QueueUrl.$": "$$.Execution.Name", "Tag.$": "$tag"}, "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Done"}`,
			Input:      `{"body": "hi"}`, Variables: `{"tag": "t1"}`, Context: `{"Execution": {"Name": "exec-1"}}`,
			InspectionLevel: "DEBUG", Mock: &TestStateMock{Result: &result},
		}, want: TestStateOutput{Status: TestStatusSucceeded, NextState: "Done", Output: `{"body":"hi","sent":{"id":"m-1"}}`, Inspection: &InspectionData{
			Input: `{"body":"hi"}`, AfterInputPath: `{"body":"hi"}`, AfterParameters: `{"Tag":"t1","MessageBody":"hi","QueueUrl":"exec-1"}`,
			Result: `{"MessageId":"m-1"}`, AfterResultSelector: `{"id":"m-1"}`, AfterResultPath: `{"body":"hi","sent":{"id":"m-1"}}`, Variables: `{"tag":"t1"}`,
		}}},
		{name: "sns publish shape", in: TestStateInput{
			Definition: `{"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true}`, Mock: &TestStateMock{Result: new(`{"MessageId": 7}`)},
		}, wantErr: "ValidationException: Mock result schema validation error: Field 'MessageId' must be a string"},
		{name: "dynamodb getItem item", in: TestStateInput{
			Definition: `{"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": true}`, Mock: &TestStateMock{Result: new(`{"Item": {"id": {"S": 1}}}`)},
		}, wantErr: "ValidationException: Mock result schema validation error: Field 'S' must be a string"},
		{name: "map item selector and batcher", in: TestStateInput{
			Definition: `{"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}, "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"k": 1}}, "MaxConcurrency": 4, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}`,
			Input:      `{"xs": ["a", "b", "c"]}`, InspectionLevel: "DEBUG", Mock: &TestStateMock{Result: new(`[1, 2]`)},
		}, want: TestStateOutput{Status: TestStatusSucceeded, Output: `[1,2]`, Inspection: &InspectionData{
			Input: `{"xs":["a","b","c"]}`, AfterInputPath: `{"xs":["a","b","c"]}`, AfterItemsPath: `["a","b","c"]`,
			AfterItemSelector:   `[{"v":"a","i":0},{"v":"b","i":1},{"v":"c","i":2}]`,
			AfterItemBatcher:    `[{"BatchInput":{"k":1},"Items":["a","b"]},{"BatchInput":{"k":1},"Items":["c"]}]`,
			AfterResultSelector: `[1,2]`, AfterResultPath: `[1,2]`, MaxConcurrency: new(4),
		}}},
		// The examples of docs/local-runtime.md and README.md.
		{name: "docs: retries exhausted, caught", in: TestStateInput{
			Definition: `{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultSelector": {"body.$": "$.Payload"},
    "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 3}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}], "Next": "Done"}`,
			Input: `{"id": 1}`, InspectionLevel: "DEBUG",
			Mock:   &TestStateMock{ErrorOutput: &TestStateError{Error: new("Lambda.TooManyRequestsException"), Cause: "slow down"}},
			Config: &TestStateConfig{RetrierRetryCount: new(3)},
		}, want: TestStateOutput{Status: TestStatusCaughtError, NextState: "Failed", Error: "Lambda.TooManyRequestsException", Cause: "slow down",
			Output: `{"id":1,"error":{"Error":"Lambda.TooManyRequestsException","Cause":"slow down"}}`, Inspection: &InspectionData{
				Input: `{"id":1}`, AfterInputPath: `{"id":1}`, AfterParameters: `{"FunctionName":"f","Payload":{"id":1}}`,
				ErrorDetails: &InspectionErrorDetails{RetryIndex: new(0), CatchIndex: new(0)},
			}}},
		{name: "readme: pass", in: TestStateInput{
			Definition: `{"Type": "Pass", "Parameters": {"total.$": "States.MathAdd($.a, $.b)"}, "Next": "Done"}`, Input: `{"a": 1, "b": 2}`,
		}, want: TestStateOutput{Status: TestStatusSucceeded, NextState: "Done", Output: `{"total":3}`}},
		{name: "jsonata choice assigns", in: TestStateInput{
			Definition: `{"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [{"Condition": "{% $states.input.n > $limit %}", "Next": "Big", "Assign": {"seen": "{% $states.input.n %}"}, "Output": {"big": true}}], "Default": "Small"}`,
			Input:      `{"n": 5}`, Variables: `{"limit": 3}`, InspectionLevel: "DEBUG",
		}, want: TestStateOutput{Status: TestStatusSucceeded, NextState: "Big", Output: `{"big":true}`, Inspection: &InspectionData{
			Input: `{"n":5}`, Variables: `{"limit":3,"seen":5}`,
		}}},
		{name: "jsonata fail", in: TestStateInput{
			Definition: `{"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% 'E' & $states.input.code %}", "Cause": "{% $why %}"}`,
			Input:      `{"code": 7}`, Variables: `{"why": "because"}`,
		}, want: TestStateOutput{Status: TestStatusFailed, Error: "E7", Cause: "because"}},
		{name: "jsonata task output", in: TestStateInput{
			Definition: `{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::sqs:sendMessage", "Arguments": {"QueueUrl": "q", "MessageBody": "{% $states.input.m %}"}, "Output": {"id": "{% $states.result.MessageId %}"}, "Assign": {"last": "{% $states.result.MessageId %}"}, "End": true}`,
			Input:      `{"m": "hi"}`, InspectionLevel: "DEBUG", Mock: &TestStateMock{Result: &result},
		}, want: TestStateOutput{Status: TestStatusSucceeded, Output: `{"id":"m-1"}`, Inspection: &InspectionData{
			Input: `{"m":"hi"}`, AfterArguments: `{"QueueUrl":"q","MessageBody":"hi"}`, Result: `{"MessageId":"m-1"}`, Variables: `{"last":"m-1"}`,
		}}},
		{name: "succeed output path", in: TestStateInput{
			Definition: `{"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}`, Input: `{"a": {"b": [1]}}`,
		}, want: TestStateOutput{Status: TestStatusSucceeded, Output: `[1]`}},
		{name: "jsonata succeed output", in: TestStateInput{
			Definition: `{"Type": "Succeed", "QueryLanguage": "JSONata", "Output": "{% $states.input.a + 1 %}"}`, Input: `{"a": 1}`,
		}, want: TestStateOutput{Status: TestStatusSucceeded, Output: `2`}},
		{name: "jsonata wait", in: TestStateInput{
			Definition: `{"Type": "Wait", "QueryLanguage": "JSONata", "Seconds": "{% $states.input.s %}", "Output": "{% $states.input.s * 2 %}", "Next": "W"}`, Input: `{"s": 30}`,
		}, want: TestStateOutput{Status: TestStatusSucceeded, NextState: "W", Output: `60`}},
		{name: "state inside a map's item processor", in: TestStateInput{
			Definition: `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Result": "r", "ResultPath": "$.x", "End": true}}}, "End": true}}}`,
			StateName:  "Inner", Input: `{"a": 1}`,
		}, want: TestStateOutput{Status: TestStatusSucceeded, Output: `{"a":1,"x":"r"}`}},
		{name: "runtime error is not caught", in: TestStateInput{
			Definition: `{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"b.$": "$.missing"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true}`,
			Input:      `{}`, Mock: &TestStateMock{Result: &result},
		}, want: TestStateOutput{Status: TestStatusFailed, Error: "States.Runtime", Cause: "The JSONPath '$.missing' specified for the field 'b.$' could not be found in the input '{}'"}},
		{name: "context needs a mock", in: TestStateInput{Definition: `{"Type": "Pass", "End": true}`, Context: `{}`},
			wantErr: "ValidationException: TestState does not support Context when a mock is not specified."},
		{name: "variables must be an object", in: TestStateInput{Definition: `{"Type": "Pass", "End": true}`, Variables: `[1]`},
			wantErr: "ValidationException: Variables must be a JSON object"},
		{name: "bad inspection level", in: TestStateInput{Definition: `{"Type": "Pass", "End": true}`, InspectionLevel: "ALL"},
			wantErr: "ValidationException: 1 validation error detected: Value 'ALL' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"},
		{name: "input not json", in: TestStateInput{Definition: `{"Type": "Pass", "End": true}`, Input: `{`},
			wantErr: "InvalidExecutionInput: "},
		{name: "info hides inspection", in: TestStateInput{Definition: `{"Type": "Pass", "Result": 1, "Next": "N"}`},
			want: TestStateOutput{Status: TestStatusSucceeded, NextState: "N", Output: `1`}},
		{name: "reveal secrets with mock", in: TestStateInput{Definition: `{"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true}`, RevealSecrets: true, Mock: &TestStateMock{Result: new(`{}`)}},
			wantErr: "ValidationException: TestState does not support RevealSecrets when a mock is specified."},
		{name: "error caused by unknown state", in: TestStateInput{
			Definition: `{"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}`,
			Mock:       &TestStateMock{ErrorOutput: &TestStateError{Error: new("E")}}, Config: &TestStateConfig{ErrorCausedByState: "X"},
		}, wantErr: "ValidationException: State 'X' is not a state of the tested Map or Parallel state"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.TestState(context.Background(), tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// FuzzTestState feeds TestState any definition and input: it answers a
// status or an API error, and never panics.
func FuzzTestState(f *testing.F) {
	f.Add(`{"Type": "Pass", "End": true}`, `{}`, "")
	f.Add(`{"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "A"}], "Default": "B"}`, `{"v": 1}`, "")
	f.Add(`{"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "E"}}}`, `[]`, "A")
	f.Add(`{"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}`, `[1]`, "")
	e := New(Config{Region: "us-east-1", AccountID: "123456789012"})
	statuses := []string{TestStatusSucceeded, TestStatusFailed, TestStatusRetriable, TestStatusCaughtError}
	f.Fuzz(func(t *testing.T, def, input, stateName string) {
		out, err := e.TestState(context.Background(), TestStateInput{Definition: def, Input: input, StateName: stateName, InspectionLevel: "DEBUG", RoleARN: "r"})
		if err != nil {
			var ae *APIError
			require.True(t, errors.As(err, &ae), "not an API error: %v", err)
			return
		}
		require.Contains(t, statuses, out.Status)
		if out.Output != "" {
			require.True(t, json.Valid([]byte(out.Output)), "output %q", out.Output)
		}
	})
}
