package integration_test

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/integration"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// aws-sdk:s3 calls the local S3 through the SDK: a body given as text is
// stored as it is and read back as text, the answer leaves out what S3
// did not send, and a missing key is S3.NoSuchKeyException.
func TestS3SDK(t *testing.T) {
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket("results"))
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})

	reg := sfn.NewRegistry()
	eng := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	served := integration.Register(reg, integration.Config{S3: client})
	assert.Contains(t, served, "arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken")
	h := &harness{eng: eng}
	done, events := h.run(t, "s3", `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:putObject","Parameters":{"Bucket":"results","Key":"a.txt","Body":"text data"},"ResultPath":"$.put","Next":"Get"},
	  "Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject","Parameters":{"Bucket":"results","Key":"a.txt"},"ResultPath":"$.get","Next":"List"},
	  "List":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:listObjectsV2","Parameters":{"Bucket":"results"},"ResultSelector":{"keys.$":"$.Contents[*].Key"},"ResultPath":"$.list","Next":"Missing"},
	  "Missing":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject","Parameters":{"Bucket":"results","Key":"nope"},
	    "Catch":[{"ErrorEquals":["S3.NoSuchKeyException"],"ResultPath":"$.caught","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`, `{}`)
	require.Equal(t, sfn.StatusSucceeded, done.Status, "%v %v", done.Error, done.Cause)
	out := decode(t, done.Output)
	put := out["put"].(map[string]any)
	assert.NotEmpty(t, put["ETag"])
	assert.NotContains(t, put, "VersionId", "what S3 did not send is left out")
	get := out["get"].(map[string]any)
	assert.Equal(t, "text data", get["Body"])
	assert.EqualValues(t, 9, get["ContentLength"])
	assert.Equal(t, map[string]any{"keys": []any{"a.txt"}}, out["list"])
	caught := out["caught"].(map[string]any)
	assert.Equal(t, "S3.NoSuchKeyException", caught["Error"])
	assert.Regexp(t, `\(Service: S3, Status Code: 404, Request ID: .*\)$`, caught["Cause"])
	sched := eventsOf(events, "TaskScheduled")
	require.NotEmpty(t, sched)
	assert.Equal(t, "aws-sdk:s3", sched[0].TaskScheduledEventDetails.ResourceType)
	assert.Equal(t, "putObject", sched[0].TaskScheduledEventDetails.Resource)
}
