// Package function builds each of the project's Lambda functions from its
// environment and SDK clients. It is the one place where a handler is put
// together: cmd/<name>/main.go hands the result to lambda.Start, and the
// local runtime (internal/offline) calls the very same function in-process,
// so the two cannot wire a handler differently.
package function

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/metrics"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

// Deps is what a function is built from. A Lambda main fills it from the
// process (os.Getenv, os.Stdout, clients from the default AWS config); the
// local runtime from serverless.yml and its local endpoints.
type Deps struct {
	// Getenv reads the function's environment.
	Getenv func(string) string
	// DynamoDB and S3 are the clients of the functions that need them.
	DynamoDB *dynamodb.Client
	S3       *s3.Client
	// Out receives the JSON log lines and the EMF metric lines: stdout in
	// Lambda, where CloudWatch Logs collects both.
	Out io.Writer
	// Logger, when set, is used instead of a JSON logger on Out at
	// LOG_LEVEL (the local runtime tags each function's lines).
	Logger *slog.Logger
}

// Handler is a typed Lambda handler, as lambda.Start takes it.
type Handler[In, Out any] func(context.Context, In) (Out, error)

// Tracking builds the Track state's function: it writes the job record.
func Tracking(_ context.Context, d Deps) (Handler[job.TrackingInput, job.TrackingOutput], error) {
	cfg, log, err := d.config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	h := job.NewTracking(dynamo.New(d.DynamoDB, cfg.TableName), job.WithLogger(log), job.WithMetrics(d.metrics()))
	return h.Handle, nil
}

// BatchSimulation builds the Simulate state's function: it generates the
// observations and writes them to S3.
func BatchSimulation(_ context.Context, d Deps) (Handler[job.SimulationInput, job.Result], error) {
	cfg, log, err := d.config("BUCKET_NAME")
	if err != nil {
		return nil, err
	}
	store := objects.New(d.S3, cfg.BucketName)
	h := job.NewBatchSimulation(store, cfg.AllowSimulatedFailures, job.WithLogger(log), job.WithMetrics(d.metrics()))
	return h.Handle, nil
}

// StatusUpdate builds the function that records a job's final status.
func StatusUpdate(_ context.Context, d Deps) (Handler[job.StatusInput, job.StatusOutput], error) {
	cfg, log, err := d.config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	h := job.NewStatusUpdate(dynamo.New(d.DynamoDB, cfg.TableName), job.WithLogger(log), job.WithMetrics(d.metrics()))
	return h.Handle, nil
}

// JobResult builds the GET /jobs/{jobId}/result function: a pre-signed link
// to a succeeded job's result, valid RESULT_URL_TTL (default 15 minutes).
func JobResult(_ context.Context, d Deps) (Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
	cfg, log, err := d.config("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	var ttl time.Duration
	if v := d.Getenv("RESULT_URL_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("config: RESULT_URL_TTL=%s: want a duration such as 15m", v)
		}
	}
	// The link cannot outlive the credentials that sign it: the presigner
	// reads their expiry.
	presign := objects.NewPresigner(s3.NewPresignClient(d.S3), d.S3.Options().Credentials)
	h, err := job.NewResultLink(dynamo.New(d.DynamoDB, cfg.TableName), presign, ttl, job.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return h.HandleAPIGateway, nil
}

// Authorizer builds the TOKEN authorizer. ctx bounds the key set's
// background refresh: the life of the sandbox in Lambda, of the runtime
// locally.
func Authorizer(ctx context.Context, d Deps) (Handler[events.APIGatewayCustomAuthorizerRequest, events.APIGatewayCustomAuthorizerResponse], error) {
	log, err := d.logger()
	if err != nil {
		return nil, err
	}
	s, err := auth.SettingsFromEnv(d.Getenv)
	if err != nil {
		return nil, err
	}
	opts := []auth.AuthorizerOption{auth.WithOwnerKey(s.OwnerKey), auth.WithLogger(log)}
	if s.Disabled {
		log.Warn("authorizer: AUTH_DISABLED=true: every request is allowed as " + auth.AnonymousPrincipal)
		return auth.NewAuthorizer(nil, opts...).Handle, nil
	}
	// The key set is fetched once per cold start and cached, not per request.
	keys, err := auth.NewKeySet(ctx, s.JWKSURL(), auth.KeySetOptions{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	v, err := auth.NewVerifier(s.Verifier, keys)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	return auth.NewAuthorizer(v, opts...).Handle, nil
}

// NewS3 is the S3 client of a Lambda main. S3_FORCE_PATH_STYLE=true asks
// for path-style addressing, which S3-protocol servers on a host name need
// (the local runtime's process mode sets it).
func NewS3(cfg aws.Config, getenv func(string) string) *s3.Client {
	pathStyle, _ := strconv.ParseBool(getenv("S3_FORCE_PATH_STYLE"))
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}

// Exit logs a main's start-up failure as a JSON line and exits 1: Lambda
// then reports an init error, with the line in the function's log.
func Exit(name string, err error) {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error(name+": start-up", "error", err.Error())
	os.Exit(1)
}

func (d Deps) config(required ...string) (job.Config, *slog.Logger, error) {
	cfg, err := job.ConfigFromEnv(d.Getenv, required...)
	if err != nil {
		return job.Config{}, nil, err
	}
	if d.Logger != nil {
		return cfg, d.Logger, nil
	}
	return cfg, cfg.Logger(d.out()), nil
}

func (d Deps) logger() (*slog.Logger, error) {
	_, log, err := d.config()
	return log, err
}

func (d Deps) metrics() *metrics.Emitter { return metrics.FromEnv(d.out(), d.Getenv) }

func (d Deps) out() io.Writer {
	if d.Out == nil {
		return io.Discard
	}
	return d.Out
}
