package console

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toSDKEvents turns history events as AWS JSON (GetExecutionHistory's
// "events", or the conformance corpus's normalised form with JSON texts as
// objects and "timestamp" placeholders) into the SDK's types.
func toSDKEvents(t *testing.T, raw []any) []types.HistoryEvent {
	t.Helper()
	out := make([]types.HistoryEvent, 0, len(raw))
	for _, r := range raw {
		ev := r.(map[string]any)
		ts, _ := ev["timestamp"].(float64)
		delete(ev, "timestamp")
		for k, v := range ev {
			d, ok := v.(map[string]any)
			if !ok || !strings.HasSuffix(k, "Details") {
				continue
			}
			if av, ok := d["assignedVariables"].(map[string]any); ok {
				for name, x := range av {
					if _, isText := x.(string); !isText {
						b, err := json.Marshal(x)
						require.NoError(t, err)
						av[name] = string(b)
					}
				}
			}
			for _, f := range []string{"input", "output", "parameters"} {
				if x, ok := d[f]; ok {
					if _, isText := x.(string); !isText {
						b, err := json.Marshal(x)
						require.NoError(t, err)
						d[f] = string(b)
					}
				}
			}
		}
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		var he types.HistoryEvent
		require.NoError(t, json.Unmarshal(b, &he)) // the SDK's field names match AWS's, case aside
		if ts > 0 {
			at := time.UnixMilli(int64(ts * 1000)).UTC()
			he.Timestamp = &at
		}
		out = append(out, he)
	}
	return out
}

func loadHistory(t *testing.T, name string) []types.HistoryEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "histories", name+".json"))
	require.NoError(t, err, "run go test -update to record it")
	var doc struct{ Events []any }
	require.NoError(t, json.Unmarshal(b, &doc))
	return toSDKEvents(t, doc.Events)
}

// jobRuns are the executions recorded from the local engine with the
// project's definition and fake handlers.
var jobRuns = map[string]string{
	"succeeded": `{"records": 500, "seed": 42}`,
	"caught":    `{"records": 5, "simulateFailure": "permanent"}`,
	"retried":   `{"records": 5, "simulateFailure": "transient"}`,
}

// TestRecordHistories records testdata/histories/*.json with -update.
func TestRecordHistories(t *testing.T) {
	if !*update {
		t.Skip("records histories only with -update")
	}
	le := newLocalEngine(t)
	require.NoError(t, os.MkdirAll(filepath.Join("testdata", "histories"), 0o755))
	for name, input := range jobRuns {
		arn := le.run(t, "job-"+name, input)
		events, err := le.eng.History(t.Context(), arn)
		require.NoError(t, err)
		b, err := json.MarshalIndent(map[string]any{"events": events}, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "histories", name+".json"), append(b, '\n'), 0o644))
	}
}

func statuses(tr *trace) map[string]runStatus {
	out := map[string]runStatus{}
	for n, r := range tr.States {
		out[n] = r.Status
	}
	return out
}

func TestAnalyseProjectHistories(t *testing.T) {
	tests := []struct {
		name     string
		status   types.ExecutionStatus
		cut      string // keep events up to the first of this type (a running execution)
		want     map[string]runStatus
		retries  map[string]int
		errState string
		err      string
	}{
		{name: "succeeded", status: types.ExecutionStatusSucceeded,
			want: map[string]runStatus{"Track": statusSucceeded, "Simulate": statusSucceeded, "RecordSuccess": statusSucceeded, "Done": statusSucceeded}},
		{name: "caught", status: types.ExecutionStatusFailed,
			want:     map[string]runStatus{"Track": statusSucceeded, "Simulate": statusCaught, "RecordFailure": statusSucceeded, "JobFailed": statusFailed},
			errState: "Simulate", err: "SimulatedFailure"},
		{name: "retried", status: types.ExecutionStatusSucceeded,
			want:    map[string]runStatus{"Track": statusSucceeded, "Simulate": statusRetried, "RecordSuccess": statusSucceeded, "Done": statusSucceeded},
			retries: map[string]int{"Simulate": 1}, errState: "Simulate", err: "TransientError"},
		{name: "succeeded", status: types.ExecutionStatusRunning, cut: "LambdaFunctionSucceeded",
			want: map[string]runStatus{"Track": statusRunning}},
		{name: "caught", status: types.ExecutionStatusAborted, cut: "TaskStateExited",
			want: map[string]runStatus{"Track": statusStopped}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.name, tc.status), func(t *testing.T) {
			events := loadHistory(t, tc.name)
			if tc.cut != "" {
				for i, ev := range events {
					if string(ev.Type) == tc.cut {
						events = events[:i]
						break
					}
				}
			}
			tr := analyse(events, tc.status)
			assert.Equal(t, tc.want, statuses(tr))
			for n, want := range tc.retries {
				assert.Equal(t, want, tr.States[n].Retries, n)
				assert.Equal(t, want+1, tr.States[n].Attempts, n)
			}
			if tc.errState != "" {
				assert.Equal(t, tc.err, tr.States[tc.errState].Error)
				assert.Contains(t, tr.States[tc.errState].Cause, `"errorType":"`+tc.err+`"`)
			}
			require.Len(t, tr.Rows, len(events))
			for i, row := range tr.Rows {
				assert.Equal(t, events[i].Id, row.ID)
				if strings.HasPrefix(row.Type, "Lambda") || strings.HasPrefix(row.Type, "Task") {
					assert.NotEmpty(t, row.Step, "event %d (%s) attributed to a state", row.ID, row.Type)
				}
				if i > 0 {
					assert.GreaterOrEqual(t, row.ElapsedMS, tr.Rows[i-1].ElapsedMS, "elapsed grows")
				}
			}
		})
	}
}

