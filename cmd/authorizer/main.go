// Command authorizer is the API Gateway TOKEN authorizer: it verifies the
// caller's bearer JWT against the issuer's JWKS and answers an IAM policy
// for this API stage. Configuration: ISSUER, AUDIENCE (comma-separated),
// JWKS_URL (default ISSUER/.well-known/jwks.json), TOKEN_USE (Cognito:
// access or id), OWNER_KEY (optional HMAC key of the owner prefix),
// AUTH_DISABLED=true (a private dev stage: everyone is "anonymous"),
// LOG_LEVEL.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/authorizer"
)

func main() {
	ctx := context.Background()
	h, err := authorizer.New(ctx, function.Env{Getenv: os.Getenv, Out: os.Stdout})
	if err != nil {
		function.Exit("authorizer", err)
	}
	lambda.Start(h)
}
