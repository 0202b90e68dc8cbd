package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ErrUnauthorized is what the authorizer returns when there is no token:
// API Gateway turns exactly this message into a 401 (any other error is a
// 500), so the text must stay "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized")

// AnonymousPrincipal is the principal of every request when authorization
// is disabled (a private dev stage): all callers share one owner.
const AnonymousPrincipal = "anonymous"

// TokenVerifier verifies a bearer token; *Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Claims, error)
}

var _ TokenVerifier = (*Verifier)(nil)

// Authorizer is the API Gateway TOKEN authorizer: Handle is its Lambda
// handler, and the local API Gateway calls the same method.
type Authorizer struct {
	verify   TokenVerifier
	issuer   string
	ownerKey []byte
	log      *slog.Logger
}

// AuthorizerOption configures an Authorizer.
type AuthorizerOption func(*Authorizer)

// WithOwnerKey sets the HMAC key of the owner prefix (see OwnerPrefix).
func WithOwnerKey(key []byte) AuthorizerOption {
	return func(a *Authorizer) { a.ownerKey = key }
}

// WithLogger makes the authorizer log its decisions to l.
func WithLogger(l *slog.Logger) AuthorizerOption {
	return func(a *Authorizer) {
		if l != nil {
			a.log = l
		}
	}
}

// NewAuthorizer returns an authorizer that checks tokens with verify. A nil
// verify disables authorization: every request is allowed as
// AnonymousPrincipal (for a private dev stage only).
func NewAuthorizer(verify TokenVerifier, opts ...AuthorizerOption) *Authorizer {
	a := &Authorizer{verify: verify, log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if v, ok := verify.(*Verifier); ok {
		a.issuer = v.Config().Issuer
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Handle answers API Gateway: no token -> ErrUnauthorized (401); a token
// that fails verification -> a Deny policy (403); a valid token -> an Allow
// policy on every route of this API stage, principalId = sub, the claims as
// flat strings in the context. A methodArn that is not an execute-api ARN is
// an error (500): it can only come from a misconfiguration.
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	log := a.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	resource, err := StageResource(req.MethodArn)
	if err != nil {
		log.ErrorContext(ctx, "authorizer: bad method ARN", "error", err.Error())
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	if a.verify == nil {
		c := Claims{Subject: AnonymousPrincipal}
		return Policy(c, OwnerPrefix(a.ownerKey, "", AnonymousPrincipal), "Allow", resource), nil
	}
	token, err := BearerToken(req.AuthorizationToken)
	if err == nil {
		var c Claims
		c, err = a.verify.Verify(ctx, token)
		if err == nil {
			log.InfoContext(ctx, "authorizer: allow", "sub", c.Subject, "methodArn", req.MethodArn)
			return Policy(c, OwnerPrefix(a.ownerKey, c.Issuer, c.Subject), "Allow", resource), nil
		}
	}
	if errors.Is(err, ErrNoToken) {
		log.InfoContext(ctx, "authorizer: no token", "methodArn", req.MethodArn)
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	log.WarnContext(ctx, "authorizer: deny", "reason", err.Error(), "methodArn", req.MethodArn)
	return Policy(Claims{}, "", "Deny", resource), nil
}

// StageResource turns the methodArn of the request being authorized
// (arn:aws:execute-api:region:account:apiId/stage/METHOD/path...) into the
// resource of every route of the same API stage
// (arn:aws:execute-api:region:account:apiId/stage/*/*). API Gateway caches
// a policy per token and applies it to every route the token then calls,
// so a policy naming only the first route would deny the others.
func StageResource(methodARN string) (string, error) {
	parts := strings.SplitN(methodARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "execute-api" || parts[3] == "" || parts[4] == "" {
		return "", fmt.Errorf("auth: method ARN %q is not an execute-api ARN", methodARN)
	}
	path := strings.SplitN(parts[5], "/", 3)
	if len(path) < 2 || path[0] == "" || path[1] == "" {
		return "", fmt.Errorf("auth: method ARN %q has no API id and stage", methodARN)
	}
	return strings.Join(parts[:5], ":") + ":" + path[0] + "/" + path[1] + "/*/*", nil
}

// Policy builds the authorizer's answer: effect on execute-api:Invoke of
// resource for principal c.Subject, with the claims in the context. API
// Gateway accepts only strings, numbers and booleans as context values, so
// the audience list is joined with spaces; empty claims are left out.
// A Deny carries no principal claims (principalId "unauthorized").
func Policy(c Claims, ownerPrefix, effect, resource string) events.APIGatewayCustomAuthorizerResponse {
	principal := c.Subject
	if principal == "" {
		principal = "unauthorized"
	}
	resp := events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   effect,
				Resource: []string{resource},
			}},
		},
	}
	if effect != "Allow" {
		return resp
	}
	ctx := map[string]any{}
	add := func(k, v string) {
		if v != "" {
			ctx[k] = v
		}
	}
	add("sub", c.Subject)
	add("ownerPrefix", ownerPrefix)
	add("iss", c.Issuer)
	add("aud", strings.Join(c.Audience, " "))
	add("clientId", c.ClientID)
	add("tokenUse", c.TokenUse)
	add("scope", c.Scope)
	if !c.ExpiresAt.IsZero() {
		add("exp", strconv.FormatInt(c.ExpiresAt.Unix(), 10))
	}
	resp.Context = ctx
	return resp
}
