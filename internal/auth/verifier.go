// Package auth verifies the bearer tokens callers present (JWTs signed with
// RS256 or ES256 by an OpenID Connect or Cognito issuer, checked against the
// issuer's JWKS), turns a verified caller into the API Gateway TOKEN
// authorizer's answer (an IAM policy scoped to this API, principalId = sub,
// flat string claims in the context), derives the owner prefix that ties a
// job to the caller who started it, and runs a local dev issuer for the
// offline runtime.
//
// The cryptography is golang-jwt's; the key set is fetched and cached by
// keyfunc/jwkset. This package only decides which tokens are acceptable.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Errors of Verify, matched with errors.Is.
var (
	// ErrNoToken: the request carries no bearer token at all. API Gateway
	// answers 401 for it.
	ErrNoToken = errors.New("no bearer token")
	// ErrInvalidToken: a token is present but not acceptable (signature,
	// issuer, audience, lifetime, token_use, algorithm...). API Gateway
	// answers 403 for it. The wrapped error says why, for logs only.
	ErrInvalidToken = errors.New("invalid token")
)

// Algorithms are the signing algorithms accepted: asymmetric only, so a
// public key can never be used as an HMAC secret (alg confusion), and never
// "none".
var Algorithms = []string{"RS256", "ES256"}

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// Config says which tokens are acceptable.
type Config struct {
	// Issuer is the exact iss claim required, e.g.
	// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf.
	Issuer string
	// Audiences: a token is accepted when its aud claim, or its client_id
	// claim (Cognito access tokens carry no aud), names one of them.
	Audiences []string
	// JWKSURL is where the issuer publishes its keys; empty means
	// Issuer + "/.well-known/jwks.json" (OIDC providers and Cognito).
	JWKSURL string
	// TokenUse is the token_use claim required when the issuer is Cognito:
	// "access" (the default) or "id". Other issuers do not set it.
	TokenUse string
	// Leeway is the tolerated clock skew; zero means DefaultLeeway.
	Leeway time.Duration
}

// IsCognito reports whether the issuer is an Amazon Cognito user pool, whose
// tokens carry token_use.
func (c Config) IsCognito() bool {
	return strings.HasPrefix(c.Issuer, "https://cognito-idp.") && strings.Contains(c.Issuer, ".amazonaws.com/")
}

// JWKSPath is where issuers conventionally publish their key set.
const JWKSPath = "/.well-known/jwks.json"

// jwksURL is the configured or the conventional key set address.
func (c Config) jwksURL() string {
	if c.JWKSURL != "" {
		return c.JWKSURL
	}
	return strings.TrimSuffix(c.Issuer, "/") + JWKSPath
}

func (c Config) validate() error {
	switch {
	case c.Issuer == "":
		return errors.New("auth: issuer is required")
	case len(c.Audiences) == 0 || slices.Contains(c.Audiences, ""):
		return errors.New("auth: at least one non-empty audience is required")
	case c.TokenUse != "" && c.TokenUse != "access" && c.TokenUse != "id":
		return fmt.Errorf("auth: token use %q: want access or id", c.TokenUse)
	case c.Leeway < 0:
		return fmt.Errorf("auth: leeway %s is negative", c.Leeway)
	}
	return nil
}

// Claims are the verified facts about a caller.
type Claims struct {
	Subject   string
	Issuer    string
	Audience  []string
	ClientID  string
	TokenUse  string
	Scope     string
	ExpiresAt time.Time
}

// KeySetOptions tune how the JWKS is fetched and cached.
type KeySetOptions struct {
	// Client fetches the key set; nil means a client with a 5 s timeout.
	Client *http.Client
	// RefreshInterval refreshes the cached set in the background; zero means
	// one hour. (A Lambda sandbox is frozen between invocations, so in
	// practice the refresh on an unknown kid is what picks up a rotation.)
	RefreshInterval time.Duration
	// UnknownKIDEvery limits the refreshes an unknown kid may trigger, so a
	// stream of forged kids cannot turn the authorizer into a load on the
	// issuer; zero means one per minute.
	UnknownKIDEvery time.Duration
	// Logger receives failed refreshes; nil means slog.Default().
	Logger *slog.Logger
}

