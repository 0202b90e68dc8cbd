package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
)

var now = time.Date(2026, time.November, 23, 22, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

const (
	issuer   = "https://issuer.example.com"
	audience = "stepjobs-api"
)

// signer is one test key with its kid.
type signer struct {
	kid    string
	method jwt.SigningMethod
	key    any // private key
	public any
}

func newRSA(t testing.TB, kid string) signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return signer{kid: kid, method: jwt.SigningMethodRS256, key: k, public: &k.PublicKey}
}

func newEC(t testing.TB, kid string) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return signer{kid: kid, method: jwt.SigningMethodES256, key: k, public: &k.PublicKey}
}

func (s signer) sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, claims)
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.key)
	require.NoError(t, err)
	return out
}

// jwksServer serves the public keys of its signers and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	signers []signer
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, signers ...signer) *jwksServer {
	t.Helper()
	s := &jwksServer{signers: signers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		var set jwkset.JWKSMarshal
		for _, sg := range s.signers {
			alg := jwkset.AlgRS256
			if sg.method == jwt.SigningMethodES256 {
				alg = jwkset.AlgES256
			}
			jwk, err := jwkset.NewJWKFromKey(sg.public, jwkset.JWKOptions{
				Metadata: jwkset.JWKMetadataOptions{ALG: alg, KID: sg.kid, USE: jwkset.UseSig}})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			set.Keys = append(set.Keys, jwk.Marshal())
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) add(sg signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signers = append(s.signers, sg)
}

func newVerifier(t *testing.T, cfg auth.Config, url string) *auth.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // stops the key set's refresh goroutine
	keys, err := auth.NewKeySet(ctx, url, auth.KeySetOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	v, err := auth.NewVerifier(cfg, keys, auth.WithClock(clock))
	require.NoError(t, err)
	return v
}

func claims(over map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": issuer,
		"aud": audience,
		"sub": "user-1",
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	maps.Copy(c, over)
	for k, v := range c {
		if v == nil {
			delete(c, k)
		}
	}
	return c
}

func TestVerify(t *testing.T) {
	rs := newRSA(t, "rsa-1")
	ec := newEC(t, "ec-1")
	stranger := newRSA(t, "rsa-1") // same kid, another key
	srv := newJWKSServer(t, rs, ec)
	v := newVerifier(t, auth.Config{Issuer: issuer, Audiences: []string{audience, "other-client"}}, srv.URL)

	hs256 := func() string {
		// alg confusion: an HMAC token keyed with the RSA public key's bytes.
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		tok.Header["kid"] = "rsa-1"
		pub := rs.public.(*rsa.PublicKey)
		s, err := tok.SignedString(pub.N.Bytes())
		require.NoError(t, err)
		return s
	}
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
		tok.Header["kid"] = "rsa-1"
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		require.NoError(t, err)
		return s
	}
	tampered := func() string {
		parts := strings.Split(rs.sign(t, claims(nil)), ".")
		body, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		body = []byte(strings.Replace(string(body), "user-1", "user-2", 1))
		parts[1] = base64.RawURLEncoding.EncodeToString(body)
		return strings.Join(parts, ".")
	}

	cases := []struct {
		name    string
		token   string
		wantSub string
		wantErr error
		reason  string
	}{
		{name: "valid RS256", token: rs.sign(t, claims(nil)), wantSub: "user-1"},
		{name: "valid ES256", token: ec.sign(t, claims(map[string]any{"sub": "user-ec"})), wantSub: "user-ec"},
		{name: "audience list containing ours", token: rs.sign(t, claims(map[string]any{"aud": []string{"x", audience}})), wantSub: "user-1"},
		{name: "second accepted audience", token: rs.sign(t, claims(map[string]any{"aud": "other-client"})), wantSub: "user-1"},
		{name: "client_id instead of aud", token: rs.sign(t, claims(map[string]any{"aud": nil, "client_id": audience})), wantSub: "user-1"},
		{name: "expired within leeway", token: rs.sign(t, claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()})), wantSub: "user-1"},
		{name: "expired", token: rs.sign(t, claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})), wantErr: auth.ErrInvalidToken, reason: "expired"},
		{name: "no exp", token: rs.sign(t, claims(map[string]any{"exp": nil})), wantErr: auth.ErrInvalidToken, reason: "exp claim is required"},
		{name: "nbf in the future", token: rs.sign(t, claims(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), wantErr: auth.ErrInvalidToken, reason: "not valid yet"},
		{name: "nbf within leeway", token: rs.sign(t, claims(map[string]any{"nbf": now.Add(10 * time.Second).Unix()})), wantSub: "user-1"},
		{name: "iat in the future", token: rs.sign(t, claims(map[string]any{"iat": now.Add(5 * time.Minute).Unix()})), wantErr: auth.ErrInvalidToken, reason: "before issued"},
		{name: "wrong iss", token: rs.sign(t, claims(map[string]any{"iss": "https://evil.example.com"})), wantErr: auth.ErrInvalidToken, reason: "issuer"},
		{name: "wrong aud", token: rs.sign(t, claims(map[string]any{"aud": "someone-else"})), wantErr: auth.ErrInvalidToken, reason: "accepted audience"},
		{name: "wrong client_id", token: rs.sign(t, claims(map[string]any{"aud": nil, "client_id": "someone-else"})), wantErr: auth.ErrInvalidToken, reason: "accepted audience"},
		{name: "no sub", token: rs.sign(t, claims(map[string]any{"sub": nil})), wantErr: auth.ErrInvalidToken, reason: "sub is missing"},
		{name: "unknown kid", token: newRSA(t, "rsa-unknown").sign(t, claims(nil)), wantErr: auth.ErrInvalidToken, reason: "rsa-unknown"},
		{name: "bad signature: other key, known kid", token: stranger.sign(t, claims(nil)), wantErr: auth.ErrInvalidToken, reason: "verification error"},
		{name: "bad signature: tampered claims", token: tampered(), wantErr: auth.ErrInvalidToken, reason: "verification error"},
		{name: "alg none refused", token: none(), wantErr: auth.ErrInvalidToken, reason: "signing method none is invalid"},
		{name: "HS256 with the public key refused", token: hs256(), wantErr: auth.ErrInvalidToken, reason: "signing method HS256 is invalid"},
		{name: "ES256 header on an RSA kid", token: func() string {
			s := ec
			s.kid = "rsa-1"
			return s.sign(t, claims(nil))
		}(), wantErr: auth.ErrInvalidToken, reason: "does not match"},
		{name: "not a JWT", token: "abc.def", wantErr: auth.ErrInvalidToken, reason: "malformed"},
		{name: "missing", token: "", wantErr: auth.ErrNoToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tc.token)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), tc.reason)
				assert.Equal(t, auth.Claims{}, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantSub, c.Subject)
			assert.Equal(t, issuer, c.Issuer)
		})
	}
}

