package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
)

// callbackReceiver is a job's callback receiver on loopback: it verifies
// each callback with the stage's secret, answers fail for the first
// failures attempts (500; -1: every attempt), and hands on what it verified.
type callbackReceiver struct {
	srv      *httptest.Server
	secret   []byte
	got      chan client.Callback
	mu       sync.Mutex
	failures int
	attempts int
	refused  []error // signatures that did not verify
}

func newCallbackReceiver(t *testing.T, secret string, failures int) *callbackReceiver {
	t.Helper()
	r := &callbackReceiver{secret: []byte(secret), got: make(chan client.Callback, 16), failures: failures}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.attempts++
		fail := r.failures < 0 || r.attempts <= r.failures
		r.mu.Unlock()
		cb, err := client.VerifyCallbackRequest(req, r.secret, 0)
		if err != nil {
			r.mu.Lock()
			r.refused = append(r.refused, err)
			r.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if fail {
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		r.got <- cb
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// next is the next verified callback, within a guard deadline (against a
// hang, not a timing assertion).
func (r *callbackReceiver) next(t *testing.T) client.Callback {
	t.Helper()
	select {
	case cb := <-r.got:
		return cb
	case <-time.After(60 * time.Second):
		require.FailNow(t, "no callback")
		return client.Callback{}
	}
}

func (r *callbackReceiver) counts() (attempts int, refused []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, append([]error(nil), r.refused...)
}

func callbackSecret(t *testing.T, rt *localRuntime) string {
	t.Helper()
	secret, ok := rt.srv.Secret("CallbackSigningSecret")
	require.True(t, ok, "the stack's signing secret exists locally")
	require.Len(t, secret, 64)
	return secret
}

// A job that succeeds and a job that fails each POST one signed callback
// to their callbackUrl, which the receiver verifies with the stage's
// secret; a failing receiver is retried until it answers 2xx.
func TestE2ECallbackDelivered(t *testing.T) {
	rt := shared(t)
	secret := callbackSecret(t, rt)
	for _, tc := range []struct {
		name, body, status, errName string
		failures                    int
	}{
		{"SUCCEEDED", `{"records": 20, "seed": 3, "callbackUrl": "%s/done?job=1"}`, "SUCCEEDED", "", 0},
		{"FAILED", `{"records": 5, "simulateFailure": "permanent", "callbackUrl": "%s/done"}`, "FAILED", "SimulatedFailure", 0},
		{"SUCCEEDED after the receiver failed once", `{"records": 5, "callbackUrl": "%s/"}`, "SUCCEEDED", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newCallbackReceiver(t, secret, tc.failures)
			arn, jobID := rt.start(t, fmt.Sprintf(tc.body, rec.srv.URL))
			done := rt.wait(t, arn)
			require.Equal(t, tc.status, done.Body["status"], done.String())

			cb := rec.next(t)
			assert.Equal(t, jobID, cb.JobID)
			assert.Equal(t, tc.status, cb.Status)
			assert.Equal(t, tc.errName, cb.Error)
			if tc.status == "SUCCEEDED" {
				var res struct {
					Bucket, Key string
					Records     int
				}
				require.NoError(t, json.Unmarshal(cb.Result, &res), "%s", cb.Result)
				assert.Equal(t, rt.bucket, res.Bucket)
				assert.Equal(t, "results/"+jobID+".json", res.Key)
			} else {
				assert.NotEmpty(t, cb.Cause)
				assert.Nil(t, cb.Result)
			}
			attempts, refused := rec.counts()
			assert.Equal(t, tc.failures+1, attempts)
			assert.Empty(t, refused, "every callback verified")
		})
	}
}

// A receiver that never answers 2xx is retried (the notifier's backoff
// within an invocation, then Lambda's two retries of the invocation), and
// the callback ends in the dead-letter queue as Lambda's invocation record.
// Retry timings are the environment's: short here.
func TestE2ECallbackDeadLettered(t *testing.T) {
	cfg := testConfig()
	cfg.FunctionEnv = map[string]string{"CALLBACK_RETRY_FIRST": "1ms", "CALLBACK_RETRY_MAX": "2ms", "CALLBACK_RETRY_BUDGET": "3ms"}
	rt := own(t, cfg)
	rec := newCallbackReceiver(t, callbackSecret(t, rt), -1)
	arn, jobID := rt.start(t, fmt.Sprintf(`{"records": 5, "callbackUrl": "%s/hook"}`, rec.srv.URL))
	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())

	sqsc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(rt.srv.URLs().SQS),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	queue := rt.srv.URLs().SQS + "/000000000000/stepjobs-dev-callback-dlq"
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var msgs *awssqs.ReceiveMessageOutput
	for msgs == nil || len(msgs.Messages) == 0 {
		var err error
		msgs, err = sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(queue), WaitTimeSeconds: 20})
		require.NoError(t, err, "the dead-letter queue gets the callback")
	}
	require.Len(t, msgs.Messages, 1)
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload struct {
			Detail struct {
				Name, Status string
			} `json:"detail"`
		} `json:"requestPayload"`
		ResponsePayload struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"responsePayload"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &record))
	assert.Equal(t, "RetriesExhausted", record.RequestContext.Condition)
	assert.Equal(t, 3, record.RequestContext.ApproximateInvokeCount, "the invocation and Lambda's two retries")
	assert.Equal(t, jobID, record.RequestPayload.Detail.Name)
	assert.Equal(t, "SUCCEEDED", record.RequestPayload.Detail.Status)
	assert.Equal(t, "DeliveryFailed", record.ResponsePayload.ErrorType)
	assert.Contains(t, record.ResponsePayload.ErrorMessage, "500 Internal Server Error")

	attempts, refused := rec.counts()
	assert.Equal(t, 9, attempts, "3 invocations of 3 attempts (pauses of 1 and 2 ms fit the 3 ms budget)")
	assert.Empty(t, refused, "every attempt was signed")
}

// A malformed or plain-http callbackUrl is refused at start with 400, as
// API Gateway's validator answers.
func TestE2ECallbackURLValidated(t *testing.T) {
	rt := shared(t)
	for _, body := range []string{
		`{"callbackUrl": "http://hooks.example.com/done"}`,
		`{"callbackUrl": "not a url"}`,
		`{"callbackUrl": "https://hooks.example.com/#fragment"}`,
		`{"callbackUrl": 42}`,
	} {
		resp := rt.post(t, "/start-execution", []byte(body))
		assert.Equal(t, http.StatusBadRequest, resp.Status, "%s: %s", body, resp)
		assert.Equal(t, "Invalid request body", resp.Body["message"], "%s: %s", body, resp)
	}
}
