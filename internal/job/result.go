package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Presigner makes a time-limited GET link to a stored result;
// internal/objects implements it on S3.
type Presigner interface {
	// PresignGet returns a URL that downloads bucket/key without
	// credentials until expires (never later than the signing credentials
	// themselves expire).
	PresignGet(ctx context.Context, bucket, key string, ttl time.Duration) (url string, expires time.Time, err error)
}

// Result link lifetimes: 15 minutes by default; SigV4 refuses more than 7 days.
const (
	DefaultResultURLTTL = 15 * time.Minute
	MaxResultURLTTL     = 7 * 24 * time.Hour
)

// ResultLinkOutput is the answer of GET /jobs/{jobId}/result.
type ResultLinkOutput struct {
	JobID     string    `json:"jobId"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// ResultLink answers GET /jobs/{jobId}/result: a pre-signed download link
// for the result of a job that SUCCEEDED and belongs to the caller.
type ResultLink struct {
	jobs    Getter
	presign Presigner
	ttl     time.Duration
	deps
}

// NewResultLink returns the handler reading records from jobs and signing
// links valid for ttl (0 means DefaultResultURLTTL).
func NewResultLink(jobs Getter, presign Presigner, ttl time.Duration, opts ...Option) (*ResultLink, error) {
	if ttl == 0 {
		ttl = DefaultResultURLTTL
	}
	if ttl < time.Second || ttl > MaxResultURLTTL {
		return nil, fmt.Errorf("result link: ttl %s must be between 1s and %s", ttl, MaxResultURLTTL)
	}
	return &ResultLink{jobs: jobs, presign: presign, ttl: ttl, deps: newDeps(opts)}, nil
}

// The ResultLink errors, matched with errors.Is; HTTPStatus maps them.
var (
	// ErrJobNotSucceeded: the job exists and is the caller's but has no
	// result (RUNNING, FAILED, ABORTED, TIMED_OUT).
	ErrJobNotSucceeded = errors.New("job has not succeeded")
	// ErrInvalidJobID: the path's jobId cannot be a job id (see isJobID).
	ErrInvalidJobID = errors.New("invalid job id")
)

// JobNotSucceeded details an ErrJobNotSucceeded.
type JobNotSucceeded struct {
	JobID  string
	Status Status
}

func (e *JobNotSucceeded) Error() string {
	return fmt.Sprintf("job %s is %s: it has no result", e.JobID, e.Status)
}

// Is makes errors.Is(err, ErrJobNotSucceeded) true.
func (e *JobNotSucceeded) Is(target error) bool { return target == ErrJobNotSucceeded }

// isJobID reports whether s can be a job id: "<owner prefix>-<key>" (see
// owner.go), the key 1 to 63 characters from A-Z a-z 0-9 _ -, the only
// names this API gives executions. What fails here is nobody's job, so it
// is refused as 400 whoever asks (that tells nothing about other callers'
// jobs), not answered with the 404 of a job that could exist: "<prefix>-"
// with an empty key, for one (issue 12). A loop, not a regexp: `{1,80}`
// compiled at package init cost a Lambda cold start about 1,000
// allocations.
func isJobID(s string) bool {
	if len(s) < OwnerPrefixLen+2 || len(s) > MaxExecutionNameLen ||
		s[OwnerPrefixLen] != '-' || !ValidOwnerPrefix(s[:OwnerPrefixLen]) {
		return false
	}
	for i := OwnerPrefixLen + 1; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// Link returns the download link of jobID's result for the caller whose
// owner prefix is ownerPrefix. Another caller's job is ErrNotFound, exactly
// like a job that does not exist.
func (h *ResultLink) Link(ctx context.Context, jobID, ownerPrefix string) (ResultLinkOutput, error) {
	out, _, err := h.link(ctx, jobID, ownerPrefix)
	return out, err
}

// link is Link that also returns the execution ARN once the record is
// read, for the log lines.
func (h *ResultLink) link(ctx context.Context, jobID, ownerPrefix string) (ResultLinkOutput, string, error) {
	if !isJobID(jobID) {
		return ResultLinkOutput{}, "", fmt.Errorf("%w: %q", ErrInvalidJobID, jobID)
	}
	if !OwnedBy(jobID, ownerPrefix) {
		return ResultLinkOutput{}, "", &JobNotFound{JobID: jobID}
	}
	j, err := h.jobs.Get(ctx, jobID)
	if err != nil {
		return ResultLinkOutput{}, "", fmt.Errorf("result link: get job: %w", err)
	}
	if j.Expired(h.now()) {
		// DynamoDB deletes an expired record within days, not at once: until
		// then it is answered as the deletion will answer (docs/api.md).
		return ResultLinkOutput{}, "", &JobNotFound{JobID: jobID}
	}
	if j.Status != StatusSucceeded || j.Result == nil {
		return ResultLinkOutput{}, j.ExecutionARN, &JobNotSucceeded{JobID: jobID, Status: j.Status}
	}
	url, expires, err := h.presign.PresignGet(ctx, j.Result.Bucket, j.Result.Key, h.ttl)
	if err != nil {
		return ResultLinkOutput{}, j.ExecutionARN, fmt.Errorf("result link: presign: %w", err)
	}
	return ResultLinkOutput{JobID: jobID, URL: url, ExpiresAt: expires.UTC()}, j.ExecutionARN, nil
}

// apiError is the body of every error answer, the API's {message, code}.
type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// HTTPStatus maps a Link error to its status and {message, code} body.
func HTTPStatus(err error) (int, string, string) {
	switch {
	case errors.Is(err, ErrInvalidJobID):
		return http.StatusBadRequest, "jobId must be an owner prefix (16 hex digits), '-' and a key of 1 to 63 characters from A-Z a-z 0-9 _ -", "InvalidJobId"
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "Job not found", "JobNotFound"
	case errors.Is(err, ErrJobNotSucceeded):
		var ns *JobNotSucceeded
		if errors.As(err, &ns) {
			return http.StatusConflict, fmt.Sprintf("Job is %s: only a SUCCEEDED job has a result", ns.Status), "JobNotSucceeded"
		}
		return http.StatusConflict, "Only a SUCCEEDED job has a result", "JobNotSucceeded"
	case IsTransient(err):
		return http.StatusServiceUnavailable, "The job store is busy; retry later", "ServiceUnavailable"
	}
	return http.StatusBadGateway, "The job store failed", "BadGateway"
}

// HandleAPIGateway is the Lambda proxy integration of GET
// /jobs/{jobId}/result: the path parameter jobId, the caller's owner prefix
// from the authorizer context (ownerPrefix), and JSON answers 200
// {jobId, url, expiresAt}, 400, 404 (unknown or not the caller's), 409 (not
// SUCCEEDED), 502/503 (store failures) with {message, code}.
func (h *ResultLink) HandleAPIGateway(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	jobID := req.PathParameters["jobId"]
	owner, _ := req.RequestContext.Authorizer["ownerPrefix"].(string)
	out, arn, err := h.link(ctx, jobID, owner)
	// The ARN is known once the record is read; "" for an unknown job.
	log := h.jobLogger(ctx, "jobResult", jobID, arn).With("apiRequestId", req.RequestContext.RequestID)
	if owner == "" {
		log.WarnContext(ctx, "no ownerPrefix in the authorizer context: is the route's authorizer configured?")
	}
	if err != nil {
		status, msg, code := HTTPStatus(err)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(ctx, level, "result link refused", "status", status, "code", code, "error", err.Error())
		return jsonResponse(status, apiError{Message: msg, Code: code}), nil
	}
	log.InfoContext(ctx, "result link issued", "expiresAt", out.ExpiresAt)
	return jsonResponse(http.StatusOK, out), nil
}

func jsonResponse(status int, body any) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(body) // the bodies are plain structs of strings and times
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type": "application/json",
			// A link is a bearer credential for its lifetime: never cache it.
			"Cache-Control": "no-store",
		},
		Body: string(b),
	}
}