func TestVerifyCognitoTokenUse(t *testing.T) {
	const pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
	rs := newRSA(t, "cog-1")
	srv := newJWKSServer(t, rs)
	access := func(over map[string]any) jwt.MapClaims {
		c := claims(map[string]any{"iss": pool, "aud": nil, "client_id": "app-client", "token_use": "access", "scope": "aws.cognito.signin.user.admin"})
		maps.Copy(c, over)
		return c
	}
	id := claims(map[string]any{"iss": pool, "aud": "app-client", "token_use": "id"})

	accessOnly := newVerifier(t, auth.Config{Issuer: pool, Audiences: []string{"app-client"}, JWKSURL: srv.URL}, srv.URL)
	assert.Equal(t, "access", accessOnly.Config().TokenUse, "Cognito defaults to access tokens")
	idOnly := newVerifier(t, auth.Config{Issuer: pool, Audiences: []string{"app-client"}, TokenUse: "id"}, srv.URL)

	c, err := accessOnly.Verify(t.Context(), rs.sign(t, access(nil)))
	require.NoError(t, err)
	assert.Equal(t, auth.Claims{Subject: "user-1", Issuer: pool, ClientID: "app-client", TokenUse: "access",
		Scope: "aws.cognito.signin.user.admin", ExpiresAt: now.Add(time.Hour)}, c)

	_, err = accessOnly.Verify(t.Context(), rs.sign(t, id))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.Contains(t, err.Error(), `token_use "id", want "access"`)

	_, err = accessOnly.Verify(t.Context(), rs.sign(t, access(map[string]any{"token_use": nil})))
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	c, err = idOnly.Verify(t.Context(), rs.sign(t, id))
	require.NoError(t, err)
	assert.Equal(t, []string{"app-client"}, c.Audience)

	// Non-Cognito issuers carry no token_use and are not asked for one.
	assert.Empty(t, newVerifier(t, auth.Config{Issuer: issuer, Audiences: []string{audience}}, srv.URL).Config().TokenUse)
}

