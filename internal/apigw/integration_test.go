package apigw

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandlerIntegration(t *testing.T) {
	var gotTarget, gotType, gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTarget, gotType = r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"InvalidArn"}`))
	})
	status, body, err := HandlerIntegration{Handler: h}.Call(context.Background(), "DescribeExecution", []byte(`{"executionArn":"x"}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"__type":"InvalidArn"}`, string(body))
	assert.Equal(t, "AWSStepFunctions.DescribeExecution", gotTarget)
	assert.Equal(t, "application/x-amz-json-1.0", gotType)
	assert.Equal(t, `{"executionArn":"x"}`, gotBody)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = HandlerIntegration{Handler: h}.Call(ctx, "StartExecution", nil)
	require.ErrorIs(t, err, context.Canceled)
}

// EndpointIntegration posts as API Gateway's AWS integration posts to
// DynamoDB: AWS JSON 1.0, the target, signed (an emulator checks that a
// signature is there), and relays the status and body as they are.
func TestEndpointIntegration(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"no"}`))
	}))
	defer srv.Close()
	e := EndpointIntegration{URL: srv.URL, TargetPrefix: DynamoDBTargetPrefix}
	status, body, err := e.Call(context.Background(), "Query", []byte(`{"TableName":"t"}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"no"}`, string(body))
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "DynamoDB_20120810.Query", got.Header.Get("X-Amz-Target"))
	assert.Equal(t, "application/x-amz-json-1.0", got.Header.Get("Content-Type"))
	assert.Contains(t, got.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=")
	assert.Equal(t, `{"TableName":"t"}`, gotBody)

	srv.Close()
	_, _, err = e.Call(context.Background(), "GetItem", nil)
	assert.ErrorContains(t, err, "DynamoDB_20120810.GetItem", "no answer: an error naming the call")
}
