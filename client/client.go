// Package client is the Go client of the stepjobs API: start a job, read its
// status, wait for it to end, cancel it and download its result, against the
// local runtime (make run) or a deployed stage.
//
// A job is named by its execution ARN, which Start answers, or by its bare
// job id (the execution name). The API's describe and stop take an ARN; it
// reads only the execution name from it and rebuilds the ARN of its own state
// machine (docs/ownership.md). The client therefore turns a bare job id into
// an ARN with the prefix of the last ARN Start answered, the prefix set with
// WithExecutionARNPrefix, or else a placeholder prefix that satisfies the
// request schema.
//
// Every call retries throttling (429) and unavailability (502, 503, 504) with
// exponential backoff and full jitter, honouring Retry-After; Wait polls the
// same way. Errors are typed: see ErrNotFound, *APIError, *JobFailedError,
// ErrAborted and ErrTimedOut.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// PlaceholderARNPrefix turns a bare job id into an execution ARN the request
// schema accepts when the client knows no better prefix. The API keeps only
// the name from it.
const PlaceholderARNPrefix = "arn:aws:states:us-east-1:000000000000:execution:stepjobs-client-jobs:"

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "stepjobs-go-client/1"

// Clock tells the time and sleeps; tests inject one that does not wait.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first, and
	// returns ctx's error in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// TokenSource returns the bearer token for a request; it is called before
// every attempt, so it may refresh an expiring token.
type TokenSource func(ctx context.Context) (string, error)

// Backoff is an exponential backoff with full jitter: before retry n (from
// 0) the client sleeps a uniformly random duration in
// [0, min(Max, Initial*Multiplier^n)).
type Backoff struct {
	// Initial is the first ceiling (default 500ms).
	Initial time.Duration
	// Max caps the ceiling (default 20s).
	Max time.Duration
	// Multiplier grows the ceiling (default 2 when zero; values below 1
	// count as 1).
	Multiplier float64
}

// DefaultBackoff is the backoff of a new Client. DescribeExecution refills
// at 15 calls/s per account: a client polling many jobs must not poll fast.
var DefaultBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 20 * time.Second, Multiplier: 2}

// Ceiling is the upper bound of the sleep before retry n.
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.withDefaults()
	c := float64(b.Initial)
	if b.Multiplier == 1 {
		return b.Initial
	}
	for range n {
		c *= b.Multiplier
		if c >= float64(b.Max) {
			return b.Max
		}
	}
	return min(time.Duration(c), b.Max)
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	b.Max = max(b.Max, b.Initial)
	if b.Multiplier == 0 {
		b.Multiplier = DefaultBackoff.Multiplier
	}
	if b.Multiplier < 1 {
		b.Multiplier = 1
	}
	return b
}

