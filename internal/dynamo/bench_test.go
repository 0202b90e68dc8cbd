package dynamo_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/cputime"
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

// BenchmarkCreateFinish is a job's two writes (Create, then Finish with its
// result, as the tracking and status-update handlers make them) from one
// goroutine against dynalite, through a client with the SDK's defaults (as
// on AWS) and through one with the local runtime's loopback options.
// dynalite's CPU is in its own process, so cpu-ns/op, this process's CPU
// per job, is the client's cost: encoding, the SDK's middleware, HTTP,
// decoding.
func BenchmarkCreateFinish(b *testing.B) {
	defaults := dynamodb.New(dynamodb.Options{Region: client.Options().Region,
		BaseEndpoint: client.Options().BaseEndpoint, Credentials: client.Options().Credentials})
	for _, bc := range []struct {
		name string
		api  *dynamodb.Client
	}{
		{"client=sdk-defaults", defaults},
		{"client=loopback", client}, // dynalite.NewClient's, as the runtime's
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := dynamo.New(bc.api, newTable(b))
			ctx := b.Context()
			n := 0
			cpu := cpuTime(b)
			for b.Loop() {
				n++
				id := fmt.Sprintf("bench-%d", n)
				arn := "arn:aws:states:us-east-1:000000000000:execution:m:" + id
				at := time.Now()
				_, err := s.Create(ctx, job.NewJob(id, arn, []byte(`{"records": 10}`), at))
				require.NoError(b, err)
				_, err = s.Finish(ctx, job.Outcome{JobID: id, ExecutionARN: arn, Status: job.StatusSucceeded, At: at,
					Result: &job.Result{Bucket: "b", Key: "results/" + id + ".json", Records: 10, Bytes: 1000}})
				require.NoError(b, err)
			}
			b.ReportMetric(float64(cpu()/time.Duration(b.N)), "cpu-ns/op")
		})
	}
}

// cpuTime returns a function giving the CPU time (user and system) this
// process spent since cpuTime was called.
func cpuTime(b *testing.B) func() time.Duration {
	b.Helper()
	start := cputime.Self()
	return func() time.Duration { return cputime.Self() - start }
}