func TestAnalyseStateData(t *testing.T) {
	tr := analyse(loadHistory(t, "caught"), types.ExecutionStatusFailed)
	sim := tr.States["Simulate"]
	assert.JSONEq(t, `{"jobId":"job-caught","status":"RUNNING","createdAt":"2026-11-23T12:00:00Z"}`, sim.Input)
	assert.JSONEq(t, `{"Error":"SimulatedFailure","Cause":"{\"errorMessage\":\"simulated permanent failure\",\"errorType\":\"SimulatedFailure\"}"}`, sim.Output)
	require.Len(t, sim.Failures, 1)
	assert.Equal(t, "LambdaFunctionFailed", sim.Failures[0].Type)
	assert.Equal(t, 1, sim.Caught)
	assert.Equal(t, "SimulatedFailure", tr.States["JobFailed"].Error, "a Fail state shows the execution's error")
	// Elapsed time comes from the fake handlers' simulated work (35+120 ms before Simulate fails).
	for _, row := range tr.Rows {
		if row.Type == "LambdaFunctionFailed" {
			assert.Equal(t, int64(155), row.ElapsedMS)
			assert.Contains(t, row.Summary, "SimulatedFailure: ")
			assert.Contains(t, row.Details, `"error": "SimulatedFailure"`)
		}
	}
}

// TestAnalyseConformance colours the executions recorded on real AWS.
func TestAnalyseConformance(t *testing.T) {
	cases := conformanceCases(t)
	specific := map[string]map[string]runStatus{
		"test_parallel_state_catch": {"ParallelState": statusCaught, "Branch1": statusFailed, "FinalCaught": statusSucceeded},
		"test_map_state_retry":      {"StartState": statusSucceeded, "MapState": statusFailed, "HandleItemFail": statusFailed},
		"test_map_state_catch":      {"StartState": statusSucceeded, "MapState": statusCaught, "HandleItemFail": statusFailed, "FinalCaught": statusSucceeded, "Final": statusNotReached},
		"test_parallel_state_retry": {"ParallelState": statusFailed, "Branch1": statusFailed},
	}
	analysed, checked := 0, 0
	for _, c := range cases {
		exp, _ := c["expected"].(map[string]any)
		hist, _ := exp["history"].([]any)
		if len(hist) == 0 {
			continue
		}
		id := c["id"].(string)
		if !numberedEvents(hist) {
			continue // parallel branches re-sorted by the recorder: event ids are placeholders
		}
		events := toSDKEvents(t, hist)
		status := types.ExecutionStatus(exp["status"].(string))
		tr := analyse(events, status)
		analysed++
		for name, r := range tr.States {
			assert.NotEqual(t, statusNotReached, r.Status, "%s: %s entered", id, name)
			if status != types.ExecutionStatusRunning {
				assert.NotEqual(t, statusRunning, r.Status, "%s: %s running in a closed execution", id, name)
			}
		}
		if status == types.ExecutionStatusFailed {
			failed := false
			for _, r := range tr.States {
				failed = failed || r.Status == statusFailed
			}
			assert.True(t, failed || len(tr.States) == 0, "%s: a failed execution has a failed state", id)
		}
		for suffix, want := range specific {
			if !strings.HasSuffix(id, "::"+suffix) || want == nil {
				continue
			}
			checked++
			got := statuses(tr)
			for n, s := range want {
				g, ok := got[n]
				if !ok {
					g = statusNotReached
				}
				assert.Equal(t, s, g, "%s: %s", id, n)
			}
		}
	}
	assert.Greater(t, analysed, 300)
	assert.GreaterOrEqual(t, checked, 4)
	t.Logf("%d recorded histories analysed, %d checked state by state", analysed, checked)
}

func TestMapRetriesCounted(t *testing.T) {
	for _, c := range conformanceCases(t) {
		if !strings.HasSuffix(c["id"].(string), "::test_map_state_retry") {
			continue
		}
		exp := c["expected"].(map[string]any)
		tr := analyse(toSDKEvents(t, exp["history"].([]any)), types.ExecutionStatusFailed)
		m := tr.States["MapState"]
		assert.Equal(t, 3, m.Attempts, "the Map started three times")
		assert.Equal(t, 2, m.Retries)
		assert.Equal(t, 3, tr.States["HandleItemFail"].Entered)
		return
	}
	t.Skip("test_map_state_retry not in the corpus")
}

func numberedEvents(hist []any) bool {
	for _, e := range hist {
		if _, ok := e.(map[string]any)["id"].(float64); !ok {
			return false
		}
	}
	return true
}

// FuzzAnalyse feeds arbitrary histories (AWS JSON) to the colouring: it must
// never panic, and every row keeps its event.
func FuzzAnalyse(f *testing.F) {
	for name := range jobRuns {
		b, err := os.ReadFile(filepath.Join("testdata", "histories", name+".json"))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"id":1,"type":"MapStateStarted"},{"id":2,"type":"MapStateFailed","previousEventId":1},{"id":3,"type":"ParallelStateExited"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var h struct{ Events []types.HistoryEvent }
		if json.Unmarshal(doc, &h) != nil {
			return
		}
		tr := analyse(h.Events, types.ExecutionStatusFailed)
		if len(tr.Rows) != len(h.Events) {
			t.Fatalf("%d rows for %d events", len(tr.Rows), len(h.Events))
		}
	})
}