// NewKeySet returns a jwt.Keyfunc backed by the JWKS at url: fetched once
// at creation (a failure is not fatal: the next unknown kid retries), kept
// for the life of ctx (a Lambda sandbox: so across invocations), refreshed
// on an unknown kid at most once per UnknownKIDEvery.
func NewKeySet(ctx context.Context, url string, o KeySetOptions) (jwt.Keyfunc, error) {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = time.Hour
	}
	if o.UnknownKIDEvery == 0 {
		o.UnknownKIDEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	k, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
		Client:          o.Client,
		HTTPTimeout:     o.Client.Timeout,
		RefreshInterval: o.RefreshInterval,
		// At most one refresh per UnknownKIDEvery. A request that would
		// wait longer than a second for the limiter fails instead (an
		// authorizer has seconds, and a forged kid deserves none).
		RefreshUnknownKID: rate.NewLimiter(rate.Every(o.UnknownKIDEvery), 1),
		RateLimitWaitMax:  time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				o.Logger.WarnContext(ctx, "auth: JWKS refresh failed", "url", u, "error", err.Error())
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: key set %s: %w", url, err)
	}
	return k.KeyfuncCtx(ctx), nil
}

// Verifier checks tokens against a Config.
type Verifier struct {
	cfg    Config
	keys   jwt.Keyfunc
	parser *jwt.Parser
}

// VerifierOption configures a Verifier.
type VerifierOption func(*verifierOptions)

type verifierOptions struct {
	now func() time.Time
}

// WithClock makes the verifier read the time from now (tests).
func WithClock(now func() time.Time) VerifierOption {
	return func(o *verifierOptions) { o.now = now }
}

// NewVerifier returns a verifier of cfg's tokens whose signing keys come
// from keys (NewKeySet, or a fixed set in tests and the dev issuer).
func NewVerifier(cfg Config, keys jwt.Keyfunc, opts ...VerifierOption) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("auth: a key source is required")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.IsCognito() && cfg.TokenUse == "" {
		cfg.TokenUse = "access"
	}
	o := verifierOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(Algorithms),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(o.now),
	)
	return &Verifier{cfg: cfg, keys: keys, parser: parser}, nil
}

// Config is the verifier's configuration with its defaults applied.
func (v *Verifier) Config() Config { return v.cfg }

// BearerToken extracts the token from an Authorization header value
// ("Bearer <token>", scheme case-insensitive). An empty header is
// ErrNoToken; any other shape is ErrInvalidToken.
func BearerToken(header string) (string, error) {
	header = strings.TrimSpace(header)
	if header == "" || strings.EqualFold(header, "Bearer") {
		return "", ErrNoToken
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: authorization header is not a bearer token", ErrInvalidToken)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", ErrNoToken
	}
	return token, nil
}

// Verify checks the signature, algorithm, issuer, audience or client_id,
// exp/nbf/iat (with leeway), sub and, for Cognito, token_use. Every refusal
// wraps ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrNoToken
	}
	mc := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, mc, v.keys); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c := Claims{
		Subject:  stringClaim(mc, "sub"),
		Issuer:   stringClaim(mc, "iss"),
		ClientID: stringClaim(mc, "client_id"),
		TokenUse: stringClaim(mc, "token_use"),
		Scope:    stringClaim(mc, "scope"),
	}
	aud, err := mc.GetAudience()
	if err != nil {
		return Claims{}, fmt.Errorf("%w: aud: %w", ErrInvalidToken, err)
	}
	c.Audience = aud
	if exp, err := mc.GetExpirationTime(); err == nil && exp != nil {
		c.ExpiresAt = exp.UTC()
	}
	switch {
	case c.Subject == "":
		return Claims{}, fmt.Errorf("%w: sub is missing", ErrInvalidToken)
	case !v.audienceMatches(c):
		return Claims{}, fmt.Errorf("%w: neither aud %q nor client_id %q is an accepted audience", ErrInvalidToken, c.Audience, c.ClientID)
	case v.cfg.TokenUse != "" && c.TokenUse != v.cfg.TokenUse:
		return Claims{}, fmt.Errorf("%w: token_use %q, want %q", ErrInvalidToken, c.TokenUse, v.cfg.TokenUse)
	}
	return c, nil
}

func (v *Verifier) audienceMatches(c Claims) bool {
	for _, want := range v.cfg.Audiences {
		if slices.Contains(c.Audience, want) || c.ClientID == want {
			return true
		}
	}
	return false
}

// stringClaim returns a string claim, or "" when absent or not a string.
func stringClaim(mc jwt.MapClaims, name string) string {
	s, _ := mc[name].(string)
	return s
}
