package apigw

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// HandlerIntegration calls a Step Functions API served by an http.Handler
// in process (AWS JSON 1.0: POST, X-Amz-Target "AWSStepFunctions.<action>"),
// as API Gateway's AWS integration calls the Step Functions endpoint.
type HandlerIntegration struct {
	Handler http.Handler
}

// Call implements Integration.
func (h HandlerIntegration) Call(ctx context.Context, action string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://states.local/", bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("step functions %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	w := &bufferedResponse{header: http.Header{}}
	h.Handler.ServeHTTP(w, req)
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("step functions %s: %w", action, err)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status, w.body.Bytes(), nil
}

// bufferedResponse is an in-memory http.ResponseWriter.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// EndpointIntegration calls an AWS JSON 1.0 service over HTTP (POST,
// X-Amz-Target "<TargetPrefix>.<action>"), as API Gateway's AWS
// integration calls DynamoDB: the local runtime points it at dynalite,
// which accepts any credentials, so the request is signed with fixed ones.
type EndpointIntegration struct {
	// URL is the service endpoint, e.g. http://127.0.0.1:8000.
	URL string
	// TargetPrefix is the X-Amz-Target prefix, e.g. DynamoDB_20120810.
	TargetPrefix string
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
}

// DynamoDBTargetPrefix is DynamoDB's X-Amz-Target prefix.
const DynamoDBTargetPrefix = "DynamoDB_20120810"

// Call implements Integration.
func (e EndpointIntegration) Call(ctx context.Context, action string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("%s.%s: %w", e.TargetPrefix, action, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", e.TargetPrefix+"."+action)
	// An emulator checks that a request is signed, not the signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	req.Header.Set("X-Amz-Date", "20200101T000000Z")
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s.%s: %w", e.TargetPrefix, action, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s.%s: read answer: %w", e.TargetPrefix, action, err)
	}
	return resp.StatusCode, out, nil
}
