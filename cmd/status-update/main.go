// Command status-update is the Lambda behind RecordSuccess and
// RecordFailure: it writes a job's final status. Configuration: TABLE_NAME,
// LOG_LEVEL,
// METRICS_SERVICE, METRICS_NAMESPACE, METRICS_DISABLED (CloudWatch EMF
// metrics on stdout).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/awsenv"
	"github.com/asyncjobs/stepjobs/internal/function/statusupdate"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		function.Exit("status-update", err)
	}
	h, err := statusupdate.New(ctx, function.Env{Getenv: os.Getenv, Out: os.Stdout}, dynamodb.NewFromConfig(cfg))
	if err != nil {
		function.Exit("status-update", err)
	}
	lambda.Start(h)
}
