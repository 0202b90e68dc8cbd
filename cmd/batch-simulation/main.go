// Command batch-simulation is the Lambda behind the Simulate state: it
// generates a job's weather observations and writes them to S3.
// Configuration: BUCKET_NAME, ALLOW_SIMULATED_FAILURES (off on AWS), LOG_LEVEL,
// METRICS_SERVICE, METRICS_NAMESPACE, METRICS_DISABLED (CloudWatch EMF
// metrics on stdout).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/metrics"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

func main() {
	cfg, err := job.ConfigFromEnv(os.Getenv, "BUCKET_NAME")
	if err != nil {
		slog.Error("batch-simulation: configuration", "error", err)
		os.Exit(1)
	}
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("batch-simulation: AWS configuration", "error", err)
		os.Exit(1)
	}
	store := objects.New(s3.NewFromConfig(aws), cfg.BucketName)
	h := job.NewBatchSimulation(store, cfg.AllowSimulatedFailures, job.WithLogger(cfg.Logger(os.Stdout)),
		job.WithMetrics(metrics.FromEnv(os.Stdout, os.Getenv)))
	lambda.Start(h.Handle)
}