func TestKeySetCachesAndRefreshesOnUnknownKID(t *testing.T) {
	first := newRSA(t, "k1")
	srv := newJWKSServer(t, first)
	v := newVerifier(t, auth.Config{Issuer: issuer, Audiences: []string{audience}}, srv.URL)
	require.EqualValues(t, 1, srv.fetches.Load(), "fetched once at creation")

	for range 20 {
		_, err := v.Verify(t.Context(), first.sign(t, claims(nil)))
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, srv.fetches.Load(), "known kids are served from the cache")

	// Rotation: the issuer publishes k2, a token signed with it refreshes the set.
	second := newEC(t, "k2")
	srv.add(second)
	_, err := v.Verify(t.Context(), second.sign(t, claims(nil)))
	require.NoError(t, err)
	assert.EqualValues(t, 2, srv.fetches.Load(), "an unknown kid refreshes once")

	// Forged kids cannot make it fetch again within the rate limit.
	for range 5 {
		_, err = v.Verify(t.Context(), newEC(t, "forged").sign(t, claims(nil)))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	}
	assert.EqualValues(t, 2, srv.fetches.Load(), "unknown-kid refreshes are rate limited")
	_, err = v.Verify(t.Context(), first.sign(t, claims(nil)))
	assert.NoError(t, err, "known keys still work")
}

func TestKeySetUnreachableAtStartRecovers(t *testing.T) {
	rs := newRSA(t, "k1")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	down.Close()
	// An unreachable JWKS at cold start is not fatal, and verification then fails closed.
	v := newVerifier(t, auth.Config{Issuer: issuer, Audiences: []string{audience}}, down.URL)
	_, err := v.Verify(t.Context(), rs.sign(t, claims(nil)))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestNewVerifierRejectsBadConfig(t *testing.T) {
	keys := func(*jwt.Token) (any, error) { return nil, nil }
	for name, cfg := range map[string]auth.Config{
		"no issuer":     {Audiences: []string{audience}},
		"no audience":   {Issuer: issuer},
		"empty aud":     {Issuer: issuer, Audiences: []string{""}},
		"bad token use": {Issuer: issuer, Audiences: []string{audience}, TokenUse: "refresh"},
		"neg leeway":    {Issuer: issuer, Audiences: []string{audience}, Leeway: -time.Second},
	} {
		_, err := auth.NewVerifier(cfg, keys)
		assert.Error(t, err, name)
	}
	_, err := auth.NewVerifier(auth.Config{Issuer: issuer, Audiences: []string{audience}}, nil)
	assert.Error(t, err, "nil keys")
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header, want string
		err          error
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", nil},
		{"bearer  abc.def.ghi ", "abc.def.ghi", nil},
		{"", "", auth.ErrNoToken},
		{"   ", "", auth.ErrNoToken},
		{"Bearer ", "", auth.ErrNoToken},
		{"Basic dXNlcjpwYXNz", "", auth.ErrInvalidToken},
		{"abc.def.ghi", "", auth.ErrInvalidToken},
	}
	for _, tc := range cases {
		got, err := auth.BearerToken(tc.header)
		assert.ErrorIs(t, err, tc.err, tc.header)
		if tc.err == nil {
			assert.NoError(t, err)
		}
		assert.Equal(t, tc.want, got, tc.header)
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer a.b.c", "", "Basic x", "bearer\t", "Bearer  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := auth.BearerToken(header)
		if err == nil {
			require.NotEmpty(t, tok)
			require.Equal(t, strings.TrimSpace(tok), tok)
		}
	})
}

// FuzzVerify: whatever the token text, Verify never panics, and anything
// but the issuer's own tokens is refused with ErrInvalidToken or ErrNoToken.
func FuzzVerify(f *testing.F) {
	dev, err := devissuer.New(issuer, audience)
	require.NoError(f, err)
	v, err := auth.NewVerifier(dev.Config(), dev.Keyfunc(), auth.WithClock(clock))
	require.NoError(f, err)
	valid, err := dev.Mint("user-1", time.Hour, map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	require.NoError(f, err)
	f.Add(valid)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if token == valid {
			require.NoError(t, err)
			return
		}
		if err != nil {
			require.True(t, errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrNoToken), err)
			require.Equal(t, auth.Claims{}, c)
		}
	})
}
