package metrics_test

import (
	"context"
	"os"
	"time"

	"github.com/asyncjobs/stepjobs/internal/metrics"
)

// One EMF record: CloudWatch Logs turns the line into the metric
// JobsSucceeded (namespace stepjobs, dimension Service) and keeps jobId
// searchable.
func ExampleEmitter_Emit() {
	e := metrics.New(os.Stdout, "stepjobs", "stepjobs-dev").
		WithClock(func() time.Time { return time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC) })
	_ = e.Emit(context.Background(), map[string]any{"jobId": "j1"},
		metrics.Metric{Name: metrics.JobsSucceeded, Unit: metrics.Count, Value: 1})
	// Output: {"JobsSucceeded":1,"Service":"stepjobs-dev","_aws":{"CloudWatchMetrics":[{"Dimensions":[["Service"]],"Metrics":[{"Name":"JobsSucceeded","Unit":"Count"}],"Namespace":"stepjobs"}],"Timestamp":1795471200000},"jobId":"j1"}
}
