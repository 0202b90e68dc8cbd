package jobtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// ResultDoc is what the tests read of a result document, the JSON that
// job.BatchSimulation writes.
type ResultDoc struct {
	JobID        string            `json:"jobId"`
	Seed         int64             `json:"seed"`
	Records      int               `json:"records"`
	Observations []json.RawMessage `json:"observations"`
}

// DecodeResult decodes the result document body, failing the test when it
// is not one.
func DecodeResult(t *testing.T, body []byte) ResultDoc {
	t.Helper()
	var doc ResultDoc
	require.NoError(t, json.Unmarshal(body, &doc))
	return doc
}
