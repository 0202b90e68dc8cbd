package loadtest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ScanAPI is the part of the DynamoDB client Table uses.
type ScanAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ ScanAPI = (*dynamodb.Client)(nil)

// Table reads the job table (partition key jobId, attribute status).
type Table struct {
	API  ScanAPI
	Name string
}

// JobStatuses scans the whole table: job id to status.
func (t Table) JobStatuses(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	in := &dynamodb.ScanInput{TableName: aws.String(t.Name), ProjectionExpression: aws.String("jobId, #s"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}}
	p := dynamodb.NewScanPaginator(t.API, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", t.Name, err)
		}
		for _, item := range page.Items {
			id, _ := item["jobId"].(*types.AttributeValueMemberS)
			st, _ := item["status"].(*types.AttributeValueMemberS)
			if id == nil {
				continue
			}
			status := ""
			if st != nil {
				status = st.Value
			}
			out[id.Value] = status
		}
	}
	return out, nil
}
