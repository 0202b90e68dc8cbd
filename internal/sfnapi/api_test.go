package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

const (
	passDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`
	waitDefinition = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","End":true}}}`
)

// newSDKClient starts the API on an httptest server and returns the real
// AWS SDK client pointed at it (static credentials: signatures are not checked).
func newSDKClient(t *testing.T, e *sfn.Engine) *awssfn.Client {
	t.Helper()
	srv := httptest.NewServer(Handler(e))
	t.Cleanup(srv.Close)
	return awssfn.New(awssfn.Options{
		BaseEndpoint:     aws.String(srv.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: stripHostPrefix{}},
	})
}

// stripHostPrefix undoes the "sync-" host prefix the SDK adds for
// StartSyncExecution, which a loopback address cannot resolve. Local users
// need the same (or DisableEndpointHostPrefix middleware).
type stripHostPrefix struct{}

func (stripHostPrefix) RoundTrip(req *http.Request) (*http.Response, error) {
	if h, ok := strings.CutPrefix(req.URL.Host, "sync-"); ok {
		req = req.Clone(req.Context())
		req.URL.Host, req.Host = h, h
	}
	return http.DefaultTransport.RoundTrip(req)
}

func newTestEngine(t *testing.T) (*sfn.Engine, *sfn.FakeClock) {
	t.Helper()
	return newEngineForTests()
}

