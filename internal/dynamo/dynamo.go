// Package dynamo is the job store on DynamoDB. It implements job.Store with
// conditional writes, so concurrent and retried task invocations keep the
// rules of job.ResolveCreate and job.ResolveFinish.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// OwnerIndex is the table's global secondary index (owner, createdAt) that
// GET /jobs queries (resources/storage.yml).
const OwnerIndex = "byOwner"

var _ API = (*dynamodb.Client)(nil)

// Store keeps jobs in one DynamoDB table whose partition key is jobId (S).
type Store struct {
	api   API
	table string
}

var (
	_ job.Store            = (*Store)(nil)
	_ job.ProgressRecorder = (*Store)(nil)
)

// New returns a store on table.
func New(api API, table string) *Store { return &Store{api: api, table: table} }

// item is a job as stored. Times are RFC 3339 strings with nine fraction
// digits (readable in the console, and sortable as text: the owner index
// sorts on createdAt); the request is kept as its JSON text, byte for byte.
// owner is the jobId's owner prefix, the owner index's key; expiresAt is
// the DynamoDB TTL attribute (epoch seconds).
type item struct {
	JobID        string  `dynamodbav:"jobId"`
	Owner        string  `dynamodbav:"owner,omitempty"`
	ExecutionARN string  `dynamodbav:"executionArn"`
	Status       string  `dynamodbav:"status"`
	Request      string  `dynamodbav:"request,omitempty"`
	Result       *result `dynamodbav:"result,omitempty"`
	Error        string  `dynamodbav:"error,omitempty"`
	Cause        string  `dynamodbav:"cause,omitempty"`
	CreatedAt    string  `dynamodbav:"createdAt"`
	UpdatedAt    string  `dynamodbav:"updatedAt"`
	Generated    *int    `dynamodbav:"recordsGenerated,omitempty"`
	Total        *int    `dynamodbav:"recordsTotal,omitempty"`
	ProgressAt   string  `dynamodbav:"progressAt,omitempty"`
	ExpiresAt    int64   `dynamodbav:"expiresAt,omitempty"`
}

type result struct {
	Bucket  string `dynamodbav:"bucket"`
	Key     string `dynamodbav:"key"`
	Records int    `dynamodbav:"records"`
	Bytes   int64  `dynamodbav:"bytes"`
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction: RFC3339Nano
// drops trailing zeros, and "…05Z" would sort after "…05.1Z".
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ownerOf is the owner index key of a job id: its owner prefix, or "" (not
// indexed) for an id without one.
func ownerOf(jobID string) string {
	if p, _, ok := strings.Cut(jobID, "-"); ok && job.ValidOwnerPrefix(p) {
		return p
	}
	return ""
}

func toItem(j job.Job) item {
	it := item{
		JobID:        j.ID,
		Owner:        ownerOf(j.ID),
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
	if p := j.Progress; p != nil {
		it.Generated, it.Total, it.ProgressAt = &p.Generated, &p.Total, formatTime(p.UpdatedAt)
	}
	if !j.ExpiresAt.IsZero() {
		it.ExpiresAt = j.ExpiresAt.Unix()
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
	if it.ExpiresAt > 0 {
		j.ExpiresAt = time.Unix(it.ExpiresAt, 0).UTC()
	}
	var err error
	if it.Generated != nil && it.Total != nil {
		p := &job.Progress{Generated: *it.Generated, Total: *it.Total}
		if p.UpdatedAt, err = time.Parse(time.RFC3339Nano, it.ProgressAt); err != nil {
			return job.Job{}, fmt.Errorf("decode job %s progressAt: %w", it.JobID, err)
		}
		j.Progress = p
	}
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
	if owner := ownerOf(o.JobID); owner != "" {
		names["#owner"], values[":owner"] = "owner", &types.AttributeValueMemberS{Value: owner}
		update += ", #owner = if_not_exists(#owner, :owner)"
	}
	if !o.ExpiresAt.IsZero() {
		names["#expiresAt"] = "expiresAt"
		values[":expiresAt"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(o.ExpiresAt.Unix(), 10)}
		update += ", #expiresAt = :expiresAt"
	}
	if o.Result != nil {
		r, err := attributevalue.Marshal((*result)(o.Result))
		if err != nil {
			return job.Job{}, fmt.Errorf("dynamo: encode result of job %s: %w", o.JobID, err)
		}
		names["#result"], values[":result"] = "result", r
		update += ", #result = :result"
		// Every record generated (job.Outcome.Apply): the progress at its end.
		names["#gen"], names["#total"], names["#progressAt"] = "recordsGenerated", "recordsTotal", "progressAt"
		values[":records"] = &types.AttributeValueMemberN{Value: strconv.Itoa(o.Result.Records)}
		update += ", #gen = :records, #total = :records, #progressAt = :at"
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

// RecordProgress implements job.ProgressRecorder with an UpdateItem
// conditional on the job being RUNNING (for executionARN, when given), so
// a late report never touches a finished record.
func (s *Store) RecordProgress(ctx context.Context, jobID, executionARN string, p job.Progress) error {
	names := map[string]string{"#status": "status", "#gen": "recordsGenerated", "#total": "recordsTotal", "#at": "progressAt"}
	values := map[string]types.AttributeValue{
		":running": &types.AttributeValueMemberS{Value: string(job.StatusRunning)},
		":gen":     &types.AttributeValueMemberN{Value: strconv.Itoa(p.Generated)},
		":total":   &types.AttributeValueMemberN{Value: strconv.Itoa(p.Total)},
		":at":      &types.AttributeValueMemberS{Value: formatTime(p.UpdatedAt)},
	}
	cond := "#status = :running"
	if executionARN != "" {
		names["#arn"], values[":arn"] = "executionArn", &types.AttributeValueMemberS{Value: executionARN}
		cond += " AND #arn = :arn"
	}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(jobID),
		UpdateExpression:          aws.String("SET #gen = :gen, #total = :total, #at = :at"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil && !conditionFailed(err) {
		return awserr.Classify("dynamo: progress of job "+jobID, err)
	}
	return nil
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
