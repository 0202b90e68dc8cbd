package asl

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// conformanceDir is the recorded AWS corpus, relative to this package.
const conformanceDir = "../../../shared/conformance/sfn/cases"

type confCase struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	Operation      string          `json:"operation"`
	QueryLanguage  string          `json:"queryLanguage"`
	UsesJSONata    bool            `json:"usesJSONata"`
	Definition     json.RawMessage `json:"definition"`
	DefinitionText *string         `json:"definitionText"`
	RawInput       *string         `json:"rawInput"`
	RawInputTmpl   *string         `json:"rawInputTemplate"`
	Normalisation  struct {
		ExtraTransformers []struct {
			Kind   string         `json:"kind"`
			Args   []string       `json:"args"`
			Kwargs map[string]any `json:"kwargs"`
		} `json:"extraTransformers"`
	} `json:"normalisation"`
	Expected struct {
		Status          string          `json:"status"`
		Output          json.RawMessage `json:"output"`
		Error           *string         `json:"error"`
		Cause           *string         `json:"cause"`
		ValidationError *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"validationError"`
		Validate *struct {
			Result      string `json:"result"`
			Diagnostics []struct {
				Code     string `json:"code"`
				Message  string `json:"message"`
				Location string `json:"location"`
			} `json:"diagnostics"`
		} `json:"validateStateMachineDefinition"`
	} `json:"expected"`
}

func loadCases(t testing.TB, area string) []confCase {
	t.Helper()
	path := filepath.Join(conformanceDir, area+".jsonl")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("conformance corpus absent (%s): skipping", path)
	}
	require.NoError(t, err)
	defer f.Close()
	var out []confCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var c confCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
	return out
}

func allAreas(t testing.TB) []string {
	matches, _ := filepath.Glob(filepath.Join(conformanceDir, "*.jsonl"))
	if len(matches) == 0 {
		t.Skipf("conformance corpus absent (%s): skipping", conformanceDir)
	}
	var areas []string
	for _, m := range matches {
		areas = append(areas, strings.TrimSuffix(filepath.Base(m), ".jsonl"))
	}
	return areas
}

// TestConformanceValidation runs every validation case through Parse and
// compares AWS's diagnostic codes (and messages where AWS's wording is ours).
func TestConformanceValidation(t *testing.T) {
	pass, total := 0, 0
	for _, area := range allAreas(t) {
		for _, c := range loadCases(t, area) {
			if c.Kind != "validation" {
				continue
			}
			t.Run(c.ID, func(t *testing.T) {
				def := []byte(c.Definition)
				if c.DefinitionText != nil {
					def = []byte(*c.DefinitionText)
				}
				_, err := Parse(def)
				var de *DefinitionError
				switch {
				case c.Expected.ValidationError != nil:
					total++
					require.ErrorAs(t, err, &de)
					assert.Equal(t, c.Expected.ValidationError.Code, "InvalidDefinition")
					if assert.Equal(t, c.Expected.ValidationError.Message, err.Error()) {
						pass++
					}
				case c.Expected.Validate != nil && c.Expected.Validate.Result == "OK":
					total++
					require.NoError(t, err)
					pass++
				case c.Expected.Validate != nil:
					total++
					require.ErrorAs(t, err, &de)
					var got, want []string
					for _, d := range c.Expected.Validate.Diagnostics {
						want = append(want, d.Code)
					}
					for _, p := range de.Problems {
						got = append(got, p.Code)
					}
					if !assert.Equal(t, want, got) {
						return
					}
					d := c.Expected.Validate.Diagnostics[0]
					if d.Code == CodeSchemaValidationFailed {
						assert.Equal(t, d.Message, de.Problems[0].Message)
						if d.Location != "" {
							assert.Equal(t, d.Location, de.Problems[0].Location)
						}
					}
					if !t.Failed() {
						pass++
					}
				}
			})
		}
	}
	t.Logf("conformance validation: %d/%d pass", pass, total)
}

// walkable reports whether the walker supports every state of the case.
func walkable(c confCase) bool {
	if c.Kind == "validation" || c.UsesJSONata || c.QueryLanguage != "JSONPath" {
		return false
	}
	switch c.Expected.Status {
	case "SUCCEEDED", "FAILED":
	default:
		return false
	}
	return !strings.Contains(string(c.Definition), `"Task"`)
}

type execOutcome struct {
	pass       bool
	causeMatch bool
	reason     string
}

// runExecutionCase parses and walks one recorded execution.
func runExecutionCase(c confCase) execOutcome {
	sm, err := Parse(c.Definition)
	if err != nil {
		return execOutcome{reason: "parse: " + err.Error()}
	}
	raw := "{}"
	if c.RawInput != nil {
		raw = *c.RawInput
	}
	if c.RawInputTmpl != nil {
		raw = expandInputTemplate(*c.RawInputTmpl, walkerNow)
	}
	input, err := DecodeJSON([]byte(raw))
	if err != nil {
		return execOutcome{reason: "input: " + err.Error()}
	}
	w := newWalker(input)
	r := w.run(sm, input, nil, nil)
	switch c.Expected.Status {
	case "SUCCEEDED":
		if r.err != nil {
			return execOutcome{reason: "failed: " + r.err.Error()}
		}
		want, err := expectedOutput(c.Expected.Output)
		if err != nil {
			return execOutcome{reason: err.Error()}
		}
		if !matchRecorded(want, normalizeDates(c.transform(jsonvalue.ToPlain(r.output)))) {
			return execOutcome{reason: fmt.Sprintf("output %s, want %s", jsonText(r.output), jsonText(want))}
		}
		return execOutcome{pass: true, causeMatch: true}
	default:
		if r.err == nil {
			return execOutcome{reason: "succeeded with " + jsonText(r.output)}
		}
		if c.Expected.Error != nil && *c.Expected.Error != r.err.Name {
			return execOutcome{reason: fmt.Sprintf("error %q, want %q", r.err.Name, *c.Expected.Error)}
		}
		causeMatch := c.Expected.Cause == nil || causeMatches(*c.Expected.Cause, c.transform(r.err.Cause).(string))
		reason := ""
		if !causeMatch {
			reason = fmt.Sprintf("cause %q, want %q", r.err.Cause, *c.Expected.Cause)
		}
		return execOutcome{pass: true, causeMatch: causeMatch, reason: reason}
	}
}

// expectedOutput decodes a recorded output: an object, or JSON text in a string.
func expectedOutput(raw json.RawMessage) (any, error) {
	v, err := decodeDefinition(raw)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok {
		if parsed, err := decodeDefinition([]byte(s)); err == nil {
			return parsed, nil
		}
	}
	return v, nil
}

var (
	dateTimeRe    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)`)
	uuidTokenRe   = regexp.MustCompile(`^<uuid:\d+>$`)
	nowTmplRe     = regexp.MustCompile(`\$\{UTC_NOW_SECONDS(\+(\d+)d)?\}`)
	jsonInputRe   = regexp.MustCompile(`<json-input:\d+>`)
	statePrefixRe = regexp.MustCompile(`^An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. `)
)

