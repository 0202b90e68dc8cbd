package apigw

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The gateway's share of a request under make load: the project's routes
// and templates, the cached authorizer, the schema validator, both mapping
// templates, with a stub Step Functions that answers at once.

const benchExecARN = "arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:" + testOwner + "-job-1"

// benchIntegration answers each action with a fixed body.
type benchIntegration map[string]string

func (b benchIntegration) Call(_ context.Context, action string, _ []byte) (int, []byte, error) {
	return http.StatusOK, []byte(b[action]), nil
}

func benchServe(b *testing.B, path, body string, wantStatus int) {
	g := projectGateway(b, benchIntegration{
		"StartExecution": `{"executionArn":"` + benchExecARN + `","startDate":1.7637e9}`,
		"DescribeExecution": `{"executionArn":"` + benchExecARN + `","name":"` + testOwner + `-job-1","status":"SUCCEEDED",` +
			`"input":"{\"records\":10}","output":"{\"jobId\":\"job-1\",\"status\":\"SUCCEEDED\"}",` +
			`"startDate":1795435190.5,"stopDate":1795435195.25}`,
	})
	serve := func() *httptest.ResponseRecorder {
		// Built directly rather than by httptest.NewRequest, whose parsing of
		// a request text would outweigh some of what is measured.
		req, err := http.NewRequest(http.MethodPost, "http://localhost:3000"+path, strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("User-Agent", "stepjobs-load")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer ok")
		req.Header.Set("Idempotency-Key", "job-1")
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec
	}
	rec := serve() // fills the authorizer cache, as every request but the first under load
	require.Equal(b, wantStatus, rec.Code, rec.Body.String())
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(); rec.Code != wantStatus {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

func BenchmarkServeStartExecution(b *testing.B) {
	benchServe(b, "/dev/start-execution", `{"records": 10, "seed": 42}`, http.StatusAccepted)
}

func BenchmarkServeDescribeExecution(b *testing.B) {
	benchServe(b, "/dev/describe-execution", `{"executionArn":"`+benchExecARN+`"}`, http.StatusOK)
}
