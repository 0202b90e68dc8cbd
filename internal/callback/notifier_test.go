package callback_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
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
	return callback.Config{SecretID: secretARN, Policy: p, FirstRetry: time.Millisecond, MaxRetry: 4 * time.Millisecond,
		Budget: time.Minute, AttemptTimeout: 5 * time.Second, SecretTTL: time.Minute}
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

func TestNotifierDelivers(t *testing.T) {
	for _, status := range []string{"SUCCEEDED", "FAILED"} {
		t.Run(status, func(t *testing.T) {
			rec := &receiver{answers: []int{500, 503}}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			sm := &secrets{}
			n := callback.New(config(callback.Policy{AllowLoopback: true}), sm, nil, slog.New(slog.DiscardHandler))
			require.NoError(t, n.Handle(t.Context(), event(srv.URL+"/hook", status)))
			assert.Equal(t, 3, rec.attempts, "two failures, then delivered")
			require.Len(t, rec.got, 1)
			assert.Equal(t, "0123456789abcdef-k", rec.got[0].JobID)
			assert.Equal(t, status, rec.got[0].Status)
			if status == "SUCCEEDED" {
				assert.JSONEq(t, `{"bucket":"b","key":"results/k.json","records":5,"bytes":900}`, string(rec.got[0].Result))
			} else {
				assert.Equal(t, "InvalidJobInput", rec.got[0].Error)
				assert.Nil(t, rec.got[0].Result)
			}
			require.NoError(t, n.Handle(t.Context(), event(srv.URL+"/hook", status)))
			assert.Equal(t, 1, sm.reads, "the secret is cached")
		})
	}
}

func TestNotifierGivesUp(t *testing.T) {
	rec := &receiver{answers: []int{500, 500, 500, 500, 500, 500, 500, 500}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := config(callback.Policy{AllowLoopback: true})
	cfg.Budget = 3 * time.Millisecond // pauses of 1 and 2 ms fit, 4 does not
	n := callback.New(cfg, &secrets{}, nil, slog.New(slog.DiscardHandler))
	err := n.Handle(t.Context(), event(srv.URL, "FAILED"))
	var df *callback.DeliveryFailed
	require.ErrorAs(t, err, &df)
	assert.Equal(t, 3, df.Attempts)
	assert.Equal(t, 3, rec.attempts)
	assert.ErrorContains(t, err, "500 Internal Server Error")
}

// On AWS a loopback receiver is refused before anything is sent.
func TestNotifierRefusesPrivateTargets(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	for _, url := range []string{srv.URL, "https://" + srv.Listener.Addr().String(), "https://169.254.169.254/latest"} {
		n := callback.New(config(callback.Policy{}), &secrets{}, nil, slog.New(slog.DiscardHandler))
		err := n.Handle(t.Context(), event(url, "SUCCEEDED"))
		assert.ErrorIs(t, err, callback.ErrRefused, url)
	}
	assert.Zero(t, rec.attempts)
}

// A redirect is not followed: it would be a target nobody checked.
func TestNotifierDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/", http.StatusFound))
	defer srv.Close()
	cfg := config(callback.Policy{AllowLoopback: true})
	cfg.Budget = 0
	err := callback.New(cfg, &secrets{}, nil, slog.New(slog.DiscardHandler)).Handle(t.Context(), event(srv.URL, "FAILED"))
	assert.ErrorContains(t, err, "302 Found")
}

func TestNotifierWithoutCallback(t *testing.T) {
	sm := &secrets{}
	n := callback.New(config(callback.Policy{}), sm, nil, slog.New(slog.DiscardHandler))
	in := `{"records":5}`
	assert.NoError(t, n.Handle(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "SUCCEEDED", Input: &in}}))
	assert.NoError(t, n.Handle(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "ABORTED"}}))
	assert.Zero(t, sm.reads, "no secret read for a job without a callback")
}

func TestBody(t *testing.T) {
	b, err := callback.Body(event("https://x", "SUCCEEDED").Detail)
	require.NoError(t, err)
	assert.JSONEq(t, `{"jobId":"0123456789abcdef-k","status":"SUCCEEDED","result":{"bucket":"b","key":"results/k.json","records":5,"bytes":900}}`, string(b))
	b, err = callback.Body(callback.Detail{Name: "j", Status: "ABORTED"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"jobId":"j","status":"ABORTED"}`, string(b))
}
