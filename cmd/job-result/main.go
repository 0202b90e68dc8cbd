// Command job-result is the Lambda behind GET /jobs/{jobId}/result (a proxy
// integration): it answers a pre-signed S3 link to the result of a job that
// SUCCEEDED and belongs to the caller. Configuration: TABLE_NAME,
// RESULT_URL_TTL (a Go duration, default 15m, at most 168h; a link also dies
// with the role credentials that signed it, see job.Presigner), LOG_LEVEL.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

func main() {
	cfg, err := job.ConfigFromEnv(os.Getenv, "TABLE_NAME")
	if err != nil {
		slog.Error("job-result: configuration", "error", err)
		os.Exit(1)
	}
	var ttl time.Duration
	if v := os.Getenv("RESULT_URL_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil {
			slog.Error("job-result: configuration", "error", "RESULT_URL_TTL="+v+": want a duration such as 15m")
			os.Exit(1)
		}
	}
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("job-result: AWS configuration", "error", err)
		os.Exit(1)
	}
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.TableName)
	presign := objects.NewPresigner(s3.NewPresignClient(s3.NewFromConfig(aws)), aws.Credentials)
	h, err := job.NewResultLink(store, presign, ttl, job.WithLogger(cfg.Logger(os.Stdout)))
	if err != nil {
		slog.Error("job-result: configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.HandleAPIGateway)
}
