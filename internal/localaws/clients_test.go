package localaws_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/localaws"
)

// recorder is a server that keeps the last request's headers and body and
// answers with status, headers and body.
type recorder struct {
	mu      sync.Mutex
	header  http.Header
	body    []byte
	respond func(w http.ResponseWriter)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.header, r.body = req.Header.Clone(), body
	r.mu.Unlock()
	r.respond(w)
}

func (r *recorder) last() (http.Header, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header, r.body
}

var creds = credentials.NewStaticCredentialsProvider("local", "local", "")

// A loopback S3 request is still a well-formed, signed PutObject: the same
// body sent as is, with S3's UNSIGNED-PAYLOAD hash, no checksum, and no
// "100 Continue" wait even for a body past the SDK's 2 MB threshold.
func TestLoopbackS3(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter) { w.Header().Set("ETag", `"x"`) }}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	body := bytes.Repeat([]byte("x"), 3<<20)
	tests := []struct {
		name     string
		opts     []func(*s3.Options)
		loopback bool
	}{
		{"sdk defaults", nil, false},
		{"loopback", []func(*s3.Options){localaws.LoopbackS3}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: creds}, tc.opts...)
			_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
			require.NoError(t, err)
			h, got := rec.last()
			assert.Equal(t, body, got)
			assert.True(t, strings.HasPrefix(h.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=local/"), h.Get("Authorization"))
			checksum := false
			for k := range h {
				checksum = checksum || strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-")
			}
			assert.False(t, checksum, "no checksum header over plain HTTP: %v", h)
			assert.Empty(t, h.Get("X-Amz-Trailer"))
			if tc.loopback {
				assert.Equal(t, "UNSIGNED-PAYLOAD", h.Get("X-Amz-Content-Sha256"))
				assert.Empty(t, h.Get("Expect"))
			} else {
				assert.Len(t, h.Get("X-Amz-Content-Sha256"), 64, "the body's SHA-256 in hex")
				assert.Equal(t, "100-continue", h.Get("Expect"))
			}
		})
	}
}

// A loopback DynamoDB client sends the same request body, and leaves the
// response's CRC32 header alone: the SDK's defaults refuse one that is not
// a number.
func TestLoopbackDynamoDB(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", "not-a-number")
		_, _ = w.Write([]byte(`{"TableNames":["t"]}`))
	}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	opts := dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds}

	_, err := dynamodb.New(opts).ListTables(t.Context(), &dynamodb.ListTablesInput{Limit: aws.Int32(5)})
	require.ErrorContains(t, err, "checksum header", "the SDK's defaults check the CRC32")
	_, want := rec.last()

	out, err := dynamodb.New(opts, localaws.LoopbackDynamoDB).ListTables(t.Context(), &dynamodb.ListTablesInput{Limit: aws.Int32(5)})
	require.NoError(t, err)
	assert.Equal(t, []string{"t"}, out.TableNames)
	h, got := rec.last()
	assert.JSONEq(t, string(want), string(got))
	assert.Equal(t, "DynamoDB_20120810.ListTables", h.Get("X-Amz-Target"))
	assert.True(t, strings.HasPrefix(h.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=local/"), h.Get("Authorization"))
}

// Many requests at once share a loopback client's endpoints safely (under
// -race).
func TestLoopbackConcurrentRequests(t *testing.T) {
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4569"), UsePathStyle: true,
		Credentials: creds, HTTPClient: &http.Client{Transport: canned{header: http.Header{"Etag": {`"x"`}}}}}, localaws.LoopbackS3)
	ddb := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4567"), Credentials: creds,
		HTTPClient: &http.Client{Transport: canned{header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, body: `{}`}}},
		localaws.LoopbackDynamoDB)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				bucket := []string{"results", "other"}[(g+i)%2]
				_, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
					Body: strings.NewReader("{}"), ContentLength: aws.Int64(2)})
				assert.NoError(t, err)
				_, err = ddb.ListTables(t.Context(), &dynamodb.ListTablesInput{})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}
