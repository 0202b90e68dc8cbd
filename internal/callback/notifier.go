package callback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/asyncjobs/stepjobs/client"
)

// SecretGetter is the Secrets Manager call the notifier makes, with the
// SDK's signature: *secretsmanager.Client on AWS, the local runtime's
// Secrets Manager locally, a map in tests.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretGetter = (*secretsmanager.Client)(nil)

// Event is the "Step Functions Execution Status Change" event, as the
// status change rule delivers it (the whole event: no input transformer,
// whose escaping of the input string is not needed here).
type Event struct {
	Detail Detail `json:"detail"`
}

// Detail is the part of the event the notifier reads.
type Detail struct {
	ExecutionARN string  `json:"executionArn"`
	Name         string  `json:"name"` // the job id
	Status       string  `json:"status"`
	Input        *string `json:"input"`  // the start request's body
	Output       *string `json:"output"` // SUCCEEDED: {jobId, status, result}
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

// Config is the notifier's configuration (the function's environment).
type Config struct {
	// SecretID names the stage's signing secret (its ARN).
	SecretID string
	// Policy says which targets may be called.
	Policy Policy
	// QueueURL is the callbacks queue the status change rule feeds and the
	// notifier consumes: a failed message's visibility is changed there.
	QueueURL string
	// Backoff spaces the attempts of one callback (one per receive).
	Backoff Backoff
	// AttemptTimeout bounds one POST.
	AttemptTimeout time.Duration
	// SecretTTL is how long a fetched secret is used before it is fetched
	// again (so a rotation is picked up).
	SecretTTL time.Duration
}

// DeliveryFailed is the error of an attempt that failed, or whose target is
// refused.
type DeliveryFailed struct {
	JobID string
	Err   error
}

func (e *DeliveryFailed) Error() string {
	return fmt.Sprintf("callback for %s: %v", e.JobID, e.Err)
}

func (e *DeliveryFailed) Unwrap() error { return e.Err }

// Notifier delivers completion callbacks.
type Notifier struct {
	cfg     Config
	secrets SecretGetter
	queue   Visibility
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	secret   []byte
	secretAt time.Time
}

// New returns a notifier reading the signing secret through secrets,
// changing failed messages' visibility through queue, and calling targets
// over client (nil: one that dials through NewDialer).
func New(cfg Config, secrets SecretGetter, queue Visibility, hc *http.Client, log *slog.Logger) *Notifier {
	if hc == nil {
		hc = NewHTTPClient(cfg.Policy)
	}
	return &Notifier{cfg: cfg, secrets: secrets, queue: queue, http: hc, log: log, now: time.Now}
}

// NewHTTPClient is an HTTP client that reaches only what p allows, through
// no proxy, and follows no redirect (a redirect is a second, unchecked
// target: it counts as a failed attempt).
func NewHTTPClient(p Policy) *http.Client {
	tr := &http.Transport{
		DialContext:           NewDialer(p).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// request is the part of the start request the notifier reads.
type request struct {
	CallbackURL string `json:"callbackUrl"`
}

// Deliver makes one attempt at the callback of ev's job, if its request
// asked for one. It answers nil once the target answered 2xx (or when there
// is nothing to deliver), and *DeliveryFailed otherwise; a refused target's
// error wraps ErrRefused, which no retry changes.
func (n *Notifier) Deliver(ctx context.Context, ev Event) error {
	d := ev.Detail
	if d.Input == nil {
		return nil
	}
	var req request
	if err := json.Unmarshal([]byte(*d.Input), &req); err != nil || req.CallbackURL == "" {
		return nil // no callback asked for (the schema checked the input at start)
	}
	u, err := n.cfg.Policy.ParseURL(req.CallbackURL)
	if err != nil {
		return &DeliveryFailed{JobID: d.Name, Err: err}
	}
	body, err := Body(d)
	if err != nil {
		return &DeliveryFailed{JobID: d.Name, Err: err}
	}
	secret, err := n.signingSecret(ctx)
	if err != nil {
		return fmt.Errorf("callback for %s: %w", d.Name, err)
	}
	if err := n.post(ctx, u.String(), secret, body); err != nil {
		return &DeliveryFailed{JobID: d.Name, Err: err}
	}
	return nil
}

// Body is the callback's body for the status change d:
// {jobId, status, error?, cause?, result?}.
func Body(d Detail) ([]byte, error) {
	cb := client.Callback{JobID: d.Name, Status: d.Status, Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
	if d.Output != nil {
		var out struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(*d.Output), &out); err == nil && len(out.Result) > 0 && string(out.Result) != "null" {
			cb.Result = out.Result
		}
	}
	b, err := json.Marshal(cb)
	if err != nil {
		return nil, fmt.Errorf("callback: encode body: %w", err)
	}
	return b, nil
}

// post is one signed attempt; only a 2xx answer delivers.
func (n *Notifier) post(ctx context.Context, url string, secret, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "stepjobs-callback/1")
	req.Header.Set(client.CallbackSignatureHeader, client.SignCallback(secret, n.now(), body))
	resp, err := n.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("callback: %s answered %s", url, resp.Status)
	}
	return nil
}

// signingSecret is the stage's secret, fetched at most every SecretTTL.
func (n *Notifier) signingSecret(ctx context.Context) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.secret != nil && n.now().Sub(n.secretAt) < n.cfg.SecretTTL {
		return n.secret, nil
	}
	out, err := n.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(n.cfg.SecretID)})
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	if aws.ToString(out.SecretString) == "" {
		return nil, errors.New("signing secret: empty SecretString")
	}
	n.secret, n.secretAt = []byte(*out.SecretString), n.now()
	return n.secret, nil
}
