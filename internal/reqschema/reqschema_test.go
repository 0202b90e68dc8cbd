package reqschema_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/job"
	"github.com/asyncjobs/stepjobs/internal/reqschema"
)

// schemaDir is the project's schemas/ folder.
var schemaDir = filepath.Join("..", "..", "schemas")

func load(t testing.TB, name string) *reqschema.Schema {
	t.Helper()
	s, err := reqschema.Load(filepath.Join(schemaDir, name))
	require.NoError(t, err)
	return s
}

const arn = "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:0123456789abcdef-key_1"

// callbackPattern is the schema's callbackUrl pattern as the validator
// quotes it (a JSON string: backslashes doubled).
var callbackPattern = strings.ReplaceAll(job.CallbackURLPattern, `\`, `\\`)

func TestValidate(t *testing.T) {
	start := load(t, "start-execution.json")
	describe := load(t, "describe-execution.json")
	stop := load(t, "stop-execution.json")
	cases := []struct {
		name   string
		schema *reqschema.Schema
		body   string
		want   string // validationErrorString; "" means valid
	}{
		{"start: empty object", start, `{}`, ""},
		{"start: empty body is {}", start, ``, ""},
		{"start: all fields", start, `{"records": 500, "seed": -42, "simulateFailure": "transient"}`, ""},
		{"start: nulls are absent", start, `{"records": null, "seed": null, "simulateFailure": null}`, ""},
		{"start: bounds", start, `{"records": 1}`, ""},
		{"start: upper bound", start, `{"records": 100000, "seed": 9223372036854775807}`, ""},
		{"start: records 0", start, `{"records": 0}`,
			`[numeric instance is lower than the required minimum (minimum: 1, found: 0)]`},
		{"start: records too many", start, `{"records": 100001}`,
			`[numeric instance is greater than the required maximum (maximum: 100000, found: 100001)]`},
		{"start: records a string", start, `{"records": "10"}`,
			`[instance type (string) does not match any allowed primitive type (allowed: ["integer","null"])]`},
		{"start: records a fraction", start, `{"records": 1.5}`,
			`[instance type (number) does not match any allowed primitive type (allowed: ["integer","null"])]`},
		{"start: records 10.0 is a number, not an integer", start, `{"records": 10.0}`,
			`[instance type (number) does not match any allowed primitive type (allowed: ["integer","null"])]`},
		{"start: seed beyond 64 bits", start, `{"seed": 9223372036854775808}`,
			`[numeric instance is greater than the required maximum (maximum: 9223372036854775807, found: 9223372036854775808)]`},
		{"start: unknown field", start, `{"records": 5, "Records": 5, "extra": true}`,
			`[object instance has properties which are not allowed by the schema: ["Records","extra"]]`},
		{"start: unknown simulateFailure", start, `{"simulateFailure": "sometimes"}`,
			`[instance value ("sometimes") not found in enum (possible values: ["permanent","transient",null])]`},
		{"start: several errors", start, `{"records": 0, "simulateFailure": 1, "x": 1}`,
			`[object instance has properties which are not allowed by the schema: ["x"], numeric instance is lower than the required minimum (minimum: 1, found: 0), instance value (1) not found in enum (possible values: ["permanent","transient",null])]`},
		{"start: callbackUrl", start, `{"callbackUrl": "https://hooks.example.com/jobs?tenant=7"}`, ""},
		{"start: callbackUrl null", start, `{"callbackUrl": null}`, ""},
		{"start: callbackUrl to loopback http (local runtime)", start, `{"callbackUrl": "http://127.0.0.1:8099/cb"}`, ""},
		{"start: callbackUrl http", start, `{"callbackUrl": "http://hooks.example.com/"}`,
			`[ECMA 262 regex "` + callbackPattern + `" does not match input string "http://hooks.example.com/"]`},
		{"start: callbackUrl malformed", start, `{"callbackUrl": "not a url"}`,
			`[ECMA 262 regex "` + callbackPattern + `" does not match input string "not a url"]`},
		{"start: callbackUrl a number", start, `{"callbackUrl": 7}`,
			`[instance type (integer) does not match any allowed primitive type (allowed: ["null","string"])]`},
		{"start: an array", start, `[1]`,
			`[instance type (array) does not match any allowed primitive type (allowed: ["object"])]`},
		{"start: a number", start, `7`,
			`[instance type (integer) does not match any allowed primitive type (allowed: ["object"])]`},
		{"start: not JSON", start, `{"records":`, `[Invalid JSON: unexpected EOF]`},
		{"start: trailing data", start, `{} {}`, `[Invalid JSON: invalid character after top-level value]`},
		{"describe: valid", describe, `{"executionArn": "` + arn + `"}`, ""},
		{"describe: other partition", describe, `{"executionArn": "` + strings.Replace(arn, "arn:aws:", "arn:aws-cn:", 1) + `"}`, ""},
		{"describe: missing", describe, `{}`, `[object has missing required properties (["executionArn"])]`},
		{"describe: empty body", describe, ``, `[object has missing required properties (["executionArn"])]`},
		{"describe: not a string", describe, `{"executionArn": 5}`,
			`[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]`},
		{"describe: no owner prefix", describe, `{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:key-1"}`,
			`[ECMA 262 regex "^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:stepjobs-[A-Za-z0-9_-]+-jobs:[0-9a-f]{16}-[A-Za-z0-9_-]{1,63}$" does not match input string "arn:aws:states:us-east-1:123456789012:execution:stepjobs-dev-jobs:key-1"]`},
		{"describe: another state machine", describe, `{"executionArn": "` + strings.Replace(arn, "stepjobs-dev-jobs", "other", 1) + `"}`,
			`[ECMA 262 regex "^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:stepjobs-[A-Za-z0-9_-]+-jobs:[0-9a-f]{16}-[A-Za-z0-9_-]{1,63}$" does not match input string "` + strings.Replace(arn, "stepjobs-dev-jobs", "other", 1) + `"]`},
		{"describe: extra field", describe, `{"executionArn": "` + arn + `", "includeExecutionData": true}`,
			`[object instance has properties which are not allowed by the schema: ["includeExecutionData"]]`},
		{"stop: valid", stop, `{"executionArn": "` + arn + `"}`, ""},
		{"stop: missing", stop, `{"cause": "x"}`,
			`[object instance has properties which are not allowed by the schema: ["cause"], object has missing required properties (["executionArn"])]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.schema.Validate([]byte(tc.body))
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var ve *reqschema.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "Invalid request body", err.Error())
			assert.Equal(t, tc.want, ve.ValidationErrorString())
		})
	}
}

// TestStartSchemaAgreesWithTheJob runs one table of bodies through the
// schema and through the job's own parser (the one the Simulate task uses),
// so the gateway never lets through what the job refuses, nor the reverse.
func TestStartSchemaAgreesWithTheJob(t *testing.T) {
	start := load(t, "start-execution.json")
	bodies := []string{
		`{}`, `null`, ``, `{"records":1}`, `{"records":100000}`, `{"records":0}`, `{"records":100001}`,
		`{"records":-5}`, `{"records":"5"}`, `{"records":5.5}`, `{"records":5.0}`, `{"records":1e3}`, `{"records":true}`,
		`{"records":null}`, `{"seed":0}`, `{"seed":-9223372036854775808}`, `{"seed":9223372036854775807}`,
		`{"seed":9223372036854775808}`, `{"seed":-9223372036854775809}`, `{"seed":"1"}`, `{"seed":null}`,
		`{"simulateFailure":"permanent"}`, `{"simulateFailure":"transient"}`, `{"simulateFailure":"never"}`,
		`{"simulateFailure":1}`, `{"simulateFailure":null}`, `{"other":1}`, `{"Records":1}`, `[]`, `"x"`, `1`,
		`{"records":5,"seed":7,"simulateFailure":"transient"}`, `{"records":`,
		`{"callbackUrl":"https://h.example.com/x"}`, `{"callbackUrl":"https://[2001:db8::1]:8443/"}`, `{"callbackUrl":"http://localhost:1/"}`,
		`{"callbackUrl":"http://[::1]/"}`, `{"callbackUrl":"http://h.example.com/"}`, `{"callbackUrl":"ftp://h/"}`,
		`{"callbackUrl":"https://h/#f"}`, `{"callbackUrl":"https://u@h/"}`, `{"callbackUrl":""}`, `{"callbackUrl":1}`,
		`{"callbackUrl":null}`, `{"callbackUrl":"https://h/` + strings.Repeat("a", 2040) + `"}`,
	}
	for _, body := range bodies {
		schemaErr := start.Validate([]byte(body))
		_, jobErr := job.ParseSimulationRequest([]byte(body), true)
		if body == "null" {
			// API Gateway's validator sees null as not an object; the job
			// treats it as an empty request. The start template turns a null
			// body into {} before the job sees it, so the gateway is stricter.
			assert.Error(t, schemaErr)
			assert.NoError(t, jobErr)
			continue
		}
		assert.Equal(t, jobErr == nil, schemaErr == nil, "body %s: schema %v, job %v", body, schemaErr, jobErr)
	}
}

// TestStartSchemaLimitsAreTheJobs checks the numbers in the schema file
// against the job domain's constants.
func TestStartSchemaLimitsAreTheJobs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(schemaDir, "start-execution.json"))
	require.NoError(t, err)
	var s struct {
		Properties struct {
			Records struct{ Minimum, Maximum json.Number } `json:"records"`
			Seed    struct{ Minimum, Maximum json.Number } `json:"seed"`
			Failure struct {
				Enum []any `json:"enum"`
			} `json:"simulateFailure"`
			Callback struct {
				Pattern   string      `json:"pattern"`
				MaxLength json.Number `json:"maxLength"`
			} `json:"callbackUrl"`
		} `json:"properties"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&s))
	assert.Equal(t, "1", s.Properties.Records.Minimum.String())
	assert.Equal(t, fmt.Sprint(job.MaxRecords), s.Properties.Records.Maximum.String())
	assert.Equal(t, fmt.Sprint(int64(math.MinInt64)), s.Properties.Seed.Minimum.String())
	assert.Equal(t, fmt.Sprint(int64(math.MaxInt64)), s.Properties.Seed.Maximum.String())
	assert.Equal(t, []any{job.FailPermanent, job.FailTransient, nil}, s.Properties.Failure.Enum)
	assert.Equal(t, job.CallbackURLPattern, s.Properties.Callback.Pattern)
	assert.Equal(t, fmt.Sprint(job.MaxCallbackURLLen), s.Properties.Callback.MaxLength.String())
}

// TestExecutionARNPatternFitsOwnership: the longest name the API creates
// (prefix, dash, a 63-character key) matches; one character more does not.
func TestExecutionARNPatternFitsOwnership(t *testing.T) {
	describe := load(t, "describe-execution.json")
	base := "arn:aws:states:eu-west-1:123456789012:execution:stepjobs-prod-jobs:"
	name := job.ExecutionName("0123456789abcdef", strings.Repeat("k", job.MaxIdempotencyKeyLen))
	require.Len(t, name, job.MaxExecutionNameLen)
	assert.NoError(t, describe.Validate([]byte(`{"executionArn":"`+base+name+`"}`)))
	assert.Error(t, describe.Validate([]byte(`{"executionArn":"`+base+name+`k"}`)))
}

func TestCompileRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":       `{`,
		"not an object":  `[]`,
		"draft 7":        `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`,
		"no $schema":     `{"type":"object"}`,
		"external ref":   `{"$schema":"http://json-schema.org/draft-04/schema#","$ref":"http://127.0.0.1:1/x.json"}`,
		"invalid schema": `{"$schema":"http://json-schema.org/draft-04/schema#","type":5}`,
	} {
		_, err := reqschema.Compile(name, []byte(doc))
		assert.Error(t, err, name)
	}
	_, err := reqschema.Load(filepath.Join(schemaDir, "missing.json"))
	assert.Error(t, err)
}

func FuzzValidate(f *testing.F) {
	start := load(f, "start-execution.json")
	describe := load(f, "describe-execution.json")
	for _, s := range []string{`{}`, `{"records":5}`, `{"records":1.0}`, `[`, `{"executionArn":"` + arn + `"}`, `{"a":{"b":[1,2]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, s := range []*reqschema.Schema{start, describe} {
			err := s.Validate([]byte(body))
			if err != nil {
				var ve *reqschema.ValidationError
				require.ErrorAs(t, err, &ve)
				require.NotEmpty(t, ve.Messages)
			}
		}
		// Whatever the schema lets through, the job's parser accepts.
		if start.Validate([]byte(body)) == nil {
			_, err := job.ParseSimulationRequest([]byte(body), true)
			require.NoError(t, err, body)
		}
	})
}
