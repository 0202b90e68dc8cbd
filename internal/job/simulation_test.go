package job_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
)

func TestParseSimulationRequest(t *testing.T) {
	tests := []struct {
		name          string
		raw           string
		allowFailures bool
		want          job.SimulationRequest
		wantErr       string
	}{
		{name: "empty", raw: ``, want: job.SimulationRequest{Records: 100}},
		{name: "null", raw: ` null `, want: job.SimulationRequest{Records: 100}},
		{name: "empty object", raw: `{}`, want: job.SimulationRequest{Records: 100}},
		{name: "null fields are absent", raw: `{"records":null,"seed":null}`, want: job.SimulationRequest{Records: 100}},
		{name: "all fields", raw: `{"records": 1, "seed": -9223372036854775808, "simulateFailure": "transient"}`, allowFailures: true,
			want: job.SimulationRequest{Records: 1, Seed: ptr(int64(-9223372036854775808)), SimulateFailure: "transient"}},
		{name: "maximum", raw: `{"records":100000}`, want: job.SimulationRequest{Records: 100000}},
		{name: "zero seed is a seed", raw: `{"seed":0}`, want: job.SimulationRequest{Records: 100, Seed: ptr(int64(0))}},

		{name: "negative records", raw: `{"records":-5}`, wantErr: "records must be between 1 and 100000, got -5"},
		{name: "zero records", raw: `{"records":0}`, wantErr: "records must be between 1 and 100000, got 0"},
		{name: "too many records", raw: `{"records":100001}`, wantErr: "records must be between 1 and 100000, got 100001"},
		{name: "records as string", raw: `{"records":"10"}`, wantErr: "records must be a number, got a string"},
		{name: "records as bool", raw: `{"records":true}`, wantErr: "records must be a number, got a boolean"},
		{name: "records as object", raw: `{"records":{}}`, wantErr: "records must be a number, got an object"},
		{name: "records as array", raw: `{"records":[1]}`, wantErr: "records must be a number, got an array"},
		{name: "fractional records", raw: `{"records":1.5}`, wantErr: "records must be a whole number that fits in 64 bits, got 1.5"},
		{name: "exponent records", raw: `{"records":1e3}`, wantErr: "records must be a whole number"},
		{name: "huge records", raw: `{"records":99999999999999999999}`, wantErr: "records must be a whole number"},
		{name: "seed as string", raw: `{"seed":"42"}`, wantErr: "seed must be a number, got a string"},
		{name: "seed too large", raw: `{"seed":9223372036854775808}`, wantErr: "seed must be a whole number that fits in 64 bits"},
		{name: "unknown field", raw: `{"records":1,"color":"red"}`, wantErr: `unknown field "color" (allowed: records, seed, simulateFailure, callbackUrl)`},
		{name: "field names are exact", raw: `{"Records":1}`, wantErr: `unknown field "Records"`},
		{name: "simulateFailure null is absent", raw: `{"simulateFailure":null}`, want: job.SimulationRequest{Records: 100}},
		{name: "object with a non-string key", raw: `{1:2}`, wantErr: "the request is not valid JSON"},
		{name: "failure not allowed", raw: `{"simulateFailure":"permanent"}`, wantErr: "simulateFailure is not allowed in this deployment"},
		{name: "unknown failure", raw: `{"simulateFailure":"sometimes"}`, allowFailures: true, wantErr: `simulateFailure must be "permanent" or "transient", got "sometimes"`},
		{name: "failure not a string", raw: `{"simulateFailure":1}`, allowFailures: true, wantErr: "simulateFailure must be a string, got a number"},
		{name: "array", raw: `[1,2]`, wantErr: "the request must be a JSON object"},
		{name: "string", raw: `"records"`, wantErr: "the request must be a JSON object"},
		{name: "number", raw: `100`, wantErr: "the request must be a JSON object"},
		{name: "truncated", raw: `{"records":`, wantErr: "the request is not valid JSON"},
		{name: "trailing data", raw: `{"records":1} {"records":2}`, wantErr: "unexpected data after the request object"},
		{name: "trailing garbage", raw: `{"records":1}x`, wantErr: "unexpected data after the request object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := job.ParseSimulationRequest([]byte(tc.raw), tc.allowFailures)
			if tc.wantErr != "" {
				var invalid *job.InvalidJobInput
				require.ErrorAs(t, err, &invalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseSimulationRequest: any input either parses into a request within
// the limits or fails as InvalidJobInput; it never panics, and what parses
// is valid JSON that encoding/json reads the same way.
func FuzzParseSimulationRequest(f *testing.F) {
	for _, seed := range []string{``, `null`, `{}`, `{"records":10}`, `{"records":-1}`, `{"records":"10"}`,
		`{"seed":42,"records":100000}`, `{"simulateFailure":"transient"}`, `{"x":1}`, `[`, `{"records":1e2}`,
		`{"records":1}{}`, `{"seed":-9223372036854775808}`, "{\"records\":\"\xff\"}"} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, allow bool) {
		req, err := job.ParseSimulationRequest(raw, allow)
		if err != nil {
			var invalid *job.InvalidJobInput
			if !errors.As(err, &invalid) {
				t.Fatalf("error is %T, want *job.InvalidJobInput: %v", err, err)
			}
			return
		}
		if req.Records < 1 || req.Records > job.MaxRecords {
			t.Fatalf("records %d out of range", req.Records)
		}
		if req.SimulateFailure != "" && (!allow || req.SimulateFailure != job.FailPermanent && req.SimulateFailure != job.FailTransient) {
			t.Fatalf("simulateFailure %q accepted (allow=%v)", req.SimulateFailure, allow)
		}
		var check struct {
			Records *int   `json:"records"`
			Seed    *int64 `json:"seed"`
		}
		if trimmed := bytes.Trim(raw, " \t\r\n"); len(trimmed) > 0 && string(trimmed) != "null" {
			if err := json.Unmarshal(raw, &check); err != nil {
				t.Fatalf("accepted %q, which encoding/json rejects: %v", raw, err)
			}
			if check.Records != nil && *check.Records != req.Records {
				t.Fatalf("records %d, encoding/json reads %d", req.Records, *check.Records)
			}
			if (check.Seed == nil) != (req.Seed == nil) || check.Seed != nil && *check.Seed != *req.Seed {
				t.Fatalf("seed %v, encoding/json reads %v", req.Seed, check.Seed)
			}
		}
	})
}
