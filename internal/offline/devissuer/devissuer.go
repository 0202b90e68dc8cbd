// Package devissuer is the local runtime's token issuer: an ES256 key made
// at start, its public key set served over HTTP, and dev tokens minted with
// it, which the real authorizer (package auth) verifies as it verifies a
// real issuer's. The authorizer Lambda does not link it.
package devissuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/asyncjobs/stepjobs/internal/auth"
)

// Issuer is a local token issuer for the offline runtime: an ES256 key
// made at start (never stored), its public JWKS served over HTTP, and dev
// tokens minted with it. Tokens it mints pass the same Verifier as a real
// issuer's, so the local API Gateway runs the real authorizer.
type Issuer struct {
	key      *ecdsa.PrivateKey
	kid      string
	issuer   string
	audience string
	jwks     []byte
	now      func() time.Time
}

// New makes a fresh key for issuer (the URL the runtime serves the
// JWKS under, e.g. http://localhost:8085) and audience.
func New(issuer, audience string) (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: generate key: %w", err)
	}
	return newIssuer(key, issuer, audience)
}

func newIssuer(key *ecdsa.PrivateKey, issuer, audience string) (*Issuer, error) {
	der, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("dev issuer: encode key: %w", err)
	}
	sum := sha256.Sum256(der)
	kid := "dev-" + hex.EncodeToString(sum[:8])
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgES256, KID: kid, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, fmt.Errorf("dev issuer: JWK: %w", err)
	}
	set, err := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	if err != nil {
		return nil, fmt.Errorf("dev issuer: JWKS: %w", err)
	}
	return &Issuer{key: key, kid: kid, issuer: issuer, audience: audience, jwks: set, now: time.Now}, nil
}

// Config is the verifier configuration that accepts this issuer's tokens,
// with the JWKS at Issuer + auth.JWKSPath.
func (d *Issuer) Config() auth.Config {
	return auth.Config{Issuer: d.issuer, Audiences: []string{d.audience}}
}

// JWKS is the public key set document.
func (d *Issuer) JWKS() []byte { return d.jwks }

// ServeHTTP serves the public JWKS (GET or HEAD on any path the caller
// routes here, normally auth.JWKSPath).
func (d *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(d.jwks) // a failed write is the client's disconnect
}

// Keyfunc verifies this issuer's tokens in-process, without fetching the
// JWKS over HTTP.
func (d *Issuer) Keyfunc() jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != d.kid {
			return nil, fmt.Errorf("dev issuer: unknown kid %q", kid)
		}
		return &d.key.PublicKey, nil
	}
}

// Mint signs a token for subject valid for ttl, with iss, aud, sub, iat,
// nbf and exp set, plus extra claims (which may override them, for tests).
func (d *Issuer) Mint(subject string, ttl time.Duration, extra map[string]any) (string, error) {
	now := d.now()
	claims := jwt.MapClaims{
		"iss": d.issuer,
		"aud": d.audience,
		"sub": subject,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	maps.Copy(claims, extra)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = d.kid
	s, err := t.SignedString(d.key)
	if err != nil {
		return "", fmt.Errorf("dev issuer: sign: %w", err)
	}
	return s, nil
}
