package dynamo_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
	"github.com/asyncjobs/stepjobs/internal/job"
)

// BenchmarkJobWrites is a job's two writes (Create, then Finish with its
// result) against dynalite from 64 goroutines: the job table's ceiling
// under the local runtime, which no engine or API speed-up can pass.
// dynalite runs on one Node thread, so its process's CPU is the limit.
// The ids carry an owner, as the API's do, so each write also updates the
// byOwner index.
func BenchmarkJobWrites(b *testing.B) {
	s := dynamo.New(client, newTable(b))
	var n atomic.Int64
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("0123456789abcdef-bench-%d", n.Add(1))
			arn := "arn:aws:states:us-east-1:000000000000:execution:m:" + id
			at := time.Now()
			_, err := s.Create(b.Context(), job.NewJob(id, arn, []byte(`{"records": 10}`), at))
			require.NoError(b, err)
			_, err = s.Finish(b.Context(), job.Outcome{JobID: id, ExecutionARN: arn, Status: job.StatusSucceeded, At: at,
				Result: &job.Result{Bucket: "b", Key: "results/" + id + ".json", Records: 10, Bytes: 1000}})
			require.NoError(b, err)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
