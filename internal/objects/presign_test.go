package objects_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/objects"
)

var t0 = time.Date(2026, time.November, 23, 22, 0, 0, 0, time.UTC)

// expiringCreds are credentials that expire at a given time.
type expiringCreds struct {
	expires time.Time
	err     error
}

func (c expiringCreds) Retrieve(context.Context) (aws.Credentials, error) {
	if c.err != nil {
		return aws.Credentials{}, c.err
	}
	return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", SessionToken: "token",
		CanExpire: !c.expires.IsZero(), Expires: c.expires}, nil
}

func TestPresignGetDownloads(t *testing.T) {
	client := fakeS3(t, "results")
	_, err := objects.New(client, "results").PutResult(t.Context(), "results/j1.json", []byte(`{"jobId":"j1"}`))
	require.NoError(t, err)

	p := objects.NewPresigner(s3.NewPresignClient(client), client.Options().Credentials).WithClock(func() time.Time { return t0 })
	link, expires, err := p.PresignGet(t.Context(), "results", "results/j1.json", 15*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(15*time.Minute), expires, "static credentials never expire: the ttl decides")

	u, err := url.Parse(link)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, "900", q.Get("X-Amz-Expires"))
	assert.Equal(t, "AWS4-HMAC-SHA256", q.Get("X-Amz-Algorithm"))
	assert.NotEmpty(t, q.Get("X-Amz-Signature"))
	assert.Equal(t, "/results/results/j1.json", u.Path, "path-style, as the local S3 needs")

	// The link downloads the object with no credentials at all.
	resp, err := http.Get(link)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"jobId":"j1"}`, string(body))
}

func TestPresignGetExpiryCappedByCredentials(t *testing.T) {
	client := fakeS3(t, "results")
	soon := t0.Add(5 * time.Minute)
	p := objects.NewPresigner(s3.NewPresignClient(client), expiringCreds{expires: soon}).WithClock(func() time.Time { return t0 })
	_, expires, err := p.PresignGet(t.Context(), "results", "results/j1.json", 15*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, soon, expires, "a link dies with the credentials that signed it")

	late := objects.NewPresigner(s3.NewPresignClient(client), expiringCreds{expires: t0.Add(time.Hour)}).WithClock(func() time.Time { return t0 })
	_, expires, err = late.PresignGet(t.Context(), "results", "results/j1.json", 15*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(15*time.Minute), expires)

	broken := objects.NewPresigner(s3.NewPresignClient(client), expiringCreds{err: errors.New("no role")})
	_, _, err = broken.PresignGet(t.Context(), "results", "results/j1.json", time.Minute)
	assert.ErrorContains(t, err, "objects: presign s3://results/results/j1.json: credentials: no role")
}
