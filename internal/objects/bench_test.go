package objects_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/cputime"
	"github.com/asyncjobs/stepjobs/internal/localaws"
	"github.com/asyncjobs/stepjobs/internal/objects"
)

// BenchmarkPutResult is batch-simulation's write of a result (PutObject of
// a few kilobytes of JSON) to gofakes3 in-process, through a client with
// the SDK's defaults (as on AWS) and through one with the local runtime's
// loopback options. cpu-ns/op is this process's CPU per result: the
// client's cost and gofakes3's together.
func BenchmarkPutResult(b *testing.B) {
	body := bytes.Repeat([]byte(`{"id":1234,"value":0.123456789},`), 128)
	for _, bc := range []struct {
		name string
		opts []func(*s3.Options)
	}{
		{"client=sdk-defaults", nil},
		{"client=loopback", []func(*s3.Options){localaws.LoopbackS3}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := objects.New(fakeS3(b, "results", bc.opts...), "results")
			ctx := b.Context()
			n := 0
			start := cputime.Self()
			for b.Loop() {
				n++
				_, err := s.PutResult(ctx, fmt.Sprintf("results/bench-%d.json", n), body)
				require.NoError(b, err)
			}
			b.ReportMetric(float64((cputime.Self()-start)/time.Duration(b.N)), "cpu-ns/op")
		})
	}
}
