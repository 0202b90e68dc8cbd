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
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/asyncjobs/stepjobs/internal/auth"
)

func main() {
	var level slog.Level
	if v := os.Getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			slog.Error("authorizer: configuration", "error", "LOG_LEVEL="+v+": want debug, info, warn or error")
			os.Exit(1)
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	s, err := auth.SettingsFromEnv(os.Getenv)
	if err != nil {
		log.Error("authorizer: configuration", "error", err.Error())
		os.Exit(1)
	}
	opts := []auth.AuthorizerOption{auth.WithOwnerKey(s.OwnerKey), auth.WithLogger(log)}
	if s.Disabled {
		log.Warn("authorizer: AUTH_DISABLED=true: every request is allowed as " + auth.AnonymousPrincipal)
		lambda.Start(auth.NewAuthorizer(nil, opts...).Handle)
		return
	}
	// The key set lives as long as the sandbox, so it is fetched once per
	// cold start, not per request.
	keys, err := auth.NewKeySet(context.Background(), s.JWKSURL(), auth.KeySetOptions{Logger: log})
	if err != nil {
		log.Error("authorizer: key set", "error", err.Error())
		os.Exit(1)
	}
	v, err := auth.NewVerifier(s.Verifier, keys)
	if err != nil {
		log.Error("authorizer: verifier", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(auth.NewAuthorizer(v, opts...).Handle)
}
