package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Record is a job's record, as GET /jobs/{jobId} answers it: what the
// job's functions wrote, progress included. Describe is the execution's
// status; Record is where progress is.
type Record struct {
	// JobSummary is what the list shows of the job too.
	JobSummary
	// Result is set once the job SUCCEEDED.
	Result *RecordResult `json:"result,omitempty"`
	// Error and Cause are set when the job failed.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// ExpiresAt is when the record expires (zero while the job runs);
	// from then on every route answers the job as unknown.
	ExpiresAt time.Time `json:"-"`
}

// Progress is how far a job's generation got.
type Progress struct {
	RecordsGenerated int `json:"recordsGenerated"`
	RecordsTotal     int `json:"recordsTotal"`
	// Percent is RecordsGenerated as a whole percentage of RecordsTotal.
	Percent int `json:"percent"`
	// UpdatedAt is when it was reported.
	UpdatedAt time.Time `json:"updatedAt"`
}

// RecordResult is the size of a SUCCEEDED job's result (download it with
// Result).
type RecordResult struct {
	Records int   `json:"records"`
	Bytes   int64 `json:"bytes"`
}

// UnmarshalJSON reads expiresAt, which the API sends as epoch seconds.
func (r *Record) UnmarshalJSON(b []byte) error {
	type plain Record
	var raw struct {
		plain
		ExpiresAt *int64 `json:"expiresAt"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Record(raw.plain)
	if raw.ExpiresAt != nil {
		r.ExpiresAt = time.Unix(*raw.ExpiresAt, 0).UTC()
	}
	return nil
}

// Get reads the record of the job ref names (a job id or an ARN). An
// unknown job, another caller's, or one whose record expired is ErrNotFound.
func (c *Client) Get(ctx context.Context, ref string) (*Record, error) {
	var rec Record
	id, err := c.getJob(ctx, "get", ref, "", &rec)
	if err != nil {
		return nil, err
	}
	if rec.JobID == "" {
		return nil, fmt.Errorf("get %s: answer without jobId", id)
	}
	return &rec, nil
}

// ListOptions selects a page of List.
type ListOptions struct {
	// Status keeps the jobs in this status only; empty: all.
	Status JobStatus
	// Limit is the page size, 1 to MaxListLimit; 0: the API's default (20).
	Limit int
	// Cursor is the previous page's NextCursor; empty: the first page.
	Cursor string
}

// MaxListLimit is the largest page List may ask for.
const MaxListLimit = 100

// JobSummary is one job of a List page, and the first part of a Record.
type JobSummary struct {
	// JobID is the execution name.
	JobID string `json:"jobId"`
	// Status is the recorded status (RUNNING until the final one is written).
	Status JobStatus `json:"status"`
	// CreatedAt and UpdatedAt are when the record was written first and last.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Progress is nil before batch-simulation's first report.
	Progress *Progress `json:"progress,omitempty"`
}

// JobPage is one page of the caller's jobs, newest first.
type JobPage struct {
	Jobs []JobSummary `json:"jobs"`
	// NextCursor continues the list; empty on the last page. A page may
	// hold fewer jobs than the limit and still have a next one.
	NextCursor string `json:"nextCursor,omitempty"`
}

// List reads one page of the caller's jobs, newest first. A bad Status,
// Limit or Cursor is an *APIError (400: InvalidStatus, InvalidLimit,
// InvalidCursor); Limit is checked here first.
func (c *Client) List(ctx context.Context, opts ListOptions) (*JobPage, error) {
	if opts.Limit < 0 || opts.Limit > MaxListLimit {
		return nil, fmt.Errorf("list: limit %d: want 1 to %d", opts.Limit, MaxListLimit)
	}
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", string(opts.Status))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Cursor != "" {
		q.Set("cursor", opts.Cursor)
	}
	path := "jobs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil, nil, retryPolicy{attempts: c.maxAttempts})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var page JobPage
	if err := json.Unmarshal(resp.body, &page); err != nil {
		return nil, fmt.Errorf("list: decode answer: %w", err)
	}
	return &page, nil
}
