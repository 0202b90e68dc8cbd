// Package tracking builds the Track state's function: it writes the job
// record when an execution starts. It links the DynamoDB client only.
package tracking

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// New builds the handler from env (TABLE_NAME, LOG_LEVEL, METRICS_*) and
// the DynamoDB client.
func New(_ context.Context, env function.Env, db *dynamodb.Client) (function.Handler[job.TrackingInput, job.TrackingOutput], error) {
	cfg, log, err := env.Config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	h := job.NewTracking(dynamo.New(db, cfg.TableName), job.WithLogger(log), job.WithMetrics(env.Metrics()))
	return h.Handle, nil
}