func newEngineForTests() (*sfn.Engine, *sfn.FakeClock) {
	clock := sfn.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	reg := sfn.NewRegistry()
	reg.RegisterFunction("echo", sfn.InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) { return p, nil }))
	return sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Clock: clock, Invokers: reg}), clock
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestAPIStateMachines(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)
	ctx := context.Background()

	created, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("jobs"), Definition: aws.String(passDefinition), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:states:us-east-1:123456789012:stateMachine:jobs", aws.ToString(created.StateMachineArn))
	assert.False(t, created.CreationDate.IsZero())

	desc, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
	require.NoError(t, err)
	assert.Equal(t, "jobs", aws.ToString(desc.Name))
	assert.Equal(t, passDefinition, aws.ToString(desc.Definition))
	assert.Equal(t, types.StateMachineTypeStandard, desc.Type)
	assert.Equal(t, types.StateMachineStatusActive, desc.Status)

	list, err := c.ListStateMachines(ctx, &awssfn.ListStateMachinesInput{})
	require.NoError(t, err)
	require.Len(t, list.StateMachines, 1)
	assert.Equal(t, "jobs", aws.ToString(list.StateMachines[0].Name))

	newDef := strings.Replace(passDefinition, `true}`, `false}`, 1)
	upd, err := c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: created.StateMachineArn, Definition: aws.String(newDef)})
	require.NoError(t, err)
	assert.NotNil(t, upd.UpdateDate)
	desc, err = c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
	require.NoError(t, err)
	assert.Equal(t, newDef, aws.ToString(desc.Definition))
	_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: created.StateMachineArn, Definition: aws.String("{")})
	assert.Equal(t, "InvalidDefinition", apiCode(err))

	valid, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(passDefinition)})
	require.NoError(t, err)
	assert.Equal(t, types.ValidateStateMachineDefinitionResultCodeOk, valid.Result)
	invalid, err := c.ValidateStateMachineDefinition(ctx, &awssfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"States":{}}`)})
	require.NoError(t, err)
	assert.Equal(t, types.ValidateStateMachineDefinitionResultCodeFail, invalid.Result)
	require.NotEmpty(t, invalid.Diagnostics)
	assert.Equal(t, "SCHEMA_VALIDATION_FAILED", aws.ToString(invalid.Diagnostics[0].Code))

	_, err = c.DeleteStateMachine(ctx, &awssfn.DeleteStateMachineInput{StateMachineArn: created.StateMachineArn})
	require.NoError(t, err)
	_, err = c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
	var notExist *types.StateMachineDoesNotExist
	assert.ErrorAs(t, err, &notExist)
}

// testRoleARN is a role ARN CreateStateMachine accepts.
const testRoleARN = "arn:aws:iam::123456789012:role/r"

// CreateStateMachine and UpdateStateMachine take an IAM role ARN and
// nothing else, as AWS does (issue 12): "Invalid Role Arn: '<roleArn>'",
// the message AWS answered in aws/amazon-sagemaker-examples#2432 (a
// notebook run against AWS with a placeholder role).
func TestAPIRoleARN(t *testing.T) {
	tests := []struct {
		role    string
		code    string // "" accepted
		message string
	}{
		{role: "arn:aws:iam::123456789012:role/r"},
		{role: "arn:aws:iam::000000000000:role/service-role/stepjobs-dev-jobs-role"},
		{role: "arn:aws-us-gov:iam::123456789012:role/r"},
		{role: "notarn", code: "InvalidArn", message: "Invalid Role Arn: 'notarn'"},
		{role: "r", code: "InvalidArn", message: "Invalid Role Arn: 'r'"},
		{role: "arn:aws:iam::123456789012:user/r", code: "InvalidArn", message: "Invalid Role Arn: 'arn:aws:iam::123456789012:user/r'"},
		{role: "arn:aws:iam::123456789012:role/", code: "InvalidArn", message: "Invalid Role Arn: 'arn:aws:iam::123456789012:role/'"},
		{role: "arn:aws:s3:::bucket", code: "InvalidArn", message: "Invalid Role Arn: 'arn:aws:s3:::bucket'"},
		{role: "arn:aws:iam:us-east-1:123456789012:role/r", code: "InvalidArn", message: "Invalid Role Arn: 'arn:aws:iam:us-east-1:123456789012:role/r'"},
		{role: "arn:aws:iam::12345:role/r", code: "InvalidArn", message: "Invalid Role Arn: 'arn:aws:iam::12345:role/r'"},
		{role: "", code: "ValidationException",
			message: "1 validation error detected: Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			e, _ := newTestEngine(t)
			c := newSDKClient(t, e)
			ctx := context.Background()
			_, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(passDefinition), RoleArn: aws.String(tc.role)})
			checkAPIError(t, err, tc.code, tc.message)
			if tc.role == "" {
				return // UpdateStateMachine takes "" as "unchanged"
			}
			sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("u"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRoleARN)})
			require.NoError(t, err)
			_, err = c.UpdateStateMachine(ctx, &awssfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, RoleArn: aws.String(tc.role)})
			checkAPIError(t, err, tc.code, tc.message)
			d, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
			require.NoError(t, err)
			if tc.code == "" {
				assert.Equal(t, tc.role, aws.ToString(d.RoleArn))
			} else {
				assert.Equal(t, testRoleARN, aws.ToString(d.RoleArn), "a refused update changes nothing")
			}
		})
	}
}

// checkAPIError checks an SDK call's error code and message; code ""
// means no error.
func checkAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	if code == "" {
		require.NoError(t, err)
		return
	}
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, code, ae.ErrorCode())
	assert.Equal(t, message, ae.ErrorMessage())
}

func TestAPIErrors(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRoleARN)})
	require.NoError(t, err)
	missingExec := "arn:aws:states:us-east-1:123456789012:execution:m:nope"

	tests := []struct {
		name     string
		call     func() error
		code     string
		contains string
	}{
		{"create: invalid JSON", func() error {
			_, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("x"), Definition: aws.String("{"), RoleArn: aws.String(testRoleARN)})
			return err
		}, "InvalidDefinition", ""},
		{"create: unknown resource named", func() error {
			_, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("x"), RoleArn: aws.String(testRoleARN),
				Definition: aws.String(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":{"Fn::GetAtt":["missingFn","Arn"]},"End":true}}}`)})
			return err
		}, "InvalidDefinition", "missingFn"},
		{"create: invalid name", func() error {
			_, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("bad name"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRoleARN)})
			return err
		}, "InvalidName", ""},
		{"create: JSONata expression that does not parse", func() error {
			_, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("j"), RoleArn: aws.String(testRoleARN),
				Definition: aws.String(`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input. %}","End":true}}}`)})
			return err
		}, "InvalidDefinition", "INVALID_JSONATA_EXPRESSION"},
		{"describe: malformed ARN", func() error {
			_, err := c.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: aws.String("not_an_arn")})
			return err
		}, "InvalidArn", "Invalid ARN prefix: not_an_arn"},
		{"start: unknown machine", func() error {
			_, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:none")})
			return err
		}, "StateMachineDoesNotExist", ""},
		{"start: bad JSON input", func() error {
			_, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String("not json")})
			return err
		}, "InvalidExecutionInput", "Unrecognized token 'not'"},
		{"start: input over 256 KiB", func() error {
			_, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`"` + strings.Repeat("a", 256*1024) + `"`)})
			return err
		}, "InvalidExecutionInput", "maximum number of bytes"},
		{"start: invalid name", func() error {
			_, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("a/b")})
			return err
		}, "InvalidName", ""},
		{"start: name too long", func() error {
			_, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String(strings.Repeat("n", 81))})
			return err
		}, "InvalidName", ""},
		{"describe execution: missing", func() error {
			_, err := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(missingExec)})
			return err
		}, "ExecutionDoesNotExist", missingExec},
		{"describe execution: state machine ARN", func() error {
			_, err := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: sm.StateMachineArn})
			return err
		}, "InvalidArn", ""},
		{"history: missing", func() error {
			_, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: aws.String(missingExec)})
			return err
		}, "ExecutionDoesNotExist", ""},
		{"stop: missing", func() error {
			_, err := c.StopExecution(ctx, &awssfn.StopExecutionInput{ExecutionArn: aws.String(missingExec)})
			return err
		}, "ExecutionDoesNotExist", ""},
		{"describe machine for execution: invalid", func() error {
			_, err := c.DescribeStateMachineForExecution(ctx, &awssfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String("x")})
			return err
		}, "InvalidArn", ""},
		{"list executions: bad status", func() error {
			_, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: "succeeded"})
			return err
		}, "ValidationException", "statusFilter"},
		{"list executions: maxResults too large", func() error {
			_, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, MaxResults: 1001})
			return err
		}, "ValidationException", "less than or equal to 1000"},
		{"list executions: bad token", func() error {
			_, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, NextToken: aws.String("garbage")})
			return err
		}, "InvalidToken", ""},
		{"list executions: unknown machine", func() error {
			_, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:none")})
			return err
		}, "StateMachineDoesNotExist", ""},
		{"start sync: STANDARD", func() error {
			_, err := c.StartSyncExecution(ctx, &awssfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn})
			return err
		}, "StateMachineTypeNotSupported", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.Error(t, err)
			assert.Equal(t, tt.code, apiCode(err), "%v", err)
			assert.Contains(t, err.Error(), tt.contains)
		})
	}
}

