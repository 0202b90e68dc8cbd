// Package dynamo is the job store on DynamoDB. It implements job.Store with
// conditional writes, so concurrent and retried task invocations keep the
// rules of job.ResolveCreate and job.ResolveFinish.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/asyncjobs/stepjobs/internal/awserr"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Store keeps jobs in one DynamoDB table whose partition key is jobId (S).
type Store struct {
	api   API
	table string
}

var _ job.Store = (*Store)(nil)

// New returns a store on table.
func New(api API, table string) *Store { return &Store{api: api, table: table} }

// item is a job as stored. Times are RFC 3339 strings (readable in the
// console, sortable); the request is kept as its JSON text, byte for byte.
type item struct {
	JobID        string  `dynamodbav:"jobId"`
	ExecutionARN string  `dynamodbav:"executionArn"`
	Status       string  `dynamodbav:"status"`
	Request      string  `dynamodbav:"request,omitempty"`
	Result       *result `dynamodbav:"result,omitempty"`
	Error        string  `dynamodbav:"error,omitempty"`
	Cause        string  `dynamodbav:"cause,omitempty"`
	CreatedAt    string  `dynamodbav:"createdAt"`
	UpdatedAt    string  `dynamodbav:"updatedAt"`
}

type result struct {
	Bucket  string `dynamodbav:"bucket"`
	Key     string `dynamodbav:"key"`
	Records int    `dynamodbav:"records"`
	Bytes   int64  `dynamodbav:"bytes"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toItem(j job.Job) item {
	it := item{
		JobID:        j.ID,
		ExecutionARN: j.ExecutionARN,
		Status:       string(j.Status),
		Request:      string(j.Request),
		Error:        j.Error,
		Cause:        j.Cause,
		CreatedAt:    formatTime(j.CreatedAt),
		UpdatedAt:    formatTime(j.UpdatedAt),
	}
	if j.Result != nil {
		it.Result = (*result)(j.Result)
	}
	return it
}

func fromItem(av map[string]types.AttributeValue) (job.Job, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return job.Job{}, fmt.Errorf("decode job item: %w", err)
	}
	j := job.Job{
		ID:           it.JobID,
		ExecutionARN: it.ExecutionARN,
		Status:       job.Status(it.Status),
		Error:        it.Error,
		Cause:        it.Cause,
		Result:       (*job.Result)(it.Result),
	}
	if it.Request != "" {
		j.Request = []byte(it.Request)
	}
	var err error
	if j.CreatedAt, err = time.Parse(time.RFC3339Nano, it.CreatedAt); err != nil {
		return job.Job{}, fmt.Errorf("decode job %s createdAt: %w", it.JobID, err)
	}
	if j.UpdatedAt, err = time.Parse(time.RFC3339Nano, it.UpdatedAt); err != nil {
		return job.Job{}, fmt.Errorf("decode job %s updatedAt: %w", it.JobID, err)
	}
	return j, nil
}

// Create implements job.Creator with a PutItem conditional on the key being
// absent; when it is present, the stored record decides (job.ResolveCreate).
func (s *Store) Create(ctx context.Context, j job.Job) (job.Job, error) {
	if err := j.Validate(); err != nil {
		return job.Job{}, err
	}
	av, err := attributevalue.MarshalMap(toItem(j))
	if err != nil {
		return job.Job{}, fmt.Errorf("dynamo: encode job %s: %w", j.ID, err)
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(jobId)"),
	})
	if err == nil {
		j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC() // as a read would return them
		return j, nil
	}
	if !conditionFailed(err) {
		return job.Job{}, awserr.Classify("dynamo: put job "+j.ID, err)
	}
	existing, err := s.Get(ctx, j.ID)
	if errors.Is(err, job.ErrNotFound) {
		// Present for the condition, gone for the read: only a delete does that.
		return job.Job{}, &job.TransientError{Op: "dynamo: put job " + j.ID, Err: errors.New("record vanished while being created")}
	}
	if err != nil {
		return job.Job{}, err
	}
	return job.ResolveCreate(existing, j)
}

// Finish implements job.Finisher with an UpdateItem conditional on the job
// being RUNNING for the same execution (or absent, when the outcome may
// create the record). When the condition fails, the stored record decides
// (job.ResolveFinish): the same status again is success, anything else a
// conflict.
func (s *Store) Finish(ctx context.Context, o job.Outcome) (job.Job, error) {
	if err := o.Validate(); err != nil {
		return job.Job{}, err
	}
	at := formatTime(o.At)
	names := map[string]string{"#status": "status", "#updatedAt": "updatedAt", "#createdAt": "createdAt", "#arn": "executionArn"}
	values := map[string]types.AttributeValue{
		":status":  &types.AttributeValueMemberS{Value: string(o.Status)},
		":running": &types.AttributeValueMemberS{Value: string(job.StatusRunning)},
		":arn":     &types.AttributeValueMemberS{Value: o.ExecutionARN},
		":at":      &types.AttributeValueMemberS{Value: at},
	}
	update := "SET #status = :status, #updatedAt = :at, #arn = :arn, #createdAt = if_not_exists(#createdAt, :at)"
	if o.Result != nil {
		r, err := attributevalue.Marshal((*result)(o.Result))
		if err != nil {
			return job.Job{}, fmt.Errorf("dynamo: encode result of job %s: %w", o.JobID, err)
		}
		names["#result"], values[":result"] = "result", r
		update += ", #result = :result"
	}
	if o.Error != "" {
		names["#error"], values[":error"] = "error", &types.AttributeValueMemberS{Value: o.Error}
		update += ", #error = :error"
	}
	if o.Cause != "" {
		names["#cause"], values[":cause"] = "cause", &types.AttributeValueMemberS{Value: o.Cause}
		update += ", #cause = :cause"
	}
	cond := "#status = :running AND #arn = :arn"
	if o.CreatesRecord() {
		cond = "attribute_not_exists(jobId) OR (" + cond + ")"
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(o.JobID),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err == nil {
		return fromItem(out.Attributes)
	}
	op := fmt.Sprintf("dynamo: finish job %s as %s", o.JobID, o.Status)
	if !conditionFailed(err) {
		return job.Job{}, awserr.Classify(op, err)
	}
	var existing *job.Job
	switch j, err := s.Get(ctx, o.JobID); {
	case err == nil:
		existing = &j
	case !errors.Is(err, job.ErrNotFound):
		return job.Job{}, err
	}
	stored, write, err := job.ResolveFinish(existing, o)
	if err != nil {
		return job.Job{}, err
	}
	if write {
		// The condition failed yet the record now allows the write: it was
		// deleted or replaced meanwhile. Let the state machine try again.
		return job.Job{}, &job.TransientError{Op: op, Err: errors.New("record changed during the update")}
	}
	return stored, nil
}

// Get implements job.Getter with a strongly consistent read, so a decision
// made after a failed condition sees the write that failed it.
func (s *Store) Get(ctx context.Context, id string) (job.Job, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return job.Job{}, awserr.Classify("dynamo: get job "+id, err)
	}
	if len(out.Item) == 0 {
		return job.Job{}, &job.JobNotFound{JobID: id}
	}
	return fromItem(out.Item)
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"jobId": &types.AttributeValueMemberS{Value: id}}
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
