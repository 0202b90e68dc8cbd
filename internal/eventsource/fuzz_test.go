package eventsource

import (
	"testing"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// FuzzFailed reads any function response as a batch response: it may
// refuse it (the batch is then kept), never panic, and never names a
// message that is not in the batch.
func FuzzFailed(f *testing.F) {
	for _, s := range []string{`{}`, `null`, ``, `{"batchItemFailures":[{"itemIdentifier":"a"}]}`,
		`{"batchItemFailures":[{"itemIdentifier":"z"}]}`, `{"batchItemFailures":"x"}`, `[1]`} {
		f.Add(s)
	}
	msgs := []sqs.Message{{MessageId: "a"}, {MessageId: "b"}}
	f.Fuzz(func(t *testing.T, resp string) {
		got, err := failed(slsconfig.QueueSource{ReportBatchItemFailures: true}, []byte(resp), msgs)
		if err != nil {
			return
		}
		for id := range got {
			if id != "a" && id != "b" {
				t.Fatalf("%q is not a message of the batch", id)
			}
		}
	})
}
