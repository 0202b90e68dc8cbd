// Package objects is the result store on S3: it implements job.ResultStore,
// writing each result as a JSON object encrypted at rest.
package objects

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/asyncjobs/stepjobs/internal/awserr"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// API is the part of the S3 client the store uses.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// Store writes results to one bucket.
type Store struct {
	api    API
	bucket string
}

var _ job.ResultStore = (*Store)(nil)

// New returns a store writing to bucket.
func New(api API, bucket string) *Store { return &Store{api: api, bucket: bucket} }

// NewClient is the S3 client of a Lambda main, from its aws.Config.
// S3_FORCE_PATH_STYLE=true in its environment asks for path-style
// addressing, which S3-protocol servers on a host name need (the local
// runtime's process mode sets it).
func NewClient(cfg aws.Config, getenv func(string) string) *s3.Client {
	pathStyle, _ := strconv.ParseBool(getenv("S3_FORCE_PATH_STYLE"))
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}

// Bucket is the bucket results go to.
func (s *Store) Bucket() string { return s.bucket }

// ContentType of every result.
const ContentType = "application/json"

// PutResult implements job.ResultStore. Writing the same key again replaces
// the object, so a retried attempt is harmless (and, with the job's seed,
// writes the same bytes).
func (s *Store) PutResult(ctx context.Context, key string, body []byte) (string, error) {
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(ContentType),
		// The bucket policy may also enforce this; asking explicitly keeps
		// results encrypted even in a bucket configured without a default.
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	if err != nil {
		return "", awserr.Classify(fmt.Sprintf("objects: put s3://%s/%s", s.bucket, key), err)
	}
	return s.bucket, nil
}
