package lambdart

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRuntime is a Runtime API client as a bootstrap is: it asks for an
// event, then answers it.
type fakeRuntime struct {
	t    *testing.T
	base string
}

func (f fakeRuntime) next() (*http.Response, []byte) {
	f.t.Helper()
	resp, err := http.Get(f.base + pathNext)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp, body
}

func (f fakeRuntime) post(path, body string, header http.Header) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.base+path, strings.NewReader(body))
	require.NoError(f.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, string(b)
}

func startAPI(t *testing.T) (*API, fakeRuntime) {
	api := NewAPI()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	api.now = func() time.Time { return fixed }
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(api.Close)
	return api, fakeRuntime{t: t, base: srv.URL}
}

func TestAPINextHeadersAndResponse(t *testing.T) {
	api, rt := startAPI(t)
	inv := NewInvocation("req-1", []byte(`{"a":1}`), "arn:aws:lambda:us-east-1:000000000000:function:f", "Root=1-x", 2*time.Second)
	go api.Offer(inv, nil)

	resp, body := rt.next()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"a":1}`, string(body))
	assert.Equal(t, "req-1", resp.Header.Get("Lambda-Runtime-Aws-Request-Id"))
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:f", resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"))
	assert.Equal(t, "Root=1-x", resp.Header.Get("Lambda-Runtime-Trace-Id"))
	deadline := time.Date(2026, 1, 2, 3, 4, 7, 0, time.UTC).UnixMilli()
	assert.Equal(t, strconv.FormatInt(deadline, 10), resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	assert.False(t, api.FirstNext().IsZero())
	select {
	case <-api.InitDone():
	default:
		t.Fatal("init not done after the first next")
	}

	code, _ := rt.post("/2018-06-01/runtime/invocation/req-1/response", `{"ok":true}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	o := <-inv.Done()
	require.NoError(t, o.Err)
	assert.JSONEq(t, `{"ok":true}`, string(o.Payload))
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		header   string
		wantType string
		wantMsg  string
	}{
		{"aws-lambda-go body", `{"errorMessage":"bad input: x","errorType":"BadInput","stackTrace":[]}`, "", "BadInput", "bad input: x"},
		{"type in header only", `{"errorMessage":"m"}`, "Custom.Error", "Custom.Error", "m"},
		{"not JSON", `boom`, "", "Unhandled", "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, rt := startAPI(t)
			inv := NewInvocation("req-2", []byte(`{}`), "arn", "", time.Second)
			go api.Offer(inv, nil)
			rt.next()
			h := http.Header{}
			if tc.header != "" {
				h.Set("Lambda-Runtime-Function-Error-Type", tc.header)
			}
			code, _ := rt.post("/2018-06-01/runtime/invocation/req-2/error", tc.body, h)
			assert.Equal(t, http.StatusAccepted, code)
			o := <-inv.Done()
			var e messages.InvokeResponse_Error
			require.ErrorAs(t, o.Err, &e)
			assert.Equal(t, tc.wantType, e.Type)
			assert.Equal(t, tc.wantMsg, e.Message)
		})
	}
}

func TestAPIUnknownRequestID(t *testing.T) {
	api, rt := startAPI(t)
	inv := NewInvocation("req-3", []byte(`{}`), "arn", "", time.Second)
	go api.Offer(inv, nil)
	rt.next()
	code, body := rt.post("/2018-06-01/runtime/invocation/other/response", `{}`, nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, body)
	// The right id still answers.
	code, _ = rt.post("/2018-06-01/runtime/invocation/req-3/response", `"x"`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, `"x"`, string((<-inv.Done()).Payload))
}

func TestAPINextWithoutAnswerFailsThePrevious(t *testing.T) {
	api, rt := startAPI(t)
	first := NewInvocation("a", []byte(`1`), "arn", "", time.Second)
	second := NewInvocation("b", []byte(`2`), "arn", "", time.Second)
	go func() {
		api.Offer(first, nil)
		api.Offer(second, nil)
	}()
	rt.next()
	_, body := rt.next()
	assert.Equal(t, "2", string(body))
	var e messages.InvokeResponse_Error
	require.ErrorAs(t, (<-first.Done()).Err, &e)
	assert.Equal(t, "Runtime.InvalidResponse", e.Type)
}

func TestAPIInitError(t *testing.T) {
	api, rt := startAPI(t)
	code, _ := rt.post("/2018-06-01/runtime/init/error", `{"errorMessage":"no TABLE_NAME","errorType":"Runtime.ConfigError"}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	<-api.InitDone()
	require.NotNil(t, api.InitError())
	assert.Equal(t, messages.InvokeResponse_Error{Message: "no TABLE_NAME", Type: "Runtime.ConfigError"}, *api.InitError())
}

func TestAPICloseEndsNext(t *testing.T) {
	api, rt := startAPI(t)
	api.Close()
	resp, _ := rt.next()
	assert.Equal(t, http.StatusGone, resp.StatusCode)
	assert.False(t, api.Offer(NewInvocation("x", nil, "", "", time.Second), nil))
}

func TestEnvironment(t *testing.T) {
	env := Environment(Config{Name: "f", Region: "eu-west-1", MemoryMB: 256, Env: map[string]string{"TABLE_NAME": "t", "TZ": "Europe/Paris"}}, "127.0.0.1:9001")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	assert.Equal(t, "127.0.0.1:9001", got["AWS_LAMBDA_RUNTIME_API"])
	assert.Equal(t, "f", got["AWS_LAMBDA_FUNCTION_NAME"])
	assert.Equal(t, "256", got["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	assert.Equal(t, "eu-west-1", got["AWS_REGION"])
	assert.Equal(t, "t", got["TABLE_NAME"])
	assert.Equal(t, "Europe/Paris", got["TZ"], "the function's own environment wins")
	assert.NotContains(t, got, "HOME", "nothing of the host's environment leaks in")
}

func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"errorMessage":"m","errorType":"T"}`), "")
	f.Add([]byte(`not json`), "H")
	f.Add([]byte(`{"errorType":""}`), "")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		e := ParseError(body, header)
		if e.Type == "" {
			t.Fatalf("empty type for %q", body)
		}
		assert.Nil(t, e.StackTrace)
	})
}
