// Package statusupdate builds the function that records a job's final
// status (RecordSuccess, RecordFailure and the status change rule). It
// links the DynamoDB client only.
package statusupdate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// New builds the handler from env (TABLE_NAME, LOG_LEVEL, METRICS_*) and
// the DynamoDB client.
func New(_ context.Context, env function.Env, db *dynamodb.Client) (function.Handler[job.StatusInput, job.StatusOutput], error) {
	cfg, log, err := env.Config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	h := job.NewStatusUpdate(dynamo.New(db, cfg.TableName), job.WithLogger(log), job.WithMetrics(env.Metrics()),
		job.WithRecordTTL(cfg.RecordTTL))
	return h.Handle, nil
}