func TestAPIUnknownOperation(t *testing.T) {
	e, _ := newTestEngine(t)
	srv := httptest.NewServer(Handler(e))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.RedriveExecution") // not served (yet)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "UnknownOperationException", resp.Header.Get("X-Amzn-ErrorType"))
}

func TestAPIExecutions(t *testing.T) {
	e, clock := newTestEngine(t)
	c := newSDKClient(t, e)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRoleARN)})
	require.NoError(t, err)

	start, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("job-1"), Input: aws.String(`{"a":1}`)})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:states:us-east-1:123456789012:execution:m:job-1", aws.ToString(start.ExecutionArn))
	assert.True(t, start.StartDate.Equal(clock.Now()), "startDate %v", start.StartDate)
	_, err = e.Wait(ctx, aws.ToString(start.ExecutionArn))
	require.NoError(t, err)

	desc, err := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	require.NoError(t, err)
	assert.Equal(t, types.ExecutionStatusSucceeded, desc.Status)
	assert.JSONEq(t, `{"ok":true}`, aws.ToString(desc.Output))
	assert.JSONEq(t, `{"a":1}`, aws.ToString(desc.Input))
	assert.NotNil(t, desc.StopDate)
	assert.Equal(t, types.ExecutionRedriveStatusNotRedrivable, desc.RedriveStatus)

	forExec, err := c.DescribeStateMachineForExecution(ctx, &awssfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn})
	require.NoError(t, err)
	assert.Equal(t, passDefinition, aws.ToString(forExec.Definition))

	// A closed execution's name cannot be reused.
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("job-1"), Input: aws.String(`{"a":1}`)})
	var exists *types.ExecutionAlreadyExists
	require.ErrorAs(t, err, &exists)

	hist, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	require.NoError(t, err)
	require.Len(t, hist.Events, 4)
	assert.Equal(t, types.HistoryEventTypeExecutionStarted, hist.Events[0].Type)
	assert.Equal(t, `{"a":1}`, aws.ToString(hist.Events[0].ExecutionStartedEventDetails.Input))
	assert.Equal(t, "P", aws.ToString(hist.Events[1].StateEnteredEventDetails.Name))
	assert.Equal(t, types.HistoryEventTypeExecutionSucceeded, hist.Events[3].Type)
	assert.Equal(t, int64(3), hist.Events[3].PreviousEventId)

	rev, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 3})
	require.NoError(t, err)
	require.Len(t, rev.Events, 3)
	assert.Equal(t, int64(4), rev.Events[0].Id)
	require.NotNil(t, rev.NextToken)
	rest, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, NextToken: rev.NextToken})
	require.NoError(t, err)
	require.Len(t, rest.Events, 1)
	assert.Equal(t, int64(1), rest.Events[0].Id)
	assert.Nil(t, rest.NextToken)

	noData, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, IncludeExecutionData: aws.Bool(false)})
	require.NoError(t, err)
	assert.Nil(t, noData.Events[0].ExecutionStartedEventDetails.Input)
	assert.Nil(t, noData.Events[2].StateExitedEventDetails.Output)

	// Paging through ListExecutions, newest first.
	for i := 0; i < 4; i++ {
		out, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
		require.NoError(t, err)
		_, err = e.Wait(ctx, aws.ToString(out.ExecutionArn))
		require.NoError(t, err)
	}
	page1, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, MaxResults: 3})
	require.NoError(t, err)
	require.Len(t, page1.Executions, 3)
	require.NotNil(t, page1.NextToken)
	page2, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, MaxResults: 3, NextToken: page1.NextToken})
	require.NoError(t, err)
	require.Len(t, page2.Executions, 2)
	assert.Equal(t, "job-1", aws.ToString(page2.Executions[1].Name))
	running, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: types.ExecutionStatusRunning})
	require.NoError(t, err)
	assert.Empty(t, running.Executions)
}

