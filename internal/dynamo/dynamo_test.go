package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
)

// client talks to the dynalite this package's tests share.
var client *dynamodb.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	server, err := dynalite.Start(context.Background(), dynalite.Options{})
	if err != nil {
		// make test installs node_modules first; a missing dynalite is a setup error, not a skip.
		fmt.Fprintln(os.Stderr, "dynamo tests need dynalite:", err)
		return 1
	}
	defer server.Stop()
	client = server.Client()
	return m.Run()
}

var tables atomic.Int64

// newTable creates a fresh jobs table, so tests never see each other's jobs.
func newTable(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("jobs-%d", tables.Add(1))
	require.NoError(t, dynalite.CreateJobsTable(t.Context(), client, name))
	return name
}

func TestStoreContract(t *testing.T) {
	jobtest.RunStoreContract(t, func(t *testing.T) job.Store {
		return dynamo.New(client, newTable(t))
	})
}

// The item layout is what other readers of the table (the console, ad hoc
// queries) see, so it is pinned here.
func TestItemLayout(t *testing.T) {
	ctx := t.Context()
	table := newTable(t)
	s := dynamo.New(client, table)
	_, err := s.Create(ctx, job.NewJob("j1", "arn:1", []byte(`{"records": 5}`), jobtest.T0))
	require.NoError(t, err)
	_, err = s.Finish(ctx, job.Outcome{JobID: "j1", ExecutionARN: "arn:1", Status: job.StatusSucceeded, At: jobtest.T0,
		Result: &job.Result{Bucket: "b", Key: "results/j1.json", Records: 5, Bytes: 99}})
	require.NoError(t, err)

	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"jobId": &types.AttributeValueMemberS{Value: "j1"}}})
	require.NoError(t, err)
	at := "2026-03-04T05:06:07.123456789Z"
	assert.Equal(t, map[string]types.AttributeValue{
		"jobId":        &types.AttributeValueMemberS{Value: "j1"},
		"executionArn": &types.AttributeValueMemberS{Value: "arn:1"},
		"status":       &types.AttributeValueMemberS{Value: "SUCCEEDED"},
		"request":      &types.AttributeValueMemberS{Value: `{"records": 5}`},
		"createdAt":    &types.AttributeValueMemberS{Value: at},
		"updatedAt":    &types.AttributeValueMemberS{Value: at},
		// A success's progress is every record (job.Outcome.Apply).
		"recordsGenerated": &types.AttributeValueMemberN{Value: "5"},
		"recordsTotal":     &types.AttributeValueMemberN{Value: "5"},
		"progressAt":       &types.AttributeValueMemberS{Value: at},
		"result": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"bucket":  &types.AttributeValueMemberS{Value: "b"},
			"key":     &types.AttributeValueMemberS{Value: "results/j1.json"},
			"records": &types.AttributeValueMemberN{Value: "5"},
			"bytes":   &types.AttributeValueMemberN{Value: "99"},
		}},
	}, out.Item)
}

func TestMissingTableIsAPermanentError(t *testing.T) {
	s := dynamo.New(client, "no-such-table")
	_, err := s.Create(t.Context(), job.NewJob("j", "arn", nil, jobtest.T0))
	require.Error(t, err)
	var notFound *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &notFound)
	assert.False(t, job.IsTransient(err))
	assert.Contains(t, err.Error(), "dynamo: put job j")
}

// fakeAPI answers every call with err; calls counts them.
type fakeAPI struct {
	err   error
	calls int
}

func (f *fakeAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.calls++
	return nil, f.err
}

func (f *fakeAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.calls++
	return nil, f.err
}

func (f *fakeAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.calls++
	return nil, f.err
}

func responseError(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
	}{
		{"throughput exceeded", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, true},
		{"request limit", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}, true},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"internal server error", responseError(500, &types.InternalServerError{Message: aws.String("oops")}), true},
		{"service unavailable", responseError(503, errors.New("unavailable")), true},
		{"deadline", context.DeadlineExceeded, true},
		{"access denied", responseError(400, &smithy.GenericAPIError{Code: "AccessDeniedException"}), false},
		{"validation", responseError(400, &smithy.GenericAPIError{Code: "ValidationException"}), false},
		{"canceled", context.Canceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops := map[string]func(*dynamo.Store) error{
				"create": func(s *dynamo.Store) error {
					_, err := s.Create(t.Context(), job.NewJob("j", "arn", nil, jobtest.T0))
					return err
				},
				"finish": func(s *dynamo.Store) error {
					_, err := s.Finish(t.Context(), job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusFailed, At: jobtest.T0})
					return err
				},
				"get": func(s *dynamo.Store) error {
					_, err := s.Get(t.Context(), "j")
					return err
				},
			}
			for op, call := range ops {
				api := &fakeAPI{err: tc.err}
				err := call(dynamo.New(api, "jobs"))
				require.Error(t, err, op)
				assert.Equal(t, tc.transient, job.IsTransient(err), "%s: %v", op, err)
				assert.ErrorIs(t, err, tc.err, op)
				assert.Equal(t, 1, api.calls, "%s: no read after a failed write that was not a condition failure", op)
			}
		})
	}
}

// A condition failure followed by a failing read surfaces the read's error.
func TestConditionFailedThenReadFails(t *testing.T) {
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	api := &sequenceAPI{errs: []error{&types.ConditionalCheckFailedException{Message: aws.String("condition")}, throttled}}
	_, err := dynamo.New(api, "jobs").Create(t.Context(), job.NewJob("j", "arn", nil, jobtest.T0))
	require.ErrorIs(t, err, throttled)
	assert.True(t, job.IsTransient(err))

	api = &sequenceAPI{errs: []error{&types.ConditionalCheckFailedException{Message: aws.String("condition")}, throttled}}
	_, err = dynamo.New(api, "jobs").Finish(t.Context(), job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusFailed, At: jobtest.T0})
	require.ErrorIs(t, err, throttled)
	assert.True(t, job.IsTransient(err))
}

// A record present for the condition but gone for the read (deleted in
// between) is worth another attempt, not a failure.
func TestConditionFailedThenRecordGone(t *testing.T) {
	api := &sequenceAPI{errs: []error{&types.ConditionalCheckFailedException{Message: aws.String("condition")}, nil}}
	_, err := dynamo.New(api, "jobs").Create(t.Context(), job.NewJob("j", "arn", nil, jobtest.T0))
	assert.True(t, job.IsTransient(err), "%v", err)

	api = &sequenceAPI{errs: []error{&types.ConditionalCheckFailedException{Message: aws.String("condition")}, nil}}
	_, err = dynamo.New(api, "jobs").Finish(t.Context(), job.Outcome{JobID: "j", ExecutionARN: "arn", Status: job.StatusFailed, At: jobtest.T0})
	assert.True(t, job.IsTransient(err), "%v", err)
}

// sequenceAPI answers call i with errs[i]; a nil error is an empty answer.
type sequenceAPI struct {
	errs []error
	n    int
}

func (f *sequenceAPI) next() error {
	err := f.errs[f.n]
	f.n++
	return err
}

func (f *sequenceAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, f.next()
}

func (f *sequenceAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, f.next()
}

func (f *sequenceAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, f.next()
}
