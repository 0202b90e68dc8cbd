// Package jobresult builds the GET /jobs/{jobId}/result function: a
// pre-signed link to a succeeded job's result. It links the DynamoDB and
// S3 clients.
package jobresult

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

// New builds the handler from env (TABLE_NAME, RESULT_URL_TTL, default 15
// minutes, LOG_LEVEL), the DynamoDB client that reads the job and the S3
// client whose credentials sign the link.
func New(_ context.Context, env function.Env, db *dynamodb.Client, s3c *s3.Client) (function.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
	cfg, log, err := env.Config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	var ttl time.Duration
	if v := env.Getenv("RESULT_URL_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("config: RESULT_URL_TTL=%s: want a duration such as 15m", v)
		}
	}
	// The link cannot outlive the credentials that sign it: the presigner
	// reads their expiry.
	presign := objects.NewPresigner(s3.NewPresignClient(s3c), s3c.Options().Credentials)
	h, err := job.NewResultLink(dynamo.New(db, cfg.TableName), presign, ttl, job.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return h.HandleAPIGateway, nil
}
