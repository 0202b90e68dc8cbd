package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/asyncjobs/stepjobs/internal/metrics"
	"github.com/asyncjobs/stepjobs/internal/weather"
)

// Limits and defaults of a simulation request.
const (
	DefaultRecords = 100
	MaxRecords     = 100_000
)

// Values of simulateFailure.
const (
	FailPermanent = "permanent"
	FailTransient = "transient"
)

// SimulationInput is what the Simulate state passes: the execution input as
// the request and the state's retry count as the attempt (0 first).
// ExecutionARN is optional: when the state machine passes it, logs carry it.
type SimulationInput struct {
	JobID        string          `json:"jobId"`
	ExecutionARN string          `json:"executionArn,omitempty"`
	Request      json.RawMessage `json:"request"`
	Attempt      int             `json:"attempt"`
}

// SimulationRequest is a parsed, valid job request.
type SimulationRequest struct {
	Records int
	// Seed is nil when the request gives none; the handler then derives one
	// from the job id, so retries of one job produce the same data.
	Seed            *int64
	SimulateFailure string // "", FailPermanent or FailTransient
}

// ParseSimulationRequest parses and validates the execution input. It is
// strict: unknown fields, wrong types, trailing data and out-of-range values
// are an *InvalidJobInput naming the problem. simulateFailure is accepted
// only when allowFailures is true.
func ParseSimulationRequest(raw []byte, allowFailures bool) (SimulationRequest, error) {
	req := SimulationRequest{Records: DefaultRecords}
	raw = bytes.Trim(raw, " \t\r\n") // JSON whitespace only
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return req, nil
	}
	if raw[0] != '{' {
		return req, invalid("the request must be a JSON object")
	}
	// A map rather than a struct: encoding/json matches struct fields
	// case-insensitively, and "Records" is a mistake worth reporting.
	var body map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&body); err != nil {
		return req, invalid(describeDecodeError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, invalid("unexpected data after the request object")
	}
	for _, name := range slices.Sorted(maps.Keys(body)) {
		if name != "records" && name != "seed" && name != "simulateFailure" && name != "callbackUrl" {
			return req, invalid(fmt.Sprintf("unknown field %q (allowed: records, seed, simulateFailure, callbackUrl)", name))
		}
	}
	if n, ok, err := wholeNumber("records", body["records"]); err != nil {
		return req, err
	} else if ok {
		if n < 1 || n > MaxRecords {
			return req, invalid(fmt.Sprintf("records must be between 1 and %d, got %d", MaxRecords, n))
		}
		req.Records = int(n)
	}
	if s, ok, err := wholeNumber("seed", body["seed"]); err != nil {
		return req, err
	} else if ok {
		req.Seed = &s
	}
	if err := checkCallbackURL(body["callbackUrl"]); err != nil {
		return req, err
	}
	if f, ok := body["simulateFailure"]; ok && string(f) != "null" {
		var mode string
		if f[0] != '"' || json.Unmarshal(f, &mode) != nil {
			return req, invalid(fmt.Sprintf("simulateFailure must be a string, got %s", jsonKind(f[0])))
		}
		switch {
		case !allowFailures:
			return req, invalid("simulateFailure is not allowed in this deployment (set ALLOW_SIMULATED_FAILURES=true to enable it)")
		case mode == FailPermanent || mode == FailTransient:
			req.SimulateFailure = mode
		default:
			return req, invalid(fmt.Sprintf("simulateFailure must be %q or %q, got %q", FailPermanent, FailTransient, mode))
		}
	}
	return req, nil
}

// wholeNumber reads an optional integer field; absent and null are not set.
func wholeNumber(field string, raw json.RawMessage) (int64, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return 0, false, invalid(fmt.Sprintf("%s must be a number, got %s", field, jsonKind(c)))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false, invalid(fmt.Sprintf("%s must be a whole number that fits in 64 bits, got %s", field, raw))
	}
	return n, true, nil
}

// jsonKind names the kind of JSON value starting with c, for messages.
func jsonKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// describeDecodeError turns encoding/json's errors into messages about the
// request rather than Go types.
func describeDecodeError(err error) string {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("the request is not valid JSON (at byte %d): %v", syntaxErr.Offset, err)
	}
	return "the request is not valid JSON: " + err.Error()
}

// BatchSimulation generates a job's weather observations and stores them.
type BatchSimulation struct {
	results          ResultStore
	allowFailures    bool
	progress         ProgressRecorder
	progressInterval time.Duration
	deps
}

// WithProgress makes batch-simulation write its progress to rec, at most
// once an interval and every 10% of the records (whichever is rarer), and
// once more when all records are generated. Without it no progress is kept.
func WithProgress(rec ProgressRecorder, interval time.Duration) SimulationOption {
	return func(h *BatchSimulation) { h.progress, h.progressInterval = rec, interval }
}

// SimulationOption configures a BatchSimulation beyond the shared Options.
type SimulationOption func(*BatchSimulation)

// progressReporter returns the callback encodeResult calls, or nil when no
// progress is kept. A failed write is logged, never fatal: the records are
// what the job is for, progress is advisory.
func (h *BatchSimulation) progressReporter(ctx context.Context, log *slog.Logger, in SimulationInput, total int) func(int) {
	if h.progress == nil {
		return nil
	}
	t := newProgressThrottle(total, h.progressInterval, h.now)
	return func(generated int) {
		if !t.due(generated) {
			return
		}
		t.mark(generated)
		p := Progress{Generated: generated, Total: total, UpdatedAt: h.now().UTC()}
		if err := h.progress.RecordProgress(ctx, in.JobID, in.ExecutionARN, p); err != nil {
			log.WarnContext(ctx, "progress not recorded", "recordsGenerated", generated, "err", err)
		}
	}
}

