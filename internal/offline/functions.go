package offline

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/objects"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// FunctionDeps is what a Lambda main would build from its environment: the
// configuration its environment gives, the SDK clients, and a logger.
type FunctionDeps struct {
	// Env is the function's environment as serverless.yml declares it, with
	// the stack's references resolved to local names.
	Env      map[string]string
	DynamoDB *dynamodb.Client
	S3       *s3.Client
	Logger   *slog.Logger
}

// FunctionFactory builds one Lambda function's handler as its cmd/<dir>
// main does, as an in-process invoker.
type FunctionFactory func(d FunctionDeps) (sfn.Invoker, error)

// Functions maps a Lambda main's directory under cmd/ to its handler: the
// same constructors and the same configuration reading as the main, so the
// local runtime runs exactly the code that is deployed. serverless.yml's
// package.artifact (dist/<dir>.zip, built from cmd/<dir>) selects the entry.
var Functions = map[string]FunctionFactory{
	// cmd/tracking
	"tracking": func(d FunctionDeps) (sfn.Invoker, error) {
		cfg, err := job.ConfigFromEnv(d.getenv, "TABLE_NAME")
		if err != nil {
			return nil, err
		}
		h := job.NewTracking(dynamo.New(d.DynamoDB, cfg.TableName), job.WithLogger(d.Logger))
		return sfn.LambdaFunc(h.Handle), nil
	},
	// cmd/batch-simulation
	"batch-simulation": func(d FunctionDeps) (sfn.Invoker, error) {
		cfg, err := job.ConfigFromEnv(d.getenv, "BUCKET_NAME")
		if err != nil {
			return nil, err
		}
		h := job.NewBatchSimulation(objects.New(d.S3, cfg.BucketName), cfg.AllowSimulatedFailures, job.WithLogger(d.Logger))
		return sfn.LambdaFunc(h.Handle), nil
	},
	// cmd/status-update
	"status-update": func(d FunctionDeps) (sfn.Invoker, error) {
		cfg, err := job.ConfigFromEnv(d.getenv, "TABLE_NAME")
		if err != nil {
			return nil, err
		}
		h := job.NewStatusUpdate(dynamo.New(d.DynamoDB, cfg.TableName), job.WithLogger(d.Logger))
		return sfn.LambdaFunc(h.Handle), nil
	},
	// cmd/authorizer (the runtime points ISSUER, AUDIENCE and JWKS_URL at
	// its dev issuer, or sets AUTH_DISABLED; see auth.go)
	"authorizer": func(d FunctionDeps) (sfn.Invoker, error) {
		s, err := auth.SettingsFromEnv(d.getenv)
		if err != nil {
			return nil, err
		}
		opts := []auth.AuthorizerOption{auth.WithOwnerKey(s.OwnerKey), auth.WithLogger(d.Logger)}
		if s.Disabled {
			return sfn.LambdaFunc(auth.NewAuthorizer(nil, opts...).Handle), nil
		}
		// As in the Lambda: the key set is fetched over HTTP and cached
		// for the life of the function (here, of the runtime).
		keys, err := auth.NewKeySet(context.Background(), s.JWKSURL(), auth.KeySetOptions{Logger: d.Logger})
		if err != nil {
			return nil, err
		}
		v, err := auth.NewVerifier(s.Verifier, keys)
		if err != nil {
			return nil, err
		}
		return sfn.LambdaFunc(auth.NewAuthorizer(v, opts...).Handle), nil
	},
	// cmd/job-result: links are signed for the local S3 endpoint, so they
	// download from it.
	"job-result": func(d FunctionDeps) (sfn.Invoker, error) {
		cfg, err := job.ConfigFromEnv(d.getenv, "TABLE_NAME")
		if err != nil {
			return nil, err
		}
		var ttl time.Duration
		if v := d.Env["RESULT_URL_TTL"]; v != "" {
			if ttl, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("RESULT_URL_TTL=%s: want a duration such as 15m", v)
			}
		}
		presign := objects.NewPresigner(s3.NewPresignClient(d.S3), d.S3.Options().Credentials)
		h, err := job.NewResultLink(dynamo.New(d.DynamoDB, cfg.TableName), presign, ttl, job.WithLogger(d.Logger))
		if err != nil {
			return nil, err
		}
		return sfn.LambdaFunc(h.HandleAPIGateway), nil
	},
}

func (d FunctionDeps) getenv(name string) string { return d.Env[name] }

// functionDir is the cmd/ directory a function is built from, read from its
// artifact: dist/<dir>.zip.
func functionDir(fn slsconfig.Function) (string, error) {
	if fn.Artifact == "" {
		return "", fmt.Errorf("function %s: no package.artifact: the local runtime finds a function's handler by its artifact dist/<cmd dir>.zip", fn.Key)
	}
	base := path.Base(fn.Artifact)
	dir, ok := strings.CutSuffix(base, ".zip")
	if !ok || dir == "" {
		return "", fmt.Errorf("function %s: artifact %q is not dist/<cmd dir>.zip", fn.Key, fn.Artifact)
	}
	return dir, nil
}

// functionFactory returns the handler factory of fn.
func functionFactory(fn slsconfig.Function, known map[string]FunctionFactory) (FunctionFactory, error) {
	dir, err := functionDir(fn)
	if err != nil {
		return nil, err
	}
	f, ok := known[dir]
	if !ok {
		return nil, fmt.Errorf("function %s: no local handler for cmd/%s (artifact %s): add it to offline.Functions", fn.Key, dir, fn.Artifact)
	}
	return f, nil
}