// Client calls the stepjobs API. It is safe for concurrent use.
type Client struct {
	base        string // without a trailing slash
	hc          *http.Client
	token       TokenSource
	userAgent   string
	backoff     Backoff
	maxAttempts int
	clock       Clock
	rand        func() float64

	mu        sync.Mutex
	arnPrefix string // learned from Start or set by WithExecutionARNPrefix
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client with a 30s timeout
// per request).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithToken sends a static bearer token.
func WithToken(token string) Option {
	return WithTokenSource(func(context.Context) (string, error) { return token, nil })
}

// WithTokenSource gets the bearer token from ts before every attempt. An
// empty token sends no Authorization header.
func WithTokenSource(ts TokenSource) Option { return func(c *Client) { c.token = ts } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithBackoff sets the backoff of retries and of Wait's polling. Zero fields
// keep their defaults.
func WithBackoff(b Backoff) Option { return func(c *Client) { c.backoff = b.withDefaults() } }

// WithMaxAttempts sets how many times one call is sent before a temporary
// failure is returned (default 5), and how many consecutive failed polls end
// a Wait.
func WithMaxAttempts(n int) Option { return func(c *Client) { c.maxAttempts = max(n, 1) } }

// WithClock sets the clock used to sleep between attempts and to read
// Retry-After dates (tests).
func WithClock(clk Clock) Option { return func(c *Client) { c.clock = clk } }

// WithRand sets the jitter source, a function returning values in [0, 1)
// (tests).
func WithRand(r func() float64) Option { return func(c *Client) { c.rand = r } }

// WithExecutionARNPrefix sets the prefix ("arn:...:execution:<machine>:")
// that turns a bare job id into an execution ARN.
func WithExecutionARNPrefix(p string) Option { return func(c *Client) { c.arnPrefix = p } }

// New returns a client of the API at baseURL (e.g. http://localhost:8080, or
// https://abc.execute-api.eu-west-1.amazonaws.com/dev).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("new client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("new client: base URL %q: want http(s)://host[/stage]", baseURL)
	}
	c := &Client{
		base:        strings.TrimRight(baseURL, "/"),
		hc:          &http.Client{Timeout: 30 * time.Second},
		userAgent:   DefaultUserAgent,
		backoff:     DefaultBackoff,
		maxAttempts: 5,
		clock:       realClock{},
		rand:        rand.Float64,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// StartOption configures a Start.
type StartOption func(*startOptions)

type startOptions struct{ key string }

// WithIdempotencyKey makes the start idempotent: the same key and input
// while the job runs return the same job (1 to 63 characters from A-Z a-z
// 0-9 _ -). It also makes a start safe to retry after a 502 or a network
// error, which a start without a key is not.
func WithIdempotencyKey(key string) StartOption { return func(o *startOptions) { o.key = key } }

// Start starts a job with input (any value encoding to a JSON object, or
// json.RawMessage; nil starts it with {}). The job runs on: use Wait or
// Describe to follow it.
func (c *Client) Start(ctx context.Context, input any, opts ...StartOption) (*Job, error) {
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	body := []byte("{}")
	if input != nil {
		var err error
		if body, err = json.Marshal(input); err != nil {
			return nil, fmt.Errorf("start: encode input: %w", err)
		}
	}
	hdr := http.Header{}
	if o.key != "" {
		hdr.Set("Idempotency-Key", o.key)
	}
	// Without a key a 502 or a lost answer may hide a started job: only
	// answers that say nothing was done (429, 503) are retried then.
	pol := retryPolicy{attempts: c.maxAttempts, unsafe: o.key == ""}
	resp, err := c.do(ctx, http.MethodPost, "start-execution", body, hdr, pol)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	var w startWire
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return nil, fmt.Errorf("start: decode answer: %w", err)
	}
	if w.ExecutionARN == "" || w.JobID == "" {
		return nil, fmt.Errorf("start: answer without jobId or executionArn: %s", truncate(string(resp.body), 200))
	}
	job := &Job{JobID: w.JobID, ExecutionARN: w.ExecutionARN, StartDate: epoch(w.StartDate)}
	if loc := resp.header.Get("Location"); loc != "" {
		job.Location = c.resolve(loc)
	}
	c.mu.Lock()
	c.arnPrefix = w.ExecutionARN[:strings.LastIndexByte(w.ExecutionARN, ':')+1]
	c.mu.Unlock()
	return job, nil
}

// ExecutionARN returns the ARN describe and stop take for ref, a job id or
// an ARN (returned as is).
func (c *Client) ExecutionARN(ref string) string {
	if isARN(ref) {
		return ref
	}
	c.mu.Lock()
	p := c.arnPrefix
	c.mu.Unlock()
	if p == "" {
		p = PlaceholderARNPrefix
	}
	return p + ref
}

// Describe reads the status of the job ref names (an execution ARN or a job
// id). An unknown job, or another caller's, is ErrNotFound.
func (c *Client) Describe(ctx context.Context, ref string) (*Status, error) {
	st, err := c.describe(ctx, ref, retryPolicy{attempts: c.maxAttempts})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", jobIDOf(ref), err)
	}
	return st, nil
}

func (c *Client) describe(ctx context.Context, ref string, pol retryPolicy) (*Status, error) {
	if ref == "" {
		return nil, &notSentError{errors.New("no job id or ARN")}
	}
	arn := c.ExecutionARN(ref)
	body, err := json.Marshal(map[string]string{"executionArn": arn})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "describe-execution", body, nil, pol)
	if err != nil {
		return nil, err
	}
	st, err := decodeStatus(resp.body)
	if err != nil {
		return nil, err
	}
	st.ExecutionARN = arn
	return st, nil
}

// Stop cancels the job ref names; it then ends ABORTED. Stopping a job that
// has already ended changes nothing and is not an error.
func (c *Client) Stop(ctx context.Context, ref string) error {
	if ref == "" {
		return fmt.Errorf("stop: no job id or ARN")
	}
	body, err := json.Marshal(map[string]string{"executionArn": c.ExecutionARN(ref)})
	if err != nil {
		return fmt.Errorf("stop: encode request: %w", err)
	}
	if _, err := c.do(ctx, http.MethodPost, "stop-execution", body, nil, retryPolicy{attempts: c.maxAttempts}); err != nil {
		return fmt.Errorf("stop %s: %w", jobIDOf(ref), err)
	}
	return nil
}

