// Package authorizer builds the API's TOKEN authorizer. It calls no AWS
// service, so it links no AWS SDK package.
package authorizer

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/function"
)

// New builds the handler from env (ISSUER, AUDIENCE, JWKS_URL, TOKEN_USE,
// OWNER_KEY, AUTH_DISABLED, LOG_LEVEL). ctx bounds the key set's
// background refresh: the life of the sandbox in Lambda, of the runtime
// locally.
func New(ctx context.Context, env function.Env) (function.Handler[events.APIGatewayCustomAuthorizerRequest, events.APIGatewayCustomAuthorizerResponse], error) {
	_, log, err := env.Config()
	if err != nil {
		return nil, err
	}
	s, err := auth.SettingsFromEnv(env.Getenv)
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
