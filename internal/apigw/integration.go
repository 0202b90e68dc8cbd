package apigw

import (
	"bytes"
	"context"
	"fmt"
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
