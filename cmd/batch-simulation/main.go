// Command batch-simulation is the Lambda behind the Simulate state: it
// generates a job's weather observations and writes them to S3.
// Configuration: BUCKET_NAME, TABLE_NAME, PROGRESS_INTERVAL, ALLOW_SIMULATED_FAILURES (off on AWS), LOG_LEVEL,
// S3_FORCE_PATH_STYLE,
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
	"github.com/asyncjobs/stepjobs/internal/function/batchsimulation"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		function.Exit("batch-simulation", err)
	}
	h, err := batchsimulation.New(ctx, function.Env{Getenv: os.Getenv, Out: os.Stdout}, objects.NewClient(cfg, os.Getenv), dynamodb.NewFromConfig(cfg))
	if err != nil {
		function.Exit("batch-simulation", err)
	}
	lambda.Start(h)
}
