package objects

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// PresignAPI is the part of s3.PresignClient the presigner uses.
type PresignAPI interface {
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var _ PresignAPI = (*s3.PresignClient)(nil)

// Presigner signs result download links; it implements job.Presigner.
type Presigner struct {
	api   PresignAPI
	creds aws.CredentialsProvider
	now   func() time.Time
}

var _ job.Presigner = (*Presigner)(nil)

// NewPresigner returns a presigner using api (s3.NewPresignClient(client))
// whose links are signed with creds: the same provider the client signs
// with, asked only for its expiry. creds may be nil (expiry then unknown).
func NewPresigner(api PresignAPI, creds aws.CredentialsProvider) *Presigner {
	return &Presigner{api: api, creds: creds, now: time.Now}
}

// WithClock makes p read the time from now (tests); it returns p.
func (p *Presigner) WithClock(now func() time.Time) *Presigner {
	p.now = now
	return p
}

// PresignGet implements job.Presigner. A link signed with temporary
// credentials (a Lambda role's) stops working when they expire, whatever
// X-Amz-Expires says, so the expiry reported is the earlier of the two.
func (p *Presigner) PresignGet(ctx context.Context, bucket, key string, ttl time.Duration) (string, time.Time, error) {
	now := p.now()
	expires := now.Add(ttl)
	if p.creds != nil {
		c, err := p.creds.Retrieve(ctx)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("objects: presign s3://%s/%s: credentials: %w", bucket, key, err)
		}
		if c.CanExpire && c.Expires.Before(expires) {
			expires = c.Expires
		}
	}
	req, err := p.api.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("objects: presign s3://%s/%s: %w", bucket, key, err)
	}
	return req.URL, expires, nil
}
