package offline

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/authorizer"
	"github.com/asyncjobs/stepjobs/internal/function/batchsimulation"
	"github.com/asyncjobs/stepjobs/internal/function/jobresult"
	"github.com/asyncjobs/stepjobs/internal/function/statusupdate"
	"github.com/asyncjobs/stepjobs/internal/function/tracking"
	"github.com/asyncjobs/stepjobs/internal/sfn"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// FunctionDeps is what a Lambda main would build from its environment: the
// configuration its environment gives, the SDK clients, and a logger.
type FunctionDeps struct {
	// Ctx bounds what a function keeps running in the background (the
	// authorizer's key set refresh): the runtime's life.
	Ctx context.Context
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

// Functions maps a Lambda main's directory under cmd/ to its handler, built
// by the same internal/function/<name> constructor the main calls, so the
// local runtime runs exactly the code that is deployed. serverless.yml's
// package.artifact (dist/<dir>.zip, built from cmd/<dir>) selects the entry.
var Functions = map[string]FunctionFactory{
	"tracking": func(d FunctionDeps) (sfn.Invoker, error) {
		return invoker(tracking.New(d.ctx(), d.env(), d.DynamoDB))
	},
	"batch-simulation": func(d FunctionDeps) (sfn.Invoker, error) {
		return invoker(batchsimulation.New(d.ctx(), d.env(), d.S3))
	},
	"status-update": func(d FunctionDeps) (sfn.Invoker, error) {
		return invoker(statusupdate.New(d.ctx(), d.env(), d.DynamoDB))
	},
	// The runtime points ISSUER, AUDIENCE and JWKS_URL at its dev issuer, or
	// sets AUTH_DISABLED (auth.go).
	"authorizer": func(d FunctionDeps) (sfn.Invoker, error) {
		return invoker(authorizer.New(d.ctx(), d.env()))
	},
	// Links are signed for the local S3 endpoint, so they download from it.
	"job-result": func(d FunctionDeps) (sfn.Invoker, error) {
		return invoker(jobresult.New(d.ctx(), d.env(), d.DynamoDB, d.S3))
	},
}

// invoker adapts a function constructor's result to a FunctionFactory's.
func invoker[In, Out any](h function.Handler[In, Out], err error) (sfn.Invoker, error) {
	if err != nil {
		return nil, err
	}
	return sfn.LambdaFunc(h), nil
}

// ctx is the context a function is built with: Ctx, or the background.
func (d FunctionDeps) ctx() context.Context {
	if d.Ctx == nil {
		return context.Background()
	}
	return d.Ctx
}

// env is the function's environment as its constructor takes it.
func (d FunctionDeps) env() function.Env {
	return function.Env{Getenv: d.getenv, Logger: d.Logger}
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
