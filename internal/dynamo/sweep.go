package dynamo

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/asyncjobs/stepjobs/internal/awserr"
)

// SweepAPI is the part of the DynamoDB client a Sweeper uses.
type SweepAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ SweepAPI = (*dynamodb.Client)(nil)

// Sweeper deletes expired job records, as DynamoDB's TTL does on AWS: the
// local runtime's DynamoDB (dynalite) has no TTL.
type Sweeper struct {
	api   SweepAPI
	table string
}

// NewSweeper returns a sweeper of table.
func NewSweeper(api SweepAPI, table string) *Sweeper { return &Sweeper{api: api, table: table} }

// Sweep deletes every record whose expiresAt is at or before now and
// returns how many it deleted. Each delete is conditional on the record
// still being expired, so a record rewritten meanwhile stays.
func (s *Sweeper) Sweep(ctx context.Context, now time.Time) (int, error) {
	names := map[string]string{"#exp": "expiresAt"}
	values := map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}
	cond := aws.String("#exp <= :now")
	deleted := 0
	var start map[string]types.AttributeValue
	for {
		out, err := s.api.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(s.table), FilterExpression: cond, ProjectionExpression: aws.String("jobId"),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ExclusiveStartKey: start,
		})
		if err != nil {
			return deleted, awserr.Classify("dynamo: sweep scan", err)
		}
		for _, it := range out.Items {
			_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(s.table), Key: map[string]types.AttributeValue{"jobId": it["jobId"]},
				ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			})
			switch {
			case err == nil:
				deleted++
			case !conditionFailed(err):
				return deleted, awserr.Classify("dynamo: sweep delete", err)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return deleted, nil
		}
		start = out.LastEvaluatedKey
	}
}
