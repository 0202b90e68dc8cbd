// Package notifier builds the function that delivers completion callbacks
// (internal/callback), behind the job status change rule. It links the
// Secrets Manager client only: the signing secret is all it reads.
package notifier

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/function"
)

// The defaults fit the function's 900 s timeout: attempts after 2 s, 4 s...
// up to 2 min apart, for 12 min; Lambda then retries the invocation twice.
const (
	defaultFirstRetry     = 2 * time.Second
	defaultMaxRetry       = 2 * time.Minute
	defaultBudget         = 12 * time.Minute
	defaultAttemptTimeout = 10 * time.Second
	defaultSecretTTL      = 5 * time.Minute
)

// New builds the handler from env (CALLBACK_SECRET_ARN; CALLBACK_RETRY_FIRST,
// CALLBACK_RETRY_MAX, CALLBACK_RETRY_BUDGET, CALLBACK_ATTEMPT_TIMEOUT as Go
// durations; CALLBACK_ALLOW_LOOPBACK, which only the local runtime sets;
// LOG_LEVEL) and the Secrets Manager client.
func New(_ context.Context, env function.Env, sm *secretsmanager.Client) (function.Handler[callback.Event, struct{}], error) {
	_, log, err := env.Config()
	if err != nil {
		return nil, err
	}
	cfg := callback.Config{SecretID: env.Getenv("CALLBACK_SECRET_ARN"), SecretTTL: defaultSecretTTL}
	if cfg.SecretID == "" {
		return nil, fmt.Errorf("notifier: CALLBACK_SECRET_ARN is required")
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
		{"CALLBACK_RETRY_FIRST", &cfg.FirstRetry, defaultFirstRetry},
		{"CALLBACK_RETRY_MAX", &cfg.MaxRetry, defaultMaxRetry},
		{"CALLBACK_RETRY_BUDGET", &cfg.Budget, defaultBudget},
		{"CALLBACK_ATTEMPT_TIMEOUT", &cfg.AttemptTimeout, defaultAttemptTimeout},
	} {
		*d.to = d.def
		if v := env.Getenv(d.name); v != "" {
			if *d.to, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("notifier: %s: %w", d.name, err)
			}
		}
	}
	n := callback.New(cfg, sm, nil, log)
	return func(ctx context.Context, ev callback.Event) (struct{}, error) {
		return struct{}{}, n.Handle(ctx, ev)
	}, nil
}
