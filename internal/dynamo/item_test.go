package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// The item codec built by hand is the attributevalue package's on every
// shape of job the store writes and on what other writers may leave.
func TestItemCodec(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	jobs := map[string]job.Job{
		"new":       job.NewJob("j1", "arn:1", []byte(`{"records": 5}`), at),
		"owned":     job.NewJob("abcd1234-j2", "arn:2", nil, at),
		"empty ids": {Status: job.StatusRunning, CreatedAt: at, UpdatedAt: at},
		"finished": {ID: "j3", ExecutionARN: "arn:3", Status: job.StatusSucceeded, CreatedAt: at, UpdatedAt: at.Add(time.Second),
			Request: []byte(`{}`), Result: &job.Result{Bucket: "b", Key: "results/j3.json", Records: 5, Bytes: 99},
			Progress: &job.Progress{Generated: 5, Total: 5, UpdatedAt: at}, ExpiresAt: at.Add(time.Hour)},
		"failed":           {ID: "j4", ExecutionARN: "arn:4", Status: job.StatusFailed, CreatedAt: at, UpdatedAt: at, Error: "E", Cause: "c"},
		"zero progress":    {ID: "j5", ExecutionARN: "arn:5", Status: job.StatusRunning, CreatedAt: at, UpdatedAt: at, Progress: &job.Progress{UpdatedAt: at}},
		"zero result":      {ID: "j6", ExecutionARN: "arn:6", Status: job.StatusSucceeded, CreatedAt: at, UpdatedAt: at, Result: &job.Result{}},
		"before the epoch": {ID: "j7", ExecutionARN: "arn:7", Status: job.StatusRunning, CreatedAt: at, UpdatedAt: at, ExpiresAt: time.Unix(-5, 0)},
	}
	for name, j := range jobs {
		t.Run(name, func(t *testing.T) {
			it := toItem(j)
			want, err := attributevalue.MarshalMap(it)
			require.NoError(t, err)
			assert.Equal(t, want, it.attributes())
			if it.Result != nil {
				r, err := attributevalue.Marshal(it.Result)
				require.NoError(t, err)
				assert.Equal(t, r, it.Result.attribute())
			}

			var back item
			require.NoError(t, attributevalue.UnmarshalMap(want, &back))
			got, err := itemFrom(want)
			require.NoError(t, err)
			assert.Equal(t, back, got)
		})
	}

	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	null := &types.AttributeValueMemberNULL{Value: true}
	others := map[string]map[string]types.AttributeValue{
		"nulls":              {"jobId": s("j"), "owner": null, "error": null, "recordsGenerated": null, "result": null, "expiresAt": null},
		"unknown attributes": {"jobId": s("j"), "extra": n("1"), "more": &types.AttributeValueMemberBOOL{Value: true}},
		"result with nulls": {"jobId": s("j"), "result": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"bucket": null, "records": n("3"), "other": s("x")}}},
		"negative":          {"jobId": s("j"), "expiresAt": n("-5"), "recordsTotal": n("-1")},
		"string for number": {"jobId": s("j"), "expiresAt": s("5")},
		"number for string": {"jobId": n("5")},
		"fraction":          {"jobId": s("j"), "recordsTotal": n("1.5")},
		"exponent":          {"jobId": s("j"), "expiresAt": n("1e3")},
		"overflow":          {"jobId": s("j"), "expiresAt": n("99999999999999999999")},
		"list for result":   {"jobId": s("j"), "result": &types.AttributeValueMemberL{}},
		"bool for string":   {"status": &types.AttributeValueMemberBOOL{Value: true}},
		"binary for string": {"status": &types.AttributeValueMemberB{Value: []byte("RUNNING")}},
		"number in result":  {"result": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"bytes": s("1")}}},
	}
	for name, av := range others {
		t.Run(name, func(t *testing.T) {
			var want item
			wantErr := attributevalue.UnmarshalMap(av, &want)
			got, err := itemFrom(av)
			if wantErr != nil {
				assert.Error(t, err, "attributevalue: %v", wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}
