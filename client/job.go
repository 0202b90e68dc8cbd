package client

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// JobStatus is a job's status as describe reports it: the Step Functions
// execution status.
type JobStatus string

// The statuses of a job.
const (
	StatusRunning        JobStatus = "RUNNING"
	StatusSucceeded      JobStatus = "SUCCEEDED"
	StatusFailed         JobStatus = "FAILED"
	StatusTimedOut       JobStatus = "TIMED_OUT"
	StatusAborted        JobStatus = "ABORTED"
	StatusPendingRedrive JobStatus = "PENDING_REDRIVE"
)

// Terminal reports whether the job has ended. PENDING_REDRIVE is a failed
// execution that only an explicit redrive would run again, so it counts as
// ended.
func (s JobStatus) Terminal() bool { return s != StatusRunning && s != "" }

// Job is a started job, as Start answers it.
type Job struct {
	// JobID is the execution name: <16 hex owner prefix>-<key or request id>.
	JobID string `json:"jobId"`
	// ExecutionARN is what describe and stop take.
	ExecutionARN string `json:"executionArn"`
	// StartDate is when the execution started.
	StartDate time.Time `json:"startDate"`
	// Location is the job's result resource as an absolute URL (from the
	// 202's Location header), empty when the API sent none.
	Location string `json:"location,omitempty"`
}

// Status is a job's state, as describe answers it.
type Status struct {
	// JobID is the execution name.
	JobID string `json:"jobId"`
	// ExecutionARN is the ARN the client asked about.
	ExecutionARN string `json:"executionArn,omitempty"`
	// Status is the execution status.
	Status JobStatus `json:"status"`
	// Input is the job's input (JSON).
	Input json.RawMessage `json:"input,omitempty"`
	// Output is the execution output (JSON), SUCCEEDED only: for this API's
	// state machine {jobId, status, result: {bucket, key, records, bytes}}.
	Output json.RawMessage `json:"output,omitempty"`
	// Error and Cause are set when the job FAILED.
	Error string `json:"error,omitempty"`
	// Cause is the failure's cause (often JSON text).
	Cause string `json:"cause,omitempty"`
	// StartDate is when the execution started.
	StartDate time.Time `json:"startDate"`
	// StopDate is when it ended; zero while RUNNING.
	StopDate time.Time `json:"stopDate,omitzero"`
}

// Elapsed is the job's run time: until StopDate once it has ended, else
// until now.
func (s *Status) Elapsed(now time.Time) time.Duration {
	if s.StartDate.IsZero() {
		return 0
	}
	end := s.StopDate
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(s.StartDate), 0)
}

// ResultLink is a pre-signed download link to a SUCCEEDED job's result. The
// URL is a credential: do not log or cache it.
type ResultLink struct {
	// JobID is the job.
	JobID string `json:"jobId"`
	// URL is the pre-signed S3 GET URL.
	URL string `json:"url"`
	// ExpiresAt is when the URL stops working.
	ExpiresAt time.Time `json:"expiresAt"`
}

// startWire and statusWire are the API's JSON; times are epoch seconds.
type startWire struct {
	JobID        string  `json:"jobId"`
	ExecutionARN string  `json:"executionArn"`
	StartDate    float64 `json:"startDate"`
}

type statusWire struct {
	JobID     string          `json:"jobId"`
	Status    JobStatus       `json:"status"`
	Input     json.RawMessage `json:"input"`
	Output    json.RawMessage `json:"output"`
	Error     string          `json:"error"`
	Cause     string          `json:"cause"`
	StartDate float64         `json:"startDate"`
	StopDate  float64         `json:"stopDate"`
}

func decodeStatus(raw []byte) (*Status, error) {
	var w statusWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decode describe answer: %w", err)
	}
	if w.Status == "" {
		return nil, fmt.Errorf("decode describe answer: no status in %s", truncate(string(raw), 200))
	}
	return &Status{
		JobID:     w.JobID,
		Status:    w.Status,
		Input:     nullToEmpty(w.Input),
		Output:    nullToEmpty(w.Output),
		Error:     w.Error,
		Cause:     w.Cause,
		StartDate: epoch(w.StartDate),
		StopDate:  epoch(w.StopDate),
	}, nil
}

func nullToEmpty(m json.RawMessage) json.RawMessage {
	if string(m) == "null" {
		return nil
	}
	return m
}

// epoch converts Step Functions' epoch seconds (a float) to a time,
// millisecond precision as Step Functions keeps; 0 is the zero time.
func epoch(secs float64) time.Time {
	if secs <= 0 || math.IsNaN(secs) || math.IsInf(secs, 0) || secs > 1e12 {
		return time.Time{}
	}
	return time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
}

// jobIDOf returns the job id a reference names: the last part of an
// execution ARN, or the reference itself.
func jobIDOf(ref string) string {
	if isARN(ref) {
		return ref[strings.LastIndexByte(ref, ':')+1:]
	}
	return ref
}

func isARN(ref string) bool { return strings.HasPrefix(ref, "arn:") }
