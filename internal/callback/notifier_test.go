package callback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/callback"
)

// secrets is a Secrets Manager holding one secret; it counts the reads.
type secrets struct {
	mu    sync.Mutex
	reads int
}

const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stepjobs-dev-callback-AbCdEf"

func (s *secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if aws.ToString(in.SecretId) != secretARN {
		return nil, io.ErrUnexpectedEOF
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String("s3cret")}, nil
}

// receiver answers the statuses given in order (then 204), and keeps what
// it verified.
type receiver struct {
	mu       sync.Mutex
	answers  []int
	attempts int
	got      []client.Callback
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if len(r.answers) > 0 {
		code := r.answers[0]
		r.answers = r.answers[1:]
		w.WriteHeader(code)
		return
	}
	cb, err := client.VerifyCallbackRequest(req, []byte("s3cret"), 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	r.got = append(r.got, cb)
	w.WriteHeader(http.StatusNoContent)
}

func config(p callback.Policy) callback.Config {
	return callback.Config{SecretID: secretARN, Policy: p, QueueURL: queueURL,
		Backoff: callback.Backoff{First: 30 * time.Second, Max: 30 * time.Minute}, AttemptTimeout: 5 * time.Second, SecretTTL: time.Minute}
}

const queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/stepjobs-dev-callbacks"

// visibility records the ChangeMessageVisibility calls.
type visibility struct {
	mu      sync.Mutex
	changes map[string]int32 // receipt handle: seconds
	fail    error
}

func (v *visibility) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if aws.ToString(in.QueueUrl) != queueURL {
		return nil, fmt.Errorf("queue %s", aws.ToString(in.QueueUrl))
	}
	if v.fail != nil {
		return nil, v.fail
	}
	if v.changes == nil {
		v.changes = map[string]int32{}
	}
	v.changes[aws.ToString(in.ReceiptHandle)] = in.VisibilityTimeout
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func event(url, status string) callback.Event {
	in := `{"records":5,"callbackUrl":"` + url + `"}`
	d := callback.Detail{Name: "0123456789abcdef-k", Status: status, Input: &in}
	if status == "SUCCEEDED" {
		d.Output = aws.String(`{"jobId":"0123456789abcdef-k","status":"SUCCEEDED","result":{"bucket":"b","key":"results/k.json","records":5,"bytes":900}}`)
	} else {
		d.Error, d.Cause = aws.String("InvalidJobInput"), aws.String("records must be between 1 and 100000")
	}
	return callback.Event{Detail: d}
}

// message is ev as the callbacks queue hands it to the notifier on its
// receives-th receive.
func message(t *testing.T, id string, ev callback.Event, receives int) events.SQSMessage {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: string(b),
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)}}
}

func TestNotifierDelivers(t *testing.T) {
	for _, status := range []string{"SUCCEEDED", "FAILED"} {
		t.Run(status, func(t *testing.T) {
			rec := &receiver{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			sm := &secrets{}
			n := callback.New(config(callback.Policy{AllowLoopback: true}), sm, &visibility{}, nil, slog.New(slog.DiscardHandler))
			require.NoError(t, n.Deliver(t.Context(), event(srv.URL+"/hook", status)))
			assert.Equal(t, 1, rec.attempts)
			require.Len(t, rec.got, 1)
			assert.Equal(t, "0123456789abcdef-k", rec.got[0].JobID)
			assert.Equal(t, status, rec.got[0].Status)
			if status == "SUCCEEDED" {
				assert.JSONEq(t, `{"bucket":"b","key":"results/k.json","records":5,"bytes":900}`, string(rec.got[0].Result))
			} else {
				assert.Equal(t, "InvalidJobInput", rec.got[0].Error)
				assert.Nil(t, rec.got[0].Result)
			}
			require.NoError(t, n.Deliver(t.Context(), event(srv.URL+"/hook", status)))
			assert.Equal(t, 1, sm.reads, "the secret is cached")
		})
	}
}

// One attempt per call: a failing receiver is tried once, and the error
// names its answer.
func TestNotifierAttemptsOnce(t *testing.T) {
	rec := &receiver{answers: []int{500, 500}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	n := callback.New(config(callback.Policy{AllowLoopback: true}), &secrets{}, &visibility{}, nil, slog.New(slog.DiscardHandler))
	err := n.Deliver(t.Context(), event(srv.URL, "FAILED"))
	var df *callback.DeliveryFailed
	require.ErrorAs(t, err, &df)
	assert.Equal(t, "0123456789abcdef-k", df.JobID)
	assert.Equal(t, 1, rec.attempts)
	assert.ErrorContains(t, err, "500 Internal Server Error")
}

// A batch: the delivered message is not reported (the event source mapping
// deletes it); a failing receiver's is, its visibility set to the backoff of
// its receive count; a refused target's is, made visible at once so that it
// reaches the dead-letter queue without hours of retries; a body that is no
// event likewise.
func TestNotifierHandleMessages(t *testing.T) {
	ok := &receiver{}
	okSrv := httptest.NewServer(ok)
	defer okSrv.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	vis := &visibility{}
	n := callback.New(config(callback.Policy{AllowLoopback: true}), &secrets{}, vis, nil, slog.New(slog.DiscardHandler))
	refused := callback.New(config(callback.Policy{}), &secrets{}, vis, nil, slog.New(slog.DiscardHandler))

	resp, err := n.HandleMessages(t.Context(), events.SQSEvent{Records: []events.SQSMessage{
		message(t, "delivered", event(okSrv.URL, "SUCCEEDED"), 1),
		message(t, "down-first", event(down.URL, "FAILED"), 1),
		message(t, "down-fourth", event(down.URL, "FAILED"), 4),
		{MessageId: "garbage", ReceiptHandle: "rh-garbage", Body: "not json"},
	}})
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "down-first"}, {ItemIdentifier: "down-fourth"}, {ItemIdentifier: "garbage"}},
		resp.BatchItemFailures)
	assert.Len(t, ok.got, 1)

	resp, err = refused.HandleMessages(t.Context(), events.SQSEvent{Records: []events.SQSMessage{message(t, "refused", event(okSrv.URL, "FAILED"), 2)}})
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "refused"}}, resp.BatchItemFailures)
	assert.Len(t, ok.got, 1, "a refused target is not called")
	assert.Equal(t, map[string]int32{"rh-down-first": 30, "rh-down-fourth": 240, "rh-garbage": 0, "rh-refused": 0}, vis.changes)

	// When the visibility cannot be changed the item still fails: the
	// queue's own visibility timeout brings it back.
	vis.fail = errors.New("throttled")
	resp, err = n.HandleMessages(t.Context(), events.SQSEvent{Records: []events.SQSMessage{message(t, "down", event(down.URL, "FAILED"), 1)}})
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "down"}}, resp.BatchItemFailures)
}

