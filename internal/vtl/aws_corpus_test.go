package vtl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awsCorpusDir holds template outputs recorded on AWS or stated in AWS's
// API Gateway developer guide (its README.md names the sources).
const awsCorpusDir = "testdata/aws"

// awsCorpusFloor is the share of the corpus the engine must match: raise it
// as the engine improves, never lower it silently. Cases marked reliedOn
// must match whatever the rate.
const awsCorpusFloor = 0.95

// awsCase is one recorded render: one template, or several of one request
// (an echo integration between them, or a MOCK integration sharing $context).
type awsCase struct {
	ID     string `json:"id"`
	Source struct {
		Kind     string `json:"kind"`
		Repo     string `json:"repo"`
		Commit   string `json:"commit"`
		File     string `json:"file"`
		Test     string `json:"test"`
		Key      string `json:"key"`
		Recorded string `json:"recorded"`
		Section  string `json:"section"`
		URL      string `json:"url"`
	} `json:"source"`
	Classes  []string  `json:"classes"`
	ReliedOn string    `json:"reliedOn"`
	Note     string    `json:"note"`
	Steps    []awsStep `json:"steps"`
	Expect   awsExpect `json:"expect"`
}

type awsStep struct {
	Template string `json:"template"`
	Body     string `json:"body"`
	// BodyFrom "previous": the body is the previous step's output (the
	// integration echoed the request template's output back).
	BodyFrom       string            `json:"bodyFrom"`
	Headers        map[string]string `json:"headers"`
	Query          map[string]string `json:"query"`
	Path           map[string]string `json:"path"`
	Context        map[string]any    `json:"context"`
	StageVariables map[string]string `json:"stageVariables"`
	// KeepContext: $context is the one the previous step left.
	KeepContext bool `json:"keepContext"`
}

type awsExpect struct {
	Body *string         `json:"body"` // the output, exactly
	JSON json.RawMessage `json:"json"` // the output parsed as JSON
	// JSONField: JSON is compared with this string field of the output,
	// itself parsed as JSON.
	JSONField string            `json:"jsonField"`
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	// Context maps dotted paths in the final $context to their values.
	Context map[string]any `json:"context"`
}

func loadAWSCorpus(t *testing.T) []awsCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(awsCorpusDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no corpus in %s", awsCorpusDir)
	var cases []awsCase
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		var cs []awsCase
		require.NoError(t, dec.Decode(&cs), f)
		for _, c := range cs {
			require.False(t, seen[c.ID], "duplicate case id %s", c.ID)
			seen[c.ID] = true
			require.NotEmpty(t, c.Steps, c.ID)
			require.NotEmpty(t, c.Source.File, "%s names no source", c.ID)
			cases = append(cases, c)
		}
	}
	return cases
}

// runAWSCase renders a case's steps and returns "" or how the output differs.
func runAWSCase(c awsCase) string {
	var res *Result
	var shared *Map
	for i, st := range c.Steps {
		tpl, err := Parse(fmt.Sprintf("%s#%d", c.ID, i), st.Template)
		if err != nil {
			return fmt.Sprintf("step %d: parse: %v", i, err)
		}
		env := &Env{
			Request:        Request{Body: []byte(st.Body), Headers: st.Headers, Query: st.Query, Path: st.Path},
			Context:        st.Context,
			StageVariables: st.StageVariables,
		}
		if st.BodyFrom == "previous" {
			if res == nil {
				return "bodyFrom previous in the first step"
			}
			env.Request.Body = []byte(res.Body)
		}
		var from *Map
		if st.KeepContext {
			from = shared
		}
		res, shared, err = tpl.render(context.Background(), env, from)
		if err != nil {
			return fmt.Sprintf("step %d: render: %v", i, err)
		}
	}
	return compareAWSCase(c.Expect, res, shared)
}

func compareAWSCase(want awsExpect, res *Result, ctxMap *Map) string {
	var diffs []string
	if want.Body != nil && res.Body != *want.Body {
		diffs = append(diffs, fmt.Sprintf("body: want %q, got %q", *want.Body, res.Body))
	}
	if len(want.JSON) > 0 {
		text := res.Body
		if want.JSONField != "" {
			var outer map[string]any
			if err := json.Unmarshal([]byte(text), &outer); err != nil {
				return fmt.Sprintf("output is not JSON (%v): %q", err, text)
			}
			s, ok := outer[want.JSONField].(string)
			if !ok {
				return fmt.Sprintf("output has no string field %s: %q", want.JSONField, text)
			}
			text = s
		}
		var got, exp any
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			diffs = append(diffs, fmt.Sprintf("not JSON (%v): %q", err, text))
		} else if err := json.Unmarshal(want.JSON, &exp); err != nil {
			diffs = append(diffs, fmt.Sprintf("expected JSON unreadable: %v", err))
		} else if !reflect.DeepEqual(got, exp) {
			var compact bytes.Buffer
			_ = json.Compact(&compact, want.JSON)
			diffs = append(diffs, fmt.Sprintf("JSON: want %s, got %s", compact.String(), text))
		}
	}
	if want.Status != 0 && res.Status != want.Status {
		diffs = append(diffs, fmt.Sprintf("status: want %d, got %d", want.Status, res.Status))
	}
	for k, v := range want.Headers {
		if res.Headers[k] != v {
			diffs = append(diffs, fmt.Sprintf("header %s: want %q, got %q", k, v, res.Headers[k]))
		}
	}
	paths := make([]string, 0, len(want.Context))
	for p := range want.Context {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var v any = ctxMap
		for _, k := range strings.Split(p, ".") {
			m, ok := v.(*Map)
			if !ok {
				v = nil
				break
			}
			v, _ = m.get(k)
		}
		if w := fmt.Sprint(want.Context[p]); fmt.Sprint(v) != w {
			diffs = append(diffs, fmt.Sprintf("$context.%s: want %q, got %v", p, w, v))
		}
	}
	return strings.Join(diffs, "; ")
}

// TestAWSCorpus renders every case of the AWS corpus and compares. It prints
// the count (make conformance shows it); a case a project template relies on
// must match, the others count towards the floor.
func TestAWSCorpus(t *testing.T) {
	cases := loadAWSCorpus(t)
	var pass int
	var failures []string
	bySource := map[string][2]int{}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			reason := runAWSCase(c)
			n := bySource[c.Source.Kind]
			n[1]++
			if reason == "" {
				pass++
				n[0]++
			} else {
				failures = append(failures, c.ID+": "+reason)
			}
			bySource[c.Source.Kind] = n
			if c.ReliedOn != "" {
				assert.Empty(t, reason, "differs from AWS, and the project relies on it: %s", c.ReliedOn)
			} else if reason != "" {
				t.Log("differs from AWS:", reason)
			}
		})
	}
	kinds := make([]string, 0, len(bySource))
	for k := range bySource {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var sb strings.Builder
	fmt.Fprintf(&sb, "VTL AWS corpus: %d/%d cases match (%.1f%%)", pass, len(cases), 100*float64(pass)/float64(len(cases)))
	for _, k := range kinds {
		fmt.Fprintf(&sb, ", %s %d/%d", k, bySource[k][0], bySource[k][1])
	}
	sb.WriteString("\n")
	for _, f := range failures {
		fmt.Fprintf(&sb, "  differs: %s\n", f)
	}
	t.Log("\n" + sb.String())
	fmt.Print(sb.String())
	rate := float64(pass) / float64(len(cases))
	assert.GreaterOrEqual(t, rate, awsCorpusFloor, "VTL AWS corpus match rate fell below the floor")
}
