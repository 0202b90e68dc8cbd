package objects_test

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/objects"
)

// BenchmarkPutResult is batch-simulation's write of a result (PutObject of
// a few kilobytes of JSON) to gofakes3 in-process, through a client built
// as the local runtime builds its own. cpu-ns/op is this process's CPU per
// result: the client's cost and gofakes3's together.
func BenchmarkPutResult(b *testing.B) {
	s := objects.New(fakeS3(b, "results"), "results")
	body := bytes.Repeat([]byte(`{"id":1234,"value":0.123456789},`), 128)
	ctx := b.Context()
	n := 0
	start := processCPU(b)
	for b.Loop() {
		n++
		_, err := s.PutResult(ctx, fmt.Sprintf("results/bench-%d.json", n), body)
		require.NoError(b, err)
	}
	b.ReportMetric(float64((processCPU(b)-start)/time.Duration(b.N)), "cpu-ns/op")
}

// processCPU is the CPU time (user and system) this process has spent.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
