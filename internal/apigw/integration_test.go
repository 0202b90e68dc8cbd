package apigw

import (
	"context"
	"io"
	"net/http"
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
