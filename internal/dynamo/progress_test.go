package dynamo_test

import (
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/job/jobtest"
)

const (
	ownerID  = "0123456789abcdef-k1"
	ownerARN = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:" + ownerID
)

func TestRecordProgress(t *testing.T) {
	ctx := t.Context()
	table := newTable(t)
	s := dynamo.New(client, table)
	_, err := s.Create(ctx, job.NewJob(ownerID, ownerARN, nil, jobtest.T0))
	require.NoError(t, err)

	p := job.Progress{Generated: 400, Total: 1000, UpdatedAt: jobtest.T0.Add(time.Second)}
	require.NoError(t, s.RecordProgress(ctx, ownerID, ownerARN, p))
	got, err := s.Get(ctx, ownerID)
	require.NoError(t, err)
	assert.Equal(t, &p, got.Progress)
	assert.Equal(t, job.StatusRunning, got.Status)

	// Another execution's report, or one for a missing record, changes nothing and is no error.
	require.NoError(t, s.RecordProgress(ctx, ownerID, ownerARN+"-other", job.Progress{Generated: 999, Total: 1000, UpdatedAt: jobtest.T0}))
	require.NoError(t, s.RecordProgress(ctx, "0123456789abcdef-missing", "", p))
	got, err = s.Get(ctx, ownerID)
	require.NoError(t, err)
	assert.Equal(t, 400, got.Progress.Generated)
	_, err = s.Get(ctx, "0123456789abcdef-missing")
	assert.ErrorIs(t, err, job.ErrNotFound, "a report never creates a record")

	// A success sets the progress to every record; a late report no longer writes.
	expires := jobtest.T0.Add(30 * 24 * time.Hour).Truncate(time.Second)
	finished, err := s.Finish(ctx, job.Outcome{JobID: ownerID, ExecutionARN: ownerARN, Status: job.StatusSucceeded, At: jobtest.T0.Add(3 * time.Second),
		ExpiresAt: expires, Result: &job.Result{Bucket: "b", Key: "k", Records: 1000, Bytes: 1}})
	require.NoError(t, err)
	done := job.Progress{Generated: 1000, Total: 1000, UpdatedAt: jobtest.T0.Add(3 * time.Second)}
	assert.Equal(t, &done, finished.Progress)
	assert.Equal(t, expires, finished.ExpiresAt)
	require.NoError(t, s.RecordProgress(ctx, ownerID, "", job.Progress{Generated: 1, Total: 1000, UpdatedAt: jobtest.T0}))
	got, err = s.Get(ctx, ownerID)
	require.NoError(t, err)
	assert.Equal(t, &done, got.Progress)
	assert.Equal(t, expires, got.ExpiresAt)

	// The owner index's attributes: the owner prefix, and expiresAt as a number (the TTL).
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"jobId": &types.AttributeValueMemberS{Value: ownerID}}})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "0123456789abcdef"}, out.Item["owner"])
	assert.Equal(t, &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)}, out.Item["expiresAt"])
}

// createdAt sorts as text in time order (the owner index's sort key): a
// fixed nine-digit fraction, so a whole second sorts before its fractions.
func TestCreatedAtSortsAsText(t *testing.T) {
	ctx := t.Context()
	table := newTable(t)
	s := dynamo.New(client, table)
	base := time.Date(2026, 12, 6, 10, 0, 5, 0, time.UTC)
	times := []time.Time{base.Add(100 * time.Millisecond), base, base.Add(time.Second), base.Add(time.Nanosecond)}
	var stored []string
	for i, at := range times {
		id := "0123456789abcdef-s" + string(rune('a'+i))
		_, err := s.Create(ctx, job.NewJob(id, "arn:"+id, nil, at))
		require.NoError(t, err)
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{"jobId": &types.AttributeValueMemberS{Value: id}}})
		require.NoError(t, err)
		stored = append(stored, out.Item["createdAt"].(*types.AttributeValueMemberS).Value)
	}
	sorted := append([]string(nil), stored...)
	sort.Strings(sorted)
	assert.Equal(t, []string{stored[1], stored[3], stored[0], stored[2]}, sorted)
}

func TestSweeper(t *testing.T) {
	ctx := t.Context()
	table := newTable(t)
	s := dynamo.New(client, table)
	at := jobtest.T0
	for i, exp := range []time.Duration{time.Hour, 2 * time.Hour, 0} {
		id := "0123456789abcdef-e" + string(rune('a'+i))
		_, err := s.Create(ctx, job.NewJob(id, "arn:"+id, nil, at))
		require.NoError(t, err)
		o := job.Outcome{JobID: id, ExecutionARN: "arn:" + id, Status: job.StatusFailed, At: at}
		if exp > 0 {
			o.ExpiresAt = at.Add(exp)
		}
		_, err = s.Finish(ctx, o)
		require.NoError(t, err)
	}
	sw := dynamo.NewSweeper(client, table)
	for _, tc := range []struct {
		now     time.Time
		deleted int
		left    []string
	}{
		{at.Add(time.Hour - time.Second), 0, []string{"a", "b", "c"}},
		{at.Add(time.Hour), 1, []string{"b", "c"}},
		{at.Add(100 * time.Hour), 1, []string{"c"}},
	} {
		n, err := sw.Sweep(ctx, tc.now)
		require.NoError(t, err)
		assert.Equal(t, tc.deleted, n, "at %s", tc.now)
		for _, suffix := range []string{"a", "b", "c"} {
			_, err := s.Get(ctx, "0123456789abcdef-e"+suffix)
			if slices.Contains(tc.left, suffix) {
				assert.NoError(t, err, suffix)
			} else {
				assert.ErrorIs(t, err, job.ErrNotFound, suffix)
			}
		}
	}
	_, err := dynamo.NewSweeper(client, "no-such-table").Sweep(ctx, at)
	assert.Error(t, err)
}
