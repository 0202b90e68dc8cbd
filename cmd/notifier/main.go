// Command notifier is the Lambda consuming the callbacks queue (fed by the
// job status change rule) that POSTs each job's completion callback, signed
// with the stage's secret. Configuration: CALLBACK_SECRET_ARN,
// CALLBACK_QUEUE_URL, CALLBACK_RETRY_FIRST, CALLBACK_RETRY_MAX,
// CALLBACK_ATTEMPT_TIMEOUT, LOG_LEVEL.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/awsenv"
	"github.com/asyncjobs/stepjobs/internal/function/notifier"
)

func main() {
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		function.Exit("notifier", err)
	}
	h, err := notifier.New(context.Background(), function.Env{Getenv: os.Getenv, Out: os.Stdout}, secretsmanager.NewFromConfig(cfg), sqs.NewFromConfig(cfg))
	if err != nil {
		function.Exit("notifier", err)
	}
	lambda.Start(h)
}
