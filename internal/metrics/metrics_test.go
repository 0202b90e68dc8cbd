package metrics_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/metrics"
)

var t0 = time.Date(2026, time.November, 23, 22, 0, 0, 0, time.UTC)

func TestEmitGolden(t *testing.T) {
	var buf bytes.Buffer
	e := metrics.New(&buf, "stepjobs", "stepjobs-dev").WithClock(func() time.Time { return t0 })
	require.NoError(t, e.Emit(t.Context(),
		map[string]any{"jobId": "j1", "executionArn": "arn:x", "requestId": "r1"},
		metrics.Metric{Name: metrics.JobsSucceeded, Unit: metrics.Count, Value: 1},
		metrics.Metric{Name: metrics.JobDuration, Unit: metrics.Milliseconds, Value: 1234.5},
	))
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "\n"), "one record, one line")
	want, err := os.ReadFile(filepath.Join("testdata", "emf.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), out)
}

func TestEmitRejects(t *testing.T) {
	e := metrics.New(&bytes.Buffer{}, "ns", "svc")
	ctx := t.Context()
	assert.Error(t, e.Emit(ctx, nil, metrics.Metric{Name: "bad name with spaces"}))
	assert.Error(t, e.Emit(ctx, nil, metrics.Metric{Name: "_aws"}))
	assert.Error(t, e.Emit(ctx, map[string]any{"X": 1}, metrics.Metric{Name: "X"}))
	assert.Error(t, e.Emit(ctx, map[string]any{"Service": "other"}, metrics.Metric{Name: "X"}))
}

func TestEmitDefaultsAndNil(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, metrics.New(&buf, "ns", "svc").Emit(t.Context(), nil, metrics.Metric{Name: "N", Value: 2}))
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	defs := rec["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Metrics"].([]any)
	assert.Equal(t, "Count", defs[0].(map[string]any)["Unit"], "the unit defaults to Count")

	var none *metrics.Emitter
	assert.NoError(t, none.Emit(t.Context(), nil, metrics.Metric{Name: "N"}), "a nil emitter is a no-op")
	buf.Reset()
	require.NoError(t, metrics.New(&buf, "ns", "svc").Emit(t.Context(), nil))
	assert.Empty(t, buf.String(), "no metrics, no record")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestEmitWriteError(t *testing.T) {
	err := metrics.New(failingWriter{}, "ns", "svc").Emit(t.Context(), nil, metrics.Metric{Name: "N"})
	assert.ErrorContains(t, err, "metrics: write: closed")
}

// lineWriter records each Write call separately.
type lineWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestEmitConcurrentLinesStayWhole(t *testing.T) {
	w := &lineWriter{}
	e := metrics.New(w, "ns", "svc")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			assert.NoError(t, e.Emit(t.Context(), map[string]any{"i": i}, metrics.Metric{Name: "N", Value: 1}))
		})
	}
	wg.Wait()
	require.Len(t, w.writes, 50)
	for _, line := range w.writes {
		assert.True(t, json.Valid([]byte(line)), line)
		assert.True(t, strings.HasSuffix(line, "}\n"))
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	var buf bytes.Buffer
	assert.Nil(t, metrics.FromEnv(&buf, env(map[string]string{"METRICS_DISABLED": "true"})))
	e := metrics.FromEnv(&buf, env(map[string]string{"METRICS_SERVICE": "stepjobs-prod", "METRICS_NAMESPACE": "acme"}))
	require.NoError(t, e.Emit(t.Context(), nil, metrics.Metric{Name: "N"}))
	assert.Contains(t, buf.String(), `"Service":"stepjobs-prod"`)
	assert.Contains(t, buf.String(), `"Namespace":"acme"`)
	buf.Reset()
	require.NoError(t, metrics.FromEnv(&buf, env(nil)).Emit(t.Context(), nil, metrics.Metric{Name: "N"}))
	assert.Contains(t, buf.String(), `"Service":"stepjobs"`)
	assert.Contains(t, buf.String(), `"Namespace":"stepjobs"`)
}
