// Command job-result is the Lambda behind GET /jobs/{jobId}/result (a proxy
// integration): it answers a pre-signed S3 link to the result of a job that
// SUCCEEDED and belongs to the caller. Configuration: TABLE_NAME,
// RESULT_URL_TTL (a Go duration, default 15m, at most 168h; a link also dies
// with the role credentials that signed it, see job.Presigner), LOG_LEVEL.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/awsenv"
	"github.com/asyncjobs/stepjobs/internal/function/jobresult"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		function.Exit("job-result", err)
	}
	h, err := jobresult.New(ctx, function.Env{Getenv: os.Getenv, Out: os.Stdout}, dynamodb.NewFromConfig(cfg), objects.NewClient(cfg, os.Getenv))
	if err != nil {
		function.Exit("job-result", err)
	}
	lambda.Start(h)
}
