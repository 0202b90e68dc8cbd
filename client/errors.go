package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is. An *APIError matches the one its
// HTTP status stands for (404 is ErrNotFound, and so on), so a caller can test
// the kind of failure and still read the API's code and message with
// errors.As.
var (
	// ErrNotFound: no such job, or not the caller's (the API answers the two
	// the same way on purpose).
	ErrNotFound = errors.New("job not found")
	// ErrUnauthorized: the request carried no bearer token (401).
	ErrUnauthorized = errors.New("unauthorized: no bearer token")
	// ErrForbidden: the token was refused (403): signature, issuer, audience
	// or expiry.
	ErrForbidden = errors.New("forbidden: token refused")
	// ErrConflict: an Idempotency-Key reused with another body or after its
	// job finished, or the result of a job that has not SUCCEEDED (409).
	ErrConflict = errors.New("conflict")
	// ErrAborted: the job was stopped (status ABORTED).
	ErrAborted = errors.New("job aborted")
	// ErrTimedOut: the job ran past its state machine's timeout (status
	// TIMED_OUT). A caller's own deadline is context.DeadlineExceeded instead.
	ErrTimedOut = errors.New("job timed out")
)

// APIError is an error answer of the API: its HTTP status and the
// {"message", "code"} body.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the API's error code: a Step Functions error name
	// (ExecutionAlreadyExists), an API Gateway response type
	// (BAD_REQUEST_BODY) or the API's own (JobNotFound, JobNotSucceeded).
	Code string
	// Message is the human-readable explanation.
	Message string
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stepjobs API: %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the like true for the matching
// status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		// Before the API mapped it to 404, an unknown execution was Step
		// Functions' 400 ExecutionDoesNotExist: the same fact.
		return e.Status == http.StatusNotFound || e.Code == "ExecutionDoesNotExist"
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrConflict:
		return e.Status == http.StatusConflict || e.Code == "ExecutionAlreadyExists"
	}
	return false
}

// Temporary reports whether the request may succeed if sent again later:
// throttling (429) and gateway or service unavailability (502, 503, 504).
func (e *APIError) Temporary() bool { return retryableStatus(e.Status) }

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// JobFailedError is the outcome of a job that ended FAILED: the error name
// and cause Step Functions reports (for this API's jobs, e.g.
// SimulatedFailure with the Lambda's {"errorMessage","errorType"} as cause).
type JobFailedError struct {
	// JobID is the failed job.
	JobID string
	// Status is FAILED, or PENDING_REDRIVE for a failed execution that may
	// be redriven.
	Status JobStatus
	// ErrorName is the execution's error (Step Functions' "error" field;
	// named so because Error is the method).
	ErrorName string
	// Cause is the execution's cause.
	Cause string
}

// Error implements error.
func (e *JobFailedError) Error() string {
	msg := fmt.Sprintf("job %s failed", e.JobID)
	if e.ErrorName != "" {
		msg += ": " + e.ErrorName
	}
	if e.Cause != "" {
		msg += ": " + e.Cause
	}
	return msg
}

// errorBody is the API's error document. API Gateway's own answers and AWS
// JSON errors use other spellings; all are read.
type errorBody struct {
	Message  string `json:"message"`
	MessageU string `json:"Message"`
	Code     string `json:"code"`
	Type     string `json:"__type"`
}

// parseAPIError builds the APIError for an answer with a non-2xx status.
// Bodies that are not the API's JSON keep a short text as the message.
func parseAPIError(status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		e.Message = firstNonEmpty(eb.Message, eb.MessageU)
		e.Code = eb.Code
		if e.Code == "" {
			// AWS JSON 1.0 names the error "namespace#Name".
			e.Code = eb.Type[strings.LastIndexByte(eb.Type, '#')+1:]
		}
	} else {
		e.Message = strings.TrimSpace(truncate(string(body), 200))
	}
	if header != nil {
		e.RetryAfter, _ = parseRetryAfter(header.Get("Retry-After"), now)
	}
	return e
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3). A date in the past is a zero delay. ok is false when the
// value is absent or neither form.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		const maxSeconds = int64(1<<63-1) / int64(time.Second)
		var secs int64
		for _, c := range v {
			secs = secs*10 + int64(c-'0')
			if secs > maxSeconds {
				return time.Duration(maxSeconds) * time.Second, true
			}
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
