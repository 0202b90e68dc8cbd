package client_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
)

// vector is one golden signature, computed with openssl (not with this
// package): printf '<t>.<body>' | openssl dgst -sha256 -hmac '<secret>'.
type vector struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
	T      int64  `json:"t"`
	Body   string `json:"body"`
	Header string `json:"header"`
}

func vectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/callback-signatures.json")
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(raw, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func TestSignCallbackGolden(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			assert.Equal(t, v.Header, client.SignCallback([]byte(v.Secret), time.Unix(v.T, 0), []byte(v.Body)))
			assert.NoError(t, client.VerifyCallback([]byte(v.Secret), v.Header, []byte(v.Body), time.Unix(v.T, 0), 0))
		})
	}
}

func TestVerifyCallback(t *testing.T) {
	v := vectors(t)[0]
	secret, body, at := []byte(v.Secret), []byte(v.Body), time.Unix(v.T, 0)
	other := client.SignCallback([]byte("another secret"), at, body)
	cases := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error // nil: verified
	}{
		{"valid", secret, v.Header, body, at, nil},
		{"at the edge of the window", secret, v.Header, body, at.Add(client.DefaultCallbackTolerance), nil},
		{"signed slightly in the future", secret, v.Header, body, at.Add(-time.Minute), nil},
		{"a rotated secret: one of two v1 matches", secret, other + ",v1=" + v.Header[len("t=1700000000,v1="):], body, at, nil},
		{"unknown keys are ignored", secret, v.Header + ",v2=zz", body, at, nil},
		{"no header", secret, "", body, at, client.ErrCallbackUnsigned},
		{"replayed later", secret, v.Header, body, at.Add(client.DefaultCallbackTolerance + time.Second), client.ErrCallbackExpired},
		{"too far in the future", secret, v.Header, body, at.Add(-client.DefaultCallbackTolerance - time.Second), client.ErrCallbackExpired},
		{"body changed", secret, v.Header, append(bytes.Clone(body), ' '), at, client.ErrCallbackBadSignature},
		{"timestamp changed", secret, "t=1700000001" + v.Header[len("t=1700000000"):], body, at, client.ErrCallbackBadSignature},
		{"wrong secret", []byte("another secret"), v.Header, body, at, client.ErrCallbackBadSignature},
		{"no t", secret, "v1=" + v.Header[len("t=1700000000,v1="):], body, at, client.ErrCallbackMalformed},
		{"no v1", secret, "t=1700000000", body, at, client.ErrCallbackMalformed},
		{"t not a number", secret, "t=soon,v1=00", body, at, client.ErrCallbackMalformed},
		{"v1 not hex", secret, "t=1700000000,v1=xyz", body, at, client.ErrCallbackMalformed},
		{"v1 too short", secret, "t=1700000000,v1=abcd", body, at, client.ErrCallbackMalformed},
		{"two t", secret, "t=1,t=2,v1=00", body, at, client.ErrCallbackMalformed},
		{"not key=value", secret, "garbage", body, at, client.ErrCallbackMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := client.VerifyCallback(tc.secret, tc.header, tc.body, tc.now, 0)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// The error says what is wrong, for the receiver's log.
func TestVerifyCallbackErrorsAreClear(t *testing.T) {
	v := vectors(t)[0]
	err := client.VerifyCallback([]byte(v.Secret), v.Header, []byte(v.Body), time.Unix(v.T, 0).Add(time.Hour), 0)
	require.Error(t, err)
	assert.Equal(t, "callback: timestamp outside the tolerance window: signed at 2023-11-14T22:13:20Z, 1h0m0s from now (tolerance 5m0s)", err.Error())
	err = client.VerifyCallback([]byte(v.Secret), "t=1700000000", nil, time.Unix(v.T, 0), 0)
	assert.EqualError(t, err, "callback: malformed signature header: no v1")
}

func TestVerifyCallbackRequest(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"jobId":"j","status":"FAILED","error":"E","cause":"C"}`)
	req := httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	req.Header.Set(client.CallbackSignatureHeader, client.SignCallback(secret, time.Now(), body))
	cb, err := client.VerifyCallbackRequest(req, secret, 0)
	require.NoError(t, err)
	assert.Equal(t, client.Callback{JobID: "j", Status: "FAILED", Error: "E", Cause: "C"}, cb)

	req = httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	req.Header.Set(client.CallbackSignatureHeader, client.SignCallback([]byte("other"), time.Now(), body))
	_, err = client.VerifyCallbackRequest(req, secret, 0)
	assert.ErrorIs(t, err, client.ErrCallbackBadSignature)
}

// The header parser takes whatever a sender (or an attacker) puts there:
// it never panics, and nothing but a real signature verifies.
func FuzzVerifyCallback(f *testing.F) {
	for _, h := range []string{"", "t=1700000000,v1=ce8c6be77123cbd0b66d47dfa618b2e137ed9d4dfdec0edf3beeb2de5ed803cb", "t=,v1=", ",,,", "t=1,v1=00,v1=zz", "=="} {
		f.Add(h, []byte(`{"jobId":"j","status":"SUCCEEDED"}`))
	}
	secret := []byte("whsec-test")
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := client.VerifyCallback(secret, header, body, time.Unix(1700000000, 0), 0)
		if err == nil {
			// What verifies one body verifies no other.
			assert.Error(t, client.VerifyCallback(secret, header, append(bytes.Clone(body), 'x'), time.Unix(1700000000, 0), 0))
		}
	})
}