// NewBatchSimulation returns the batch-simulation handler writing to
// results. allowFailures enables the request's simulateFailure field (local
// runtime and tests only).
func NewBatchSimulation(results ResultStore, allowFailures bool, opts ...Option) *BatchSimulation {
	return &BatchSimulation{results: results, allowFailures: allowFailures, deps: newDeps(opts)}
}

// With applies simulation options to h and returns it.
func (h *BatchSimulation) With(opts ...SimulationOption) *BatchSimulation {
	for _, o := range opts {
		o(h)
	}
	return h
}

// ResultKey is where a job's result is stored.
func ResultKey(jobID string) string { return "results/" + jobID + ".json" }

// Handle validates the request, honours simulateFailure, generates the
// observations and stores them as one JSON document:
// {"jobId":...,"seed":...,"records":N,"observations":[...]}. It returns
// the location, never the data (Step Functions payloads are capped at 256 KiB).
func (h *BatchSimulation) Handle(ctx context.Context, in SimulationInput) (Result, error) {
	log := h.jobLogger(ctx, "batchSimulation", in.JobID, in.ExecutionARN).With("attempt", in.Attempt)
	if in.JobID == "" {
		return Result{}, fail(ctx, log, invalid("jobId is required"))
	}
	req, err := ParseSimulationRequest(in.Request, h.allowFailures)
	if err != nil {
		return Result{}, fail(ctx, log, err)
	}
	switch {
	case req.SimulateFailure == FailPermanent:
		return Result{}, fail(ctx, log, &SimulatedFailure{JobID: in.JobID, Attempt: in.Attempt})
	case req.SimulateFailure == FailTransient && in.Attempt < 1:
		return Result{}, fail(ctx, log, &TransientError{Op: "batch-simulation",
			Err: fmt.Errorf("simulated transient failure on attempt %d", in.Attempt)})
	}
	seed := SeedFor(in.JobID)
	if req.Seed != nil {
		seed = *req.Seed
	}
	body := encodeResult(in.JobID, seed, req.Records, h.progressReporter(ctx, log, in, req.Records))
	key := ResultKey(in.JobID)
	bucket, err := h.results.PutResult(ctx, key, body)
	if err != nil {
		return Result{}, fail(ctx, log, taskError("batch-simulation: put result", err))
	}
	res := Result{Bucket: bucket, Key: key, Records: req.Records, Bytes: int64(len(body))}
	log.InfoContext(ctx, "result stored", "bucket", res.Bucket, "key", res.Key,
		"records", res.Records, "bytes", res.Bytes, "seed", seed)
	h.emit(ctx, log, in.JobID, in.ExecutionARN,
		metrics.Metric{Name: metrics.RecordsGenerated, Unit: metrics.Count, Value: float64(res.Records)})
	return res, nil
}

// SeedFor is the seed of a job whose request gives none: a hash of its id,
// so a retried attempt writes the same data.
func SeedFor(jobID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(jobID)) // hash writes never fail
	return int64(h.Sum64())
}

// EncodeResult builds the result document of a job.
func EncodeResult(jobID string, seed int64, records int) []byte {
	return encodeResult(jobID, seed, records, nil)
}

// progressEvery is how many observations are generated between two looks
// at the progress throttle: a hundredth of the job, so the 10% steps are
// met closely without a clock read per record.
func progressEvery(records int) int { return max(1, records/100) }

// encodeResult is EncodeResult calling progress (when not nil) with the
// records generated so far, every progressEvery records and at the end.
func encodeResult(jobID string, seed int64, records int, progress func(int)) []byte {
	id, _ := json.Marshal(jobID) // a string always marshals
	buf := make([]byte, 0, 128+records*weather.ApproxJSONSize)
	buf = append(buf, `{"jobId":`...)
	buf = append(buf, id...)
	buf = append(buf, `,"seed":`...)
	buf = strconv.AppendInt(buf, seed, 10)
	buf = append(buf, `,"records":`...)
	buf = strconv.AppendInt(buf, int64(records), 10)
	buf = append(buf, `,"observations":`...)
	buf = weather.NewGenerator(seed).AppendArrayEach(buf, records, progressEvery(records), progress)
	return append(buf, '}')
}

// CallbackURLPattern is the start schema's pattern of callbackUrl
// (schemas/start-execution.json; a test keeps the two equal): https, or
// http to a loopback host, which only the local runtime calls. The
// notifier checks the target again at delivery (internal/callback).
const CallbackURLPattern = `^(https://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])|http://(localhost|127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]))(:[0-9]{1,5})?([/?][^\s#]*)?$`

// MaxCallbackURLLen is the schema's maxLength of callbackUrl.
const MaxCallbackURLLen = 2048

var callbackURL = regexp.MustCompile(CallbackURLPattern)

// checkCallbackURL checks an optional callbackUrl as the schema does.
func checkCallbackURL(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var u string
	if raw[0] != '"' || json.Unmarshal(raw, &u) != nil {
		return invalid(fmt.Sprintf("callbackUrl must be a string, got %s", jsonKind(raw[0])))
	}
	if utf8.RuneCountInString(u) > MaxCallbackURLLen || !callbackURL.MatchString(u) {
		return invalid("callbackUrl must be an https URL (http only to a loopback host), at most 2048 characters")
	}
	return nil
}