// Result returns a pre-signed link to the result of the SUCCEEDED job ref
// names (a job id or an ARN). A job that has not SUCCEEDED is an *APIError
// with Code JobNotSucceeded (errors.Is ErrConflict).
func (c *Client) Result(ctx context.Context, ref string) (*ResultLink, error) {
	var link ResultLink
	id, err := c.getJob(ctx, "result", ref, "/result", &link)
	if err != nil {
		return nil, err
	}
	if link.URL == "" {
		return nil, fmt.Errorf("result %s: answer without url", id)
	}
	return &link, nil
}

// getJob GETs jobs/<id of ref><suffix> into v (op names the call in
// errors) and returns the job id.
func (c *Client) getJob(ctx context.Context, op, ref, suffix string, v any) (string, error) {
	id := jobIDOf(ref)
	if id == "" {
		return "", fmt.Errorf("%s: no job id", op)
	}
	resp, err := c.do(ctx, http.MethodGet, "jobs/"+url.PathEscape(id)+suffix, nil, nil, retryPolicy{attempts: c.maxAttempts})
	if err != nil {
		return id, fmt.Errorf("%s %s: %w", op, id, err)
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return id, fmt.Errorf("%s %s: decode answer: %w", op, id, err)
	}
	return id, nil
}

// Download copies the object link points to into w and returns how many
// bytes it wrote. The link carries its own credentials: no bearer token is
// sent with it.
func (c *Client) Download(ctx context.Context, link *ResultLink, w io.Writer) (int64, error) {
	if link == nil || link.URL == "" {
		return 0, fmt.Errorf("download: no link")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.URL, nil)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", link.JobID, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", link.JobID, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return 0, fmt.Errorf("download %s: %w", link.JobID, parseAPIError(res.StatusCode, res.Header, raw, c.clock.Now()))
	}
	n, err := io.Copy(w, res.Body)
	if err != nil {
		return n, fmt.Errorf("download %s: %w", link.JobID, err)
	}
	return n, nil
}

// resolve makes a Location (relative to the stage) absolute.
func (c *Client) resolve(loc string) string {
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		return loc
	}
	return c.base + "/" + strings.TrimLeft(loc, "/")
}

// retryPolicy says how one call is retried.
type retryPolicy struct {
	attempts int
	// unsafe: the call must not be repeated when it may have taken effect
	// (a start without an Idempotency-Key).
	unsafe bool
}

// retryable reports whether an attempt that ended with status (0: no
// answer) may be sent again.
func (p retryPolicy) retryable(status int) bool {
	if p.unsafe {
		return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
	}
	return status == 0 || retryableStatus(status) // 0: sent, no answer
}

type response struct {
	header http.Header
	body   []byte
}

// do sends one API call, retrying temporary failures per pol. Errors are
// *APIError for answers, or the transport's error (wrapped).
func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr http.Header, pol retryPolicy) (*response, error) {
	for attempt := 0; ; attempt++ {
		resp, status, err := c.send(ctx, method, path, body, hdr)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, errors.Join(ctx.Err(), err)
		}
		if attempt+1 >= pol.attempts || !pol.retryable(status) {
			return nil, err
		}
		if serr := c.clock.Sleep(ctx, c.delay(attempt, err)); serr != nil {
			return nil, errors.Join(serr, err)
		}
	}
}

// delay is how long to wait before retry n after err: the server's
// Retry-After when it sent one, else the jittered backoff.
func (c *Client) delay(n int, err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		return ae.RetryAfter
	}
	return time.Duration(c.rand() * float64(c.backoff.Ceiling(n)))
}

// notSent is send's status for a request that never left: not retried.
const notSent = -1

// send makes one attempt. status is 0 when no answer came, notSent when
// the request could not be made.
func (c *Client) send(ctx context.Context, method, path string, body []byte, hdr http.Header) (*response, int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/"+path, rd)
	if err != nil {
		return nil, notSent, &notSentError{fmt.Errorf("build request: %w", err)}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != nil {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, notSent, &notSentError{fmt.Errorf("get token: %w", err)}
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	// Answers are small JSON documents; 1 MiB bounds a misbehaving server.
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		return nil, res.StatusCode, parseAPIError(res.StatusCode, res.Header, raw, c.clock.Now())
	}
	return &response{header: res.Header, body: raw}, res.StatusCode, nil
}

// notSentError is a request that could not be made (no token, a bad URL):
// sending it again would not help.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
