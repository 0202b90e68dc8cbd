// Command tracking is the Lambda behind the Track state: it writes the job
// record when an execution starts. Configuration: TABLE_NAME, LOG_LEVEL,
// METRICS_SERVICE, METRICS_NAMESPACE, METRICS_DISABLED (CloudWatch EMF
// metrics on stdout).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/metrics"
)

func main() {
	cfg, err := job.ConfigFromEnv(os.Getenv, "TABLE_NAME")
	if err != nil {
		slog.Error("tracking: configuration", "error", err)
		os.Exit(1)
	}
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("tracking: AWS configuration", "error", err)
		os.Exit(1)
	}
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.TableName)
	lambda.Start(job.NewTracking(store, job.WithLogger(cfg.Logger(os.Stdout)),
		job.WithMetrics(metrics.FromEnv(os.Stdout, os.Getenv))).Handle)
}
