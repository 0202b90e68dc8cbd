// Package function holds what every Lambda function of the project is built
// from: its environment (Env), the handler type, and a main's start-up
// failure (Exit). Each function is put together in a package of its own
// below this one (tracking, batchsimulation, statusupdate, jobresult,
// authorizer): cmd/<name>/main.go hands the result to lambda.Start, and the
// local runtime (internal/offline) calls the very same constructor
// in-process, so the two cannot wire a handler differently. The local
// runtime's table of constructors is generated from serverless.yml
// (internal/function/catalog): cmd/<dir> is built by New of
// internal/function/<dir without dashes>.
//
// A package per function is what keeps a main small: each links only the
// service clients its handler calls (the authorizer none, so no AWS SDK),
// and every package linked runs its init on each cold start (README,
// Dependencies: the aws-sdk-go-v2 row). This package imports no AWS SDK package; awsenv builds the
// aws.Config of the mains that need one.
package function

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// Env is a function's environment, besides its service clients. A Lambda
// main fills it from the process (os.Getenv, os.Stdout); the local runtime
// from serverless.yml.
type Env struct {
	// Getenv reads the function's environment.
	Getenv func(string) string
	// Out receives the JSON log lines and the EMF metric lines: stdout in
	// Lambda, where CloudWatch Logs collects both.
	Out io.Writer
	// Logger, when set, is used instead of a JSON logger on Out at
	// LOG_LEVEL (the local runtime tags each function's lines).
	Logger *slog.Logger
}

// Handler is a typed Lambda handler, as lambda.Start takes it.
type Handler[In, Out any] func(context.Context, In) (Out, error)

// Config reads the job configuration, requiring the named variables, and
// returns it with the function's logger.
func (e Env) Config(required ...string) (job.Config, *slog.Logger, error) {
	cfg, err := job.ConfigFromEnv(e.Getenv, required...)
	if err != nil {
		return job.Config{}, nil, err
	}
	if e.Logger != nil {
		return cfg, e.Logger, nil
	}
	return cfg, cfg.Logger(e.out()), nil
}

// Metrics is the function's CloudWatch EMF emitter on Out, as its
// METRICS_* variables configure it.
func (e Env) Metrics() *metrics.Emitter { return metrics.FromEnv(e.out(), e.Getenv) }

func (e Env) out() io.Writer {
	if e.Out == nil {
		return io.Discard
	}
	return e.Out
}

// Exit logs a main's start-up failure as a JSON line and exits 1: Lambda
// then reports an init error, with the line in the function's log.
func Exit(name string, err error) {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error(name+": start-up", "error", err.Error())
	os.Exit(1)
}