func TestAPIStopAndIdempotency(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("w"), Definition: aws.String(waitDefinition), RoleArn: aws.String(testRoleARN)})
	require.NoError(t, err)
	in := &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("same"), Input: aws.String(`{"k":"v"}`)}
	first, err := c.StartExecution(ctx, in)
	require.NoError(t, err)
	again, err := c.StartExecution(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(first.ExecutionArn), aws.ToString(again.ExecutionArn))
	assert.True(t, first.StartDate.Equal(*again.StartDate))
	_, err = c.StartExecution(ctx, &awssfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("same"), Input: aws.String(`{"k":"other"}`)})
	var exists *types.ExecutionAlreadyExists
	require.ErrorAs(t, err, &exists)

	stop, err := c.StopExecution(ctx, &awssfn.StopExecutionInput{ExecutionArn: first.ExecutionArn, Error: aws.String("Cancelled"), Cause: aws.String("by test")})
	require.NoError(t, err)
	assert.NotNil(t, stop.StopDate)
	desc, err := c.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	require.NoError(t, err)
	assert.Equal(t, types.ExecutionStatusAborted, desc.Status)
	assert.Equal(t, "Cancelled", aws.ToString(desc.Error))
	assert.Equal(t, "by test", aws.ToString(desc.Cause))
	assert.Equal(t, types.ExecutionRedriveStatusRedrivable, desc.RedriveStatus)
	hist, err := c.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{ExecutionArn: first.ExecutionArn})
	require.NoError(t, err)
	last := hist.Events[len(hist.Events)-1]
	assert.Equal(t, types.HistoryEventTypeExecutionAborted, last.Type)
	assert.Equal(t, "Cancelled", aws.ToString(last.ExecutionAbortedEventDetails.Error))
	aborted, err := c.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: types.ExecutionStatusAborted})
	require.NoError(t, err)
	assert.Len(t, aborted.Executions, 1)
}