// On AWS a loopback receiver is refused before anything is sent.
func TestNotifierRefusesPrivateTargets(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	for _, url := range []string{srv.URL, "https://" + srv.Listener.Addr().String(), "https://169.254.169.254/latest"} {
		n := callback.New(config(callback.Policy{}), &secrets{}, &visibility{}, nil, slog.New(slog.DiscardHandler))
		err := n.Deliver(t.Context(), event(url, "SUCCEEDED"))
		assert.ErrorIs(t, err, callback.ErrRefused, url)
	}
	assert.Zero(t, rec.attempts)
}

// A redirect is not followed: it would be a target nobody checked.
func TestNotifierDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/", http.StatusFound))
	defer srv.Close()
	cfg := config(callback.Policy{AllowLoopback: true})
	err := callback.New(cfg, &secrets{}, &visibility{}, nil, slog.New(slog.DiscardHandler)).Deliver(t.Context(), event(srv.URL, "FAILED"))
	assert.ErrorContains(t, err, "302 Found")
}

func TestNotifierWithoutCallback(t *testing.T) {
	sm := &secrets{}
	n := callback.New(config(callback.Policy{}), sm, &visibility{}, nil, slog.New(slog.DiscardHandler))
	in := `{"records":5}`
	assert.NoError(t, n.Deliver(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "SUCCEEDED", Input: &in}}))
	assert.NoError(t, n.Deliver(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "ABORTED"}}))
	assert.Zero(t, sm.reads, "no secret read for a job without a callback")
}

func TestBackoffAfter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		b        callback.Backoff
		receives int
		want     time.Duration
	}{
		{"first", callback.Backoff{First: 30 * time.Second, Max: 30 * time.Minute}, 1, 30 * time.Second},
		{"doubled", callback.Backoff{First: 30 * time.Second, Max: 30 * time.Minute}, 3, 2 * time.Minute},
		{"capped", callback.Backoff{First: 30 * time.Second, Max: 30 * time.Minute}, 7, 30 * time.Minute},
		{"long capped", callback.Backoff{First: 30 * time.Second, Max: 30 * time.Minute}, 1000, 30 * time.Minute},
		{"whole seconds", callback.Backoff{First: 1500 * time.Millisecond, Max: time.Minute}, 1, 2 * time.Second},
		{"none", callback.Backoff{}, 5, 0},
		{"SQS's limit", callback.Backoff{First: time.Hour, Max: 48 * time.Hour}, 6, 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.b.After(tc.receives))
		})
	}
}

// The AWS defaults (the notifier's, and the callbacks queue's
// maxReceiveCount in resources/callbacks.yml, which TestStackCallbackRule
// checks is 20) retry for hours: 30 s, 1, 2, 4, 8, 16 min, then every
// 30 min, 19 pauses between 20 attempts.
func TestBackoffWindowSpansHours(t *testing.T) {
	b := callback.Backoff{First: callback.DefaultFirstRetry, Max: callback.DefaultMaxRetry}
	w := b.Window(callback.DefaultMaxReceives)
	assert.GreaterOrEqual(t, w, 6*time.Hour)
	assert.Equal(t, 30*time.Second+time.Minute+2*time.Minute+4*time.Minute+8*time.Minute+16*time.Minute+13*30*time.Minute, w)
	assert.Equal(t, "7h1m30s", w.String())
}

func TestBody(t *testing.T) {
	b, err := callback.Body(event("https://x", "SUCCEEDED").Detail)
	require.NoError(t, err)
	assert.JSONEq(t, `{"jobId":"0123456789abcdef-k","status":"SUCCEEDED","result":{"bucket":"b","key":"results/k.json","records":5,"bytes":900}}`, string(b))
	b, err = callback.Body(callback.Detail{Name: "j", Status: "ABORTED"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"jobId":"j","status":"ABORTED"}`, string(b))
}
