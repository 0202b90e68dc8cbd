package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/callback"
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
	return startCallbackReceiver(t, secret, failures, nil)
}

// startCallbackReceiver serves the receiver on ln (nil: a loopback port).
func startCallbackReceiver(t *testing.T, secret string, failures int, ln net.Listener) *callbackReceiver {
	t.Helper()
	r := &callbackReceiver{secret: []byte(secret), got: make(chan client.Callback, 16), failures: failures}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
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
	if ln != nil {
		r.srv.Listener.Close()
		r.srv.Listener = ln
	}
	r.srv.Start()
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
// secret; a failing receiver is retried (the message received again after
// its backoff, 1 s locally) until it answers 2xx.
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

// A receiver that never answers 2xx is retried, one attempt per receive of
// the callbacks queue with the notifier's backoff between them, until the
// queue's redrive policy (maxReceiveCount 20) moves the status change event
// to the dead-letter queue. The backoff is the environment's: 1 s here.
func TestE2ECallbackDeadLettered(t *testing.T) {
	cfg := testConfig()
	cfg.FunctionEnv["CALLBACK_RETRY_FIRST"] = "1s"
	cfg.FunctionEnv["CALLBACK_RETRY_MAX"] = "1s"
	rt := own(t, cfg)
	rec := newCallbackReceiver(t, callbackSecret(t, rt), -1)
	arn, jobID := rt.start(t, fmt.Sprintf(`{"records": 5, "callbackUrl": "%s/hook"}`, rec.srv.URL))
	done := rt.wait(t, arn)
	require.Equal(t, "SUCCEEDED", done.Body["status"], done.String())

	sqsc := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(rt.srv.URLs().SQS),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	dlq := rt.srv.URLs().SQS + "/000000000000/stepjobs-dev-callback-dlq"
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a guard against a hang
	defer cancel()
	var msgs *awssqs.ReceiveMessageOutput
	for msgs == nil || len(msgs.Messages) == 0 {
		var err error
		msgs, err = sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), WaitTimeSeconds: 20})
		require.NoError(t, err, "the dead-letter queue gets the callback")
	}
	require.Len(t, msgs.Messages, 1)
	var ev struct {
		DetailType string `json:"detail-type"`
		Detail     struct {
			Name, Status string
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &ev), "the status change event, as the rule put it on the queue")
	assert.Equal(t, "Step Functions Execution Status Change", ev.DetailType)
	assert.Equal(t, jobID, ev.Detail.Name)
	assert.Equal(t, "SUCCEEDED", ev.Detail.Status)

	attempts, refused := rec.counts()
	assert.Equal(t, callback.DefaultMaxReceives, attempts, "one attempt per receive, maxReceiveCount receives")
	assert.Empty(t, refused, "every attempt was signed")
	left, err := sqsc.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(rt.srv.URLs().SQS + "/000000000000/stepjobs-dev-callbacks"),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}, left.Attributes,
		"moved, not copied")
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

// TestDeployedCallbacks checks callbacks against a deployed stage. AWS must
// reach the receiver, so it needs, besides ASYNC_API_URL and
// ASYNC_API_TOKEN: ASYNC_CALLBACK_LISTEN (where this test listens, e.g.
// 127.0.0.1:8099), ASYNC_CALLBACK_PUBLIC_URL (a public https URL that
// forwards there: a tunnel or a load balancer) and ASYNC_CALLBACK_SECRET
// (the stage's secret: aws secretsmanager get-secret-value --secret-id
// stepjobs-<stage>-callback-signing).
func TestDeployedCallbacks(t *testing.T) {
	rt := deployedRuntime(t)
	listen, public, secret := os.Getenv("ASYNC_CALLBACK_LISTEN"), os.Getenv("ASYNC_CALLBACK_PUBLIC_URL"), os.Getenv("ASYNC_CALLBACK_SECRET")
	if listen == "" || public == "" || secret == "" {
		t.Skip("not run: set ASYNC_CALLBACK_LISTEN, ASYNC_CALLBACK_PUBLIC_URL and ASYNC_CALLBACK_SECRET (see the test's comment)")
	}
	runDeployedCallbacks(t, rt, secret, listen, public)
}

// The deployed callback test, run against the local runtime as if it were
// a stage (by URL, token and the receiver's address only).
func TestE2EStageCallbacksOnLocalRuntime(t *testing.T) {
	local := shared(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	t.Setenv("ASYNC_API_URL", local.api+"/dev/")
	t.Setenv("ASYNC_API_TOKEN", local.token)
	runDeployedCallbacks(t, deployedRuntime(t), callbackSecret(t, local), addr, "http://"+addr)
}

func runDeployedCallbacks(t *testing.T, rt *localRuntime, secret, listen, public string) {
	ln, err := net.Listen("tcp", listen)
	require.NoError(t, err)
	rec := startCallbackReceiver(t, secret, 0, ln)
	// A succeeding job, and one that fails (simulateFailure: refused on AWS
	// with InvalidJobInput, a simulated failure locally: FAILED either way).
	arn, jobID := rt.start(t, fmt.Sprintf(`{"records": 3, "callbackUrl": %q}`, public+"/ok"))
	require.Equal(t, "SUCCEEDED", rt.wait(t, arn).Body["status"])
	failedARN, failedID := rt.start(t, fmt.Sprintf(`{"records": 3, "simulateFailure": "permanent", "callbackUrl": %q}`, public+"/failed"))
	require.Equal(t, "FAILED", rt.wait(t, failedARN).Body["status"])
	got := map[string]client.Callback{}
	for len(got) < 2 {
		cb := rec.next(t)
		got[cb.JobID] = cb
	}
	assert.Equal(t, "SUCCEEDED", got[jobID].Status)
	assert.NotEmpty(t, got[jobID].Result)
	assert.Equal(t, "FAILED", got[failedID].Status)
	assert.NotEmpty(t, got[failedID].Error)
	_, refused := rec.counts()
	assert.Empty(t, refused, "every callback verified with the stage's secret")
}
