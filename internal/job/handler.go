package job

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"time"
)

// Option configures a handler.
type Option func(*deps)

// deps are what every handler shares besides its store.
type deps struct {
	now func() time.Time
	log *slog.Logger
}

func newDeps(opts []Option) deps {
	d := deps{now: time.Now, log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
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

// WithLogger makes the handler log to l; without it the handler logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(d *deps) {
		if l != nil {
			d.log = l
		}
	}
}

// jobLogger returns the logger every line of one invocation goes through, so
// each line carries the job's identity.
func (d deps) jobLogger(handler, jobID, executionARN string) *slog.Logger {
	return d.log.With("handler", handler, "jobId", jobID, "executionArn", executionARN)
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
