// Package notifier builds the function that delivers completion callbacks
// (internal/callback), consuming the callbacks queue the job status change
// rule feeds. It links the Secrets Manager client (the signing secret is all
// it reads) and the SQS client (a failed message's visibility).
package notifier

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/function"
)

// One attempt per invocation fits the function's 30 s timeout.
const (
	defaultAttemptTimeout = 10 * time.Second
	defaultSecretTTL      = 5 * time.Minute
)

// New builds the handler from env (CALLBACK_SECRET_ARN, CALLBACK_QUEUE_URL;
// CALLBACK_RETRY_FIRST, CALLBACK_RETRY_MAX, CALLBACK_ATTEMPT_TIMEOUT as Go
// durations; CALLBACK_ALLOW_LOOPBACK, which only the local runtime sets;
// LOG_LEVEL), the Secrets Manager client and the SQS client.
func New(_ context.Context, env function.Env, sm *secretsmanager.Client, q *sqs.Client) (function.Handler[events.SQSEvent, events.SQSEventResponse], error) {
	_, log, err := env.Config()
	if err != nil {
		return nil, err
	}
	cfg := callback.Config{SecretID: env.Getenv("CALLBACK_SECRET_ARN"), QueueURL: env.Getenv("CALLBACK_QUEUE_URL"), SecretTTL: defaultSecretTTL}
	for _, v := range [][2]string{{"CALLBACK_SECRET_ARN", cfg.SecretID}, {"CALLBACK_QUEUE_URL", cfg.QueueURL}} {
		if v[1] == "" {
			return nil, fmt.Errorf("notifier: %s is required", v[0])
		}
	}
	if v := env.Getenv("CALLBACK_ALLOW_LOOPBACK"); v != "" {
		if cfg.Policy.AllowLoopback, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("notifier: CALLBACK_ALLOW_LOOPBACK: %w", err)
		}
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
		def  time.Duration
	}{
		{"CALLBACK_RETRY_FIRST", &cfg.Backoff.First, callback.DefaultFirstRetry},
		{"CALLBACK_RETRY_MAX", &cfg.Backoff.Max, callback.DefaultMaxRetry},
		{"CALLBACK_ATTEMPT_TIMEOUT", &cfg.AttemptTimeout, defaultAttemptTimeout},
	} {
		*d.to = d.def
		if v := env.Getenv(d.name); v != "" {
			if *d.to, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("notifier: %s: %w", d.name, err)
			}
		}
	}
	return callback.New(cfg, sm, q, nil, log).HandleMessages, nil
}