// expandInputTemplate expands ${UTC_NOW_SECONDS} and ${UTC_NOW_SECONDS+Nd}.
func expandInputTemplate(tmpl string, now time.Time) string {
	return nowTmplRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		t := now
		if sub := nowTmplRe.FindStringSubmatch(m); sub[2] != "" {
			days, _ := strconv.Atoi(sub[2])
			t = t.AddDate(0, 0, days)
		}
		return t.UTC().Format("2006-01-02T15:04:05")
	})
}

// transform applies the case's test-specific replacements to our result:
// regex replacements of the expanded input template, and $..key value replacements.
func (c confCase) transform(v any) any {
	for _, tr := range c.Normalisation.ExtraTransformers {
		switch {
		case tr.Kind == "TransformerUtility.regex" && len(tr.Args) == 2:
			from := expandInputTemplate(tr.Args[0], walkerNow)
			v = mapStrings(v, func(s string) string { return strings.ReplaceAll(s, from, tr.Args[1]) })
		case tr.Kind == "JsonpathTransformer":
			path, repl := "", ""
			if len(tr.Args) == 2 {
				path, repl = tr.Args[0], tr.Args[1]
			} else {
				path, _ = tr.Kwargs["jsonpath"].(string)
				repl, _ = tr.Kwargs["replacement"].(string)
			}
			if key, ok := strings.CutPrefix(path, "$.."); ok && !strings.ContainsAny(key, ".[") {
				v = replaceKey(v, key, repl)
			}
		}
	}
	return v
}

func mapStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mapStrings(e, f)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = mapStrings(x[i], f)
		}
		return out
	}
	return v
}

func replaceKey(v any, key, repl string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k == key {
				out[k] = repl
			} else {
				out[k] = replaceKey(e, key, repl)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = replaceKey(x[i], key, repl)
		}
		return out
	}
	return v
}

// normalizeDates replaces zoned date-times in strings with "date", as the recordings do.
func normalizeDates(v any) any {
	switch x := v.(type) {
	case string:
		return dateTimeRe.ReplaceAllString(x, "date")
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeDates(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalizeDates(x[i])
		}
		return out
	}
	return v
}

// matchRecorded compares like jsonEqual, except that the recordings'
// placeholders for generated values (<uuid:N>, and the tokens the tests'
// extra transformers wrote for random numbers and UUIDs) match any scalar.
func matchRecorded(want, got any) bool {
	if s, ok := want.(string); ok && (uuidTokenRe.MatchString(s) || s == "RandomNumberGenerated" || s == "generated-uuid") {
		switch got.(type) {
		case map[string]any, []any:
			return false
		}
		return true
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if e, ok := g[k]; !ok || !matchRecorded(v, e) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matchRecorded(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return jsonEqual(want, got)
}

// causeMatches compares our cause with a recorded one: the engine, not this
// package, adds the "An error occurred while executing the state ..." prefix,
// and the recording replaced JSON inputs with <json-input:N>.
func causeMatches(want, got string) bool {
	want = statePrefixRe.ReplaceAllString(want, "")
	parts := jsonInputRe.Split(want, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// TestConformanceExecutions walks every recorded JSONPath execution made of
// Pass, Choice, Wait, Succeed, Fail, Parallel and Map states and requires
// each to pass; it prints counts per area and lists failures and cause
// differences in testdata/conformance-failures.txt.
func TestConformanceExecutions(t *testing.T) {
	var report strings.Builder
	for _, area := range allAreas(t) {
		pass, total, causes := 0, 0, 0
		for _, c := range loadCases(t, area) {
			if !walkable(c) {
				continue
			}
			total++
			o := runExecutionCase(c)
			if o.pass {
				pass++
				if o.causeMatch {
					causes++
				}
			}
			if !o.pass || !o.causeMatch {
				fmt.Fprintf(&report, "%s\n\t%s\n", c.ID, o.reason)
			}
			// Every walkable case passes today; keep it that way.
			assert.True(t, o.pass, "%s: %s", c.ID, o.reason)
		}
		if total > 0 {
			t.Logf("%-20s %3d/%3d pass (%d with matching cause)", area, pass, total, causes)
		}
	}
	require.NoError(t, os.WriteFile("testdata/conformance-failures.txt", []byte(report.String()), 0o644))
}
