package asl

import (
	"encoding/json"
	"os"
	"testing"
)

var benchInput = map[string]any{
	"request": map[string]any{"records": json.Number("100"), "seed": json.Number("42"), "tags": []any{"a", "b", "c"}},
	"result":  map[string]any{"bucket": "b", "key": "results/job-1.json", "records": json.Number("100"), "bytes": json.Number("1234")},
	"items":   []any{map[string]any{"x": json.Number("1")}, map[string]any{"x": json.Number("2")}, map[string]any{"x": json.Number("3")}},
}

var benchEnv = &Env{Context: map[string]any{
	"Execution": map[string]any{"Name": "job-1", "Id": "arn:aws:states:us-east-1:1:execution:m:job-1"},
	"State":     map[string]any{"RetryCount": json.Number("0")},
}}

func BenchmarkPathGet(b *testing.B) {
	for _, text := range []string{"$.result.key", "$$.Execution.Name", "$.items[*].x", "$..x", "$.items[?(@.x > 1)]"} {
		p := MustParsePath(text)
		b.Run(text, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Get(benchInput, benchEnv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTemplate(b *testing.B) {
	tmpls := map[string]string{
		"simulate":  `{"jobId.$":"$$.Execution.Name","request.$":"$.request","attempt.$":"$$.State.RetryCount"}`,
		"intrinsic": `{"id.$":"States.Format('{}-{}', $$.Execution.Name, $.result.records)","n.$":"States.ArrayLength($.items)"}`,
	}
	for name, src := range tmpls {
		v, err := DecodeJSON([]byte(src))
		if err != nil {
			b.Fatal(err)
		}
		t, err := CompileTemplate(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.Evaluate(benchInput, benchEnv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResultPath(b *testing.B) {
	p := MustParsePath("$.result")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyResultPath(p, false, benchInput, "r"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProjectDefinition(b *testing.B) {
	def, err := os.ReadFile("../../statemachine/jobs.asl.json")
	if err != nil {
		b.Skip("statemachine/jobs.asl.json absent")
	}
	b.SetBytes(int64(len(def)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}
