// Package metrics writes CloudWatch Embedded Metric Format (EMF) records:
// one JSON line per event on stdout, which CloudWatch Logs turns into
// metrics without any API call from the function (no PutMetricData, no
// extra IAM permission, no latency).
//
// Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units the handlers use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Bytes        Unit = "Bytes"
)

// Metric is one value of one metric.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Names of the job metrics (namespace DefaultNamespace, dimension Service).
const (
	JobsStarted      = "JobsStarted"
	JobsSucceeded    = "JobsSucceeded"
	JobsFailed       = "JobsFailed"
	JobsAborted      = "JobsAborted"
	JobsTimedOut     = "JobsTimedOut"
	RecordsGenerated = "RecordsGenerated"
	JobDuration      = "JobDuration"
)

// DefaultNamespace is the CloudWatch namespace of the job metrics.
const DefaultNamespace = "stepjobs"

// ServiceDimension is the one dimension every metric carries: the
// deployment ("stepjobs-dev"), so stages do not mix. Per-job values (jobId,
// executionArn, requestId) are properties, searchable in Logs Insights but
// not dimensions: a dimension per job would be a metric per job.
const ServiceDimension = "Service"

// Emitter writes EMF lines to one writer.
type Emitter struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	service   string
	now       func() time.Time
}

// New returns an emitter writing to w (os.Stdout in Lambda) in namespace
// with the Service dimension set to service.
func New(w io.Writer, namespace, service string) *Emitter {
	return &Emitter{w: w, namespace: namespace, service: service, now: time.Now}
}

// WithClock makes e stamp records with now (tests); it returns e.
func (e *Emitter) WithClock(now func() time.Time) *Emitter {
	e.now = now
	return e
}

// validName reports whether s is 1 to 255 characters of A-Z a-z 0-9 _ . - / # :
// (a loop, not a regexp: compiling {1,255} at init costs every cold start).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == '-', c == '/', c == '#', c == ':':
		default:
			return false
		}
	}
	return true
}

// reserved are the member names the record itself uses.
var reserved = map[string]bool{"_aws": true, ServiceDimension: true}

// Emit writes one record with ms and the properties props (strings,
// numbers, booleans: the values a log search filters on). A nil emitter
// writes nothing, so handlers can emit unconditionally.
func (e *Emitter) Emit(_ context.Context, props map[string]any, ms ...Metric) error {
	if e == nil || len(ms) == 0 {
		return nil
	}
	rec := make(map[string]any, len(props)+len(ms)+2)
	maps.Copy(rec, props)
	for k := range props {
		if reserved[k] {
			return fmt.Errorf("metrics: property %q is reserved", k)
		}
	}
	defs := make([]map[string]string, 0, len(ms))
	for _, m := range ms {
		if !validName(m.Name) || reserved[m.Name] {
			return fmt.Errorf("metrics: invalid metric name %q", m.Name)
		}
		if _, dup := props[m.Name]; dup {
			return fmt.Errorf("metrics: metric %q clashes with a property", m.Name)
		}
		if m.Unit == "" {
			m.Unit = Count
		}
		defs = append(defs, map[string]string{"Name": m.Name, "Unit": string(m.Unit)})
		rec[m.Name] = m.Value
	}
	rec[ServiceDimension] = e.service
	rec["_aws"] = map[string]any{
		"Timestamp": e.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  e.namespace,
			"Dimensions": [][]string{{ServiceDimension}},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("metrics: encode: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// One Write per line, so concurrent emitters never interleave a record.
	if _, err := e.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("metrics: write: %w", err)
	}
	return nil
}

// FromEnv returns an emitter to w configured by getenv: METRICS_NAMESPACE
// (default DefaultNamespace) and METRICS_SERVICE (the Service dimension,
// e.g. stepjobs-dev; default DefaultNamespace). METRICS_DISABLED=true
// returns nil, which emits nothing.
func FromEnv(w io.Writer, getenv func(string) string) *Emitter {
	if getenv("METRICS_DISABLED") == "true" {
		return nil
	}
	ns := getenv("METRICS_NAMESPACE")
	if ns == "" {
		ns = DefaultNamespace
	}
	svc := getenv("METRICS_SERVICE")
	if svc == "" {
		svc = DefaultNamespace
	}
	return New(w, ns, svc)
}