func TestAPIStartSyncExpress(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newSDKClient(t, e)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &awssfn.CreateStateMachineInput{Name: aws.String("x"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRoleARN), Type: types.StateMachineTypeExpress})
	require.NoError(t, err)
	out, err := c.StartSyncExecution(ctx, &awssfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, types.SyncExecutionStatusSucceeded, out.Status)
	assert.JSONEq(t, `{"ok":true}`, aws.ToString(out.Output))
}

// FuzzHandler sends arbitrary bodies to every operation: the API must answer
// with a client error or success, never a 5xx.
func FuzzHandler(f *testing.F) {
	e, _ := newEngineForTests()
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "m", Definition: waitDefinition, RoleARN: "r"})
	if err != nil {
		f.Fatal(err)
	}
	h := Handler(e)
	ops := make([]string, 0)
	for op := range Handler(e).(*server).operations() {
		// StartSyncExecution waits for the execution, which on the fake
		// clock may never end.
		if op != "StartSyncExecution" {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	for i, seed := range []string{`{}`, `{"stateMachineArn":"` + sm.ARN + `","input":"{}"}`, `{"executionArn":"x"}`,
		`{"name":"a","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}","roleArn":"arn:aws:iam::123456789012:role/r"}`,
		`{"stateMachineArn":"` + sm.ARN + `","maxResults":-1,"nextToken":""}`, `[`, `null`} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions."+ops[int(op)%len(ops)])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", ops[int(op)%len(ops)], body, rec.Code, rec.Body.String())
		}
	})
}

// TestAPICallback drives a callback task's token through SendTaskSuccess,
// SendTaskFailure and SendTaskHeartbeat on the wire; the engine's tests
// cover what the token does to the execution.
func TestAPICallback(t *testing.T) {
	ctx := context.Background()
	tokens := make(chan string, 1)
	reg := sfn.NewRegistry()
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage.waitForTaskToken", sfn.InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		var in struct{ MessageBody struct{ TaskToken string } }
		err := json.Unmarshal(p, &in)
		tokens <- in.MessageBody.TaskToken
		return []byte(`{}`), err
	}))
	e := sfn.New(sfn.Config{Clock: sfn.NewFakeClock(time.Unix(0, 0)), Invokers: reg})
	c := newSDKClient(t, e)
	sm, err := e.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: "cb", RoleARN: testRoleARN, Definition: `{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
		"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"MessageBody":{"TaskToken.$":"$$.Task.Token"}},"End":true}}}`})
	require.NoError(t, err)
	info, err := e.StartExecution(ctx, sm.ARN, "", "{}")
	require.NoError(t, err)
	token := <-tokens

	_, err = c.SendTaskHeartbeat(ctx, &awssfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	require.NoError(t, err)
	_, err = c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)})
	require.NoError(t, err)
	d, err := e.Wait(ctx, info.ExecutionARN)
	require.NoError(t, err)
	require.Equal(t, sfn.StatusSucceeded, d.Status)
	assert.JSONEq(t, `{"approved":true}`, *d.Output)

	_, err = c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	assert.Equal(t, "TaskDoesNotExist", apiCode(err), "a token is used once")
	_, err = c.SendTaskFailure(ctx, &awssfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("E")})
	assert.Equal(t, "TaskDoesNotExist", apiCode(err))
	_, err = c.SendTaskHeartbeat(ctx, &awssfn.SendTaskHeartbeatInput{TaskToken: aws.String("")})
	assert.Equal(t, "InvalidToken", apiCode(err))
}
