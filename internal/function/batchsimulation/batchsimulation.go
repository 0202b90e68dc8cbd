// Package batchsimulation builds the Simulate state's function: it
// generates a job's observations and writes them to S3, and its progress
// to the job record. It links the S3 and DynamoDB clients.
package batchsimulation

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

// New builds the handler from env (BUCKET_NAME, ALLOW_SIMULATED_FAILURES,
// LOG_LEVEL, METRICS_*) and the S3 client.
func New(_ context.Context, env function.Env, s3c *s3.Client, db *dynamodb.Client) (function.Handler[job.SimulationInput, job.Result], error) {
	cfg, log, err := env.Config("BUCKET_NAME", "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	store := objects.New(s3c, cfg.BucketName)
	h := job.NewBatchSimulation(store, cfg.AllowSimulatedFailures, job.WithLogger(log), job.WithMetrics(env.Metrics())).
		With(job.WithProgress(dynamo.New(db, cfg.TableName), cfg.ProgressInterval))
	return h.Handle, nil
}
