package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Settings are what cmd/authorizer reads from the environment.
type Settings struct {
	// Verifier: ISSUER, AUDIENCE (comma-separated), JWKS_URL (optional,
	// default ISSUER + /.well-known/jwks.json), TOKEN_USE (Cognito only,
	// default access).
	Verifier Config
	// Disabled: AUTH_DISABLED=true allows every request as
	// AnonymousPrincipal. For a private dev stage only; it must be said
	// explicitly, and ISSUER is then not needed.
	Disabled bool
	// OwnerKey: OWNER_KEY, the optional HMAC key of the owner prefix.
	OwnerKey []byte
}

// SettingsFromEnv reads Settings through getenv (os.Getenv in the main, a
// map in tests). It fails closed: without AUTH_DISABLED=true, ISSUER and
// AUDIENCE are required.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	if v := getenv("AUTH_DISABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Settings{}, fmt.Errorf("config: AUTH_DISABLED=%q: want true or false", v)
		}
		s.Disabled = b
	}
	s.OwnerKey = []byte(getenv("OWNER_KEY"))
	if s.Disabled {
		return s, nil
	}
	s.Verifier = Config{
		Issuer:   strings.TrimSpace(getenv("ISSUER")),
		JWKSURL:  strings.TrimSpace(getenv("JWKS_URL")),
		TokenUse: strings.TrimSpace(getenv("TOKEN_USE")),
	}
	for _, a := range strings.Split(getenv("AUDIENCE"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			s.Verifier.Audiences = append(s.Verifier.Audiences, a)
		}
	}
	if s.Verifier.Issuer == "" || len(s.Verifier.Audiences) == 0 {
		return Settings{}, errors.New("config: ISSUER and AUDIENCE are required (or AUTH_DISABLED=true for a private dev stage)")
	}
	if err := s.Verifier.validate(); err != nil {
		return Settings{}, fmt.Errorf("config: %w", err)
	}
	return s, nil
}

// JWKSURL is the key set address the settings resolve to.
func (s Settings) JWKSURL() string { return s.Verifier.jwksURL() }
