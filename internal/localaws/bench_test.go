package localaws_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/cputime"
	"github.com/asyncjobs/stepjobs/internal/localaws"
)

// canned answers every request with status 200 and body, without a network
// in between, so a benchmark measures the client alone.
type canned struct {
	header http.Header
	body   string
}

func (c canned) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: c.header.Clone(), Body: io.NopCloser(strings.NewReader(c.body)),
		ContentLength: int64(len(c.body)), Request: req}, nil
}

// BenchmarkClients is the client side of the local runtime's store calls
// (S3 PutObject of a result, DynamoDB PutItem of a job) with the SDK's
// defaults and with the loopback options, the server left out. cpu-ns/op
// is this process's CPU per call, GC included, steadier than ns/op on a
// loaded machine.
func BenchmarkClients(b *testing.B) {
	ddbResp := canned{header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Crc32": {"2745614147"}}, body: `{}`}
	s3Resp := canned{header: http.Header{"Etag": {`"x"`}}}
	result := bytes.Repeat([]byte(`{"id":1234,"value":0.123456789},`), 128)
	item := map[string]types.AttributeValue{
		"jobId": &types.AttributeValueMemberS{Value: "owner-123"}, "status": &types.AttributeValueMemberS{Value: "RUNNING"},
		"executionArn": &types.AttributeValueMemberS{Value: "arn:aws:states:us-east-1:000000000000:execution:m:owner-123"},
		"createdAt":    &types.AttributeValueMemberS{Value: "2026-03-04T05:06:07.123456789Z"},
		"request":      &types.AttributeValueMemberS{Value: `{"records": 10}`}}
	for _, loopback := range []bool{false, true} {
		name := map[bool]string{false: "sdk-defaults", true: "loopback"}[loopback]
		b.Run("op=PutObject/client="+name, func(b *testing.B) {
			var opts []func(*s3.Options)
			if loopback {
				opts = append(opts, localaws.LoopbackS3)
			}
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4569"), UsePathStyle: true,
				Credentials: creds, HTTPClient: &http.Client{Transport: s3Resp}}, opts...)
			start := cputime.Self()
			for b.Loop() {
				_, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("results"), Key: aws.String("results/j.json"),
					Body: bytes.NewReader(result), ContentLength: aws.Int64(int64(len(result))), ContentType: aws.String("application/json")})
				require.NoError(b, err)
			}
			b.ReportMetric(float64((cputime.Self()-start)/time.Duration(b.N)), "cpu-ns/op")
		})
		b.Run("op=PutItem/client="+name, func(b *testing.B) {
			var opts []func(*dynamodb.Options)
			if loopback {
				opts = append(opts, localaws.LoopbackDynamoDB)
			}
			c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4567"),
				Credentials: creds, HTTPClient: &http.Client{Transport: ddbResp}}, opts...)
			start := cputime.Self()
			for b.Loop() {
				_, err := c.PutItem(b.Context(), &dynamodb.PutItemInput{TableName: aws.String("jobs"), Item: item,
					ConditionExpression: aws.String("attribute_not_exists(jobId)")})
				require.NoError(b, err)
			}
			b.ReportMetric(float64((cputime.Self()-start)/time.Duration(b.N)), "cpu-ns/op")
		})
	}
}
