package apigw

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzProjectGateway sends arbitrary requests through the project's real
// routes and templates. Whatever comes in, the gateway must not panic
// (recovered panics are logged and fail the test), must answer one of the
// statuses API Gateway would, and a StartExecution it sends must be JSON
// whose input is the client's JSON body, unchanged.
func FuzzProjectGateway(f *testing.F) {
	f.Add("POST", "/dev/start-execution", "application/json", `{"records":10}`, "key-1")
	f.Add("POST", "/dev/start-execution", "application/json", `{"a":"it's \u2028 \"q\" \\ </script>"}`, "")
	f.Add("POST", "/dev/describe-execution", "application/json", `{"executionArn":"arn:aws:states:us-east-1:0:execution:m:x'\""}`, "")
	f.Add("POST", "/dev/start-execution", "application/x-www-form-urlencoded", "a=b&c", "bad key!")
	f.Add("GET", "/dev/%zz", "", "", "")
	f.Fuzz(func(t *testing.T, method, path, contentType, body, idemKey string) {
		var logs bytes.Buffer
		integ := &recordingIntegration{status: 200, bodies: map[string]string{
			"StartExecution": `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:x","startDate":1}`,
			"DescribeExecution": `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:x","name":"x",` +
				`"status":"RUNNING","input":"{\"a\":1}","startDate":1}`,
		}}
		g := projectGateway(t, integ)
		g.log = slog.New(slog.NewJSONHandler(&logs, nil))
		req, err := http.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		if err != nil || !validHTTPMethod(method) {
			return
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Idempotency-Key", idemKey)
		req.Header.Set("Authorization", "Bearer ok")
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("panic: %s", logs.String())
		}
		switch rec.Code {
		case 200, 202, 400, 403, 404, 413, 415:
		default:
			t.Fatalf("status %d for %s %q %q %q: %s\nlogs: %s", rec.Code, method, path, contentType, body, rec.Body.String(), logs.String())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("response is not JSON: %q", rec.Body.String())
		}
		for _, c := range integ.calls {
			if !json.Valid([]byte(c.Body)) {
				t.Fatalf("%s request is not JSON: %q", c.Action, c.Body)
			}
			if c.Action != "StartExecution" || mediaType(contentType) != "application/json" && contentType != "" {
				continue
			}
			var sent struct{ Input string }
			if err := json.Unmarshal([]byte(c.Body), &sent); err != nil {
				t.Fatalf("StartExecution request: %v: %q", err, c.Body)
			}
			if json.Valid([]byte(body)) && strings.TrimSpace(body) != "null" && !jsonEqual(body, sent.Input) {
				t.Fatalf("input %q is not the body %q", sent.Input, body)
			}
		}
	})
}

func validHTTPMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
