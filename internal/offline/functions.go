package offline

// Functions, the table of in-process handlers, is generated from
// serverless.yml and each function's constructor (functions_gen.go).
//
//go:generate go run ./genfunctions

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/catalog"
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
	Env            map[string]string
	DynamoDB       *dynamodb.Client
	S3             *s3.Client
	SecretsManager *secretsmanager.Client
	SQS            *sqssdk.Client
	Logger         *slog.Logger
}

// FunctionFactory builds one Lambda function's handler as its cmd/<dir>
// main does, as an in-process invoker.
type FunctionFactory func(d FunctionDeps) (sfn.Invoker, error)

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

// functionFactory returns the handler factory of fn.
func functionFactory(fn slsconfig.Function, known map[string]FunctionFactory) (FunctionFactory, error) {
	dir, err := catalog.Dir(fn)
	if err != nil {
		return nil, err
	}
	f, ok := known[dir]
	if !ok {
		return nil, fmt.Errorf("function %s: no local handler for cmd/%s (artifact %s): run go generate ./internal/offline", fn.Key, dir, fn.Artifact)
	}
	return f, nil
}
