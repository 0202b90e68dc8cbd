package job

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// Option configures a handler.
type Option func(*deps)

// MetricEmitter records metrics; *metrics.Emitter implements it (EMF
// lines on stdout). A nil *metrics.Emitter emits nothing.
type MetricEmitter interface {
	Emit(ctx context.Context, props map[string]any, ms ...metrics.Metric) error
}

var _ MetricEmitter = (*metrics.Emitter)(nil)

// deps are what every handler shares besides its store.
type deps struct {
	now     func() time.Time
	log     *slog.Logger
	metrics MetricEmitter
	// recordTTL is how long status-update keeps a finished record.
	recordTTL time.Duration
}

func newDeps(opts []Option) deps {
	d := deps{now: time.Now, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), recordTTL: DefaultRecordTTL}
	for _, o := range opts {
		o(&d)
	}
	return d
}

// WithClock makes the handler read the time from now (tests pass a fixed clock).
func WithClock(now func() time.Time) Option {
	return func(d *deps) {
		if now != nil {
			d.now = now
		}
	}
}

// WithRecordTTL makes status-update keep a finished record for ttl (the
// DynamoDB TTL it writes); without it, DefaultRecordTTL. Zero or less keeps
// records for ever.
func WithRecordTTL(ttl time.Duration) Option {
	return func(d *deps) { d.recordTTL = ttl }
}

// WithLogger makes the handler log to l; without it the handler logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(d *deps) {
		if l != nil {
			d.log = l
		}
	}
}

// WithMetrics makes the handler emit its metrics to m (JobsStarted,
// RecordsGenerated, JobsSucceeded/JobsFailed/..., JobDuration); without it
// the handler emits none.
func WithMetrics(m MetricEmitter) Option {
	return func(d *deps) {
		if m != nil {
			d.metrics = m
		}
	}
}

// requestID is the Lambda request id of the invocation in ctx, or "" when
// there is none (a direct call). Lambda's runtime client puts it there, and
// so can the local runtime, which invokes through lambda.NewHandler too.
// Reading a context value is all this package knows of Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// jobLogger returns the logger every line of one invocation goes through, so
// each line carries the job's identity and, under Lambda, the request id.
func (d deps) jobLogger(ctx context.Context, handler, jobID, executionARN string) *slog.Logger {
	l := d.log.With("handler", handler, "jobId", jobID, "executionArn", executionARN)
	if id := requestID(ctx); id != "" {
		l = l.With("requestId", id)
	}
	return l
}

// emit records ms with the job's identity as properties. A metric that
// cannot be written is logged, never a task failure: the job's work is done.
func (d deps) emit(ctx context.Context, log *slog.Logger, jobID, executionARN string, ms ...metrics.Metric) {
	if d.metrics == nil {
		return
	}
	props := map[string]any{"jobId": jobID, "executionArn": executionARN}
	if id := requestID(ctx); id != "" {
		props["requestId"] = id
	}
	if err := d.metrics.Emit(ctx, props, ms...); err != nil {
		log.WarnContext(ctx, "metrics not written", "error", err.Error())
	}
}

// fail logs err and returns it, so each failing path logs exactly once.
func fail(ctx context.Context, log *slog.Logger, err error) error {
	level := slog.LevelError
	if IsTransient(err) {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "task failed", "error", err.Error(), "errorType", errorTypeName(err))
	return err
}

// errorTypeName is the name Lambda gives err (aws-lambda-go names an error
// by its type, lambda/errors.go), so logs show what Retry and Catch match.
func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
