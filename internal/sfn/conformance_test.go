package sfn

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// conformanceDir is the AWS-recorded corpus, relative to this package.
const conformanceDir = "../../../shared/conformance/sfn"

// conformanceFloor is the JSONPath execution pass rate the test defends:
// raise it as the engine improves, never lower it silently.
const conformanceFloor = 0.99

// jsonataConformanceFloor is the same for the JSONata execution cases.
const jsonataConformanceFloor = 0.95

// conformanceFailures lists the failing cases with their reasons.
const conformanceFailures = "testdata/conformance-failures.txt"

type corpusCase struct {
	ID               string          `json:"id"`
	Kind             string          `json:"kind"`
	Operation        string          `json:"operation"`
	UsesJSONata      bool            `json:"usesJSONata"`
	Definition       json.RawMessage `json:"definition"`
	DefinitionText   *string         `json:"definitionText"`
	RawInput         *string         `json:"rawInput"`
	RawInputTemplate *string         `json:"rawInputTemplate"`
	Expected         struct {
		Status                         string                 `json:"status"`
		Output                         json.RawMessage        `json:"output"`
		Error                          *string                `json:"error"`
		Cause                          *string                `json:"cause"`
		Events                         []string               `json:"events"`
		History                        []map[string]any       `json:"history"`
		ValidationError                *struct{ Code string } `json:"validationError"`
		ValidateStateMachineDefinition *struct {
			Result      string
			Diagnostics []struct{ Code string }
		} `json:"validateStateMachineDefinition"`
	} `json:"expected"`
	Normalisation struct {
		ParallelEventsSorted bool `json:"parallelEventsSorted"`
		ExtraTransformers    []struct {
			Kind   string         `json:"kind"`
			Args   []string       `json:"args"`
			Kwargs map[string]any `json:"kwargs"`
		} `json:"extraTransformers"`
	} `json:"normalisation"`
	area string
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(conformanceDir, "cases", "*.jsonl"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skipf("conformance corpus not found at %s (../shared/conformance from the project root): skipping", conformanceDir)
	}
	var cases []corpusCase
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			var c corpusCase
			require.NoError(t, json.Unmarshal(sc.Bytes(), &c), "case in %s", f)
			c.area = strings.TrimSuffix(filepath.Base(f), ".jsonl")
			cases = append(cases, c)
		}
		require.NoError(t, sc.Err())
		require.NoError(t, fh.Close())
	}
	return cases
}

type areaCount struct {
	pass, total                  int
	validation, validationPass   int
	jsonata, jsonataPass         int // JSONata execution cases
	jsonataValid, jsonataValidOK int // JSONata validation cases
}

func TestConformance(t *testing.T) {
	cases := loadCorpus(t)
	now := time.Now().UTC().Truncate(time.Second)
	detailStats = &detailCount{}
	orderStats = &orderCount{}
	defer func() { detailStats, orderStats = nil, nil }()
	counts := map[string]*areaCount{}
	var failures []string
	var pass, total, jsonataPass, jsonataTotal, jsonataValid, jsonataValidOK int
	for _, c := range cases {
		ac := counts[c.area]
		if ac == nil {
			ac = &areaCount{}
			counts[c.area] = ac
		}
		switch {
		case c.UsesJSONata && c.Kind == "validation":
			ac.jsonataValid++
			jsonataValid++
			if reason := runValidationCase(c); reason == "" {
				ac.jsonataValidOK++
				jsonataValidOK++
			} else {
				failures = append(failures, c.ID+"\n\tJSONata: "+reason)
			}
		case c.UsesJSONata:
			ac.jsonata++
			jsonataTotal++
			if reason := runExecutionCase(c, now); reason == "" {
				ac.jsonataPass++
				jsonataPass++
			} else {
				failures = append(failures, c.ID+"\n\tJSONata: "+strings.ReplaceAll(reason, "\n", "\n\t"))
			}
		case c.Kind == "validation":
			ac.validation++
			if reason := runValidationCase(c); reason == "" {
				ac.validationPass++
			} else {
				failures = append(failures, c.ID+"\n\t"+reason)
			}
		default:
			ac.total++
			total++
			reason := runExecutionCase(c, now)
			if reason == "" {
				ac.pass++
				pass++
			} else {
				failures = append(failures, c.ID+"\n\t"+strings.ReplaceAll(reason, "\n", "\n\t"))
			}
		}
	}
	areas := make([]string, 0, len(counts))
	for a := range counts {
		areas = append(areas, a)
	}
	sort.Strings(areas)
	var sb strings.Builder
	fmt.Fprintf(&sb, "JSONPath execution cases: %d/%d pass (%.1f%%)\n", pass, total, 100*float64(pass)/float64(max(total, 1)))
	fmt.Fprintf(&sb, "JSONata execution cases:  %d/%d pass (%.1f%%), validation %d/%d\n", jsonataPass, jsonataTotal, 100*float64(jsonataPass)/float64(max(jsonataTotal, 1)), jsonataValidOK, jsonataValid)
	fmt.Fprintf(&sb, "  %-20s %-26s %s\n", "area", "JSONPath exec / valid", "JSONata exec / valid")
	for _, a := range areas {
		c := counts[a]
		fmt.Fprintf(&sb, "  %-20s %3d/%-3d  %3d/%-3d          %3d/%-3d  %d/%d\n",
			a, c.pass, c.total, c.validationPass, c.validation, c.jsonataPass, c.jsonata, c.jsonataValidOK, c.jsonataValid)
	}
	t.Log("\n" + sb.String())
	fmt.Print(sb.String())
	fmt.Fprintf(&sb, "History details (optional, not gating; passing cases with a recorded history): %d/%d match, ids and previousEventIds also match in %d\n",
		detailStats.pass, detailStats.total, detailStats.ids)
	fmt.Fprintf(&sb, "Key order of objects in outputs: %d/%d outputs list every object's keys in AWS's order\n", orderStats.match, orderStats.total)
	report := sb.String() + "\nFailing cases (" + fmt.Sprint(len(failures)) + "):\n" + strings.Join(failures, "\n") + "\n" +
		"\nHistory detail differences (" + fmt.Sprint(len(detailStats.failures)) + "):\n" + strings.Join(detailStats.failures, "\n") + "\n" +
		"\nKey order differences (" + fmt.Sprint(len(orderStats.diffs)) + "):\n" + strings.Join(orderStats.diffs, "\n") + "\n" +
		"\nEvent id / previousEventId differences, first per case (" + fmt.Sprint(len(detailStats.idDiffs)) + "):\n" + strings.Join(detailStats.idDiffs, "\n") + "\n"
	// The report is a local file (git-ignored): a clean clone has no testdata yet.
	require.NoError(t, os.MkdirAll(filepath.Dir(conformanceFailures), 0o755))
	require.NoError(t, os.WriteFile(conformanceFailures, []byte(report), 0o644))
	rate := float64(pass) / float64(max(total, 1))
	assert.GreaterOrEqual(t, rate, conformanceFloor, "JSONPath pass rate fell below the floor; see %s", conformanceFailures)
	assert.GreaterOrEqual(t, float64(jsonataPass)/float64(max(jsonataTotal, 1)), jsonataConformanceFloor, "JSONata pass rate fell below the floor; see %s", conformanceFailures)
	assert.Equal(t, jsonataValid, jsonataValidOK, "every JSONata validation case must pass; see %s", conformanceFailures)
	assert.Equal(t, orderStats.total, orderStats.match, "outputs whose objects list their keys unlike AWS; see %s", conformanceFailures)
}

func newConformanceEngine(now time.Time) (*Engine, *FakeClock) {
	clock := NewFakeClock(now)
	e := New(Config{Region: "<region>", AccountID: "111111111111", Partition: "<partition>", Clock: clock})
	return e, clock
}

func runValidationCase(c corpusCase) string {
	if c.Operation == "ValidateStateMachineDefinition" && c.Expected.ValidateStateMachineDefinition != nil {
		e, _ := newConformanceEngine(time.Now())
		def := string(c.Definition)
		if c.DefinitionText != nil {
			def = *c.DefinitionText
		}
		want := c.Expected.ValidateStateMachineDefinition
		result, diags := e.ValidateStateMachineDefinition(context.Background(), def)
		var codes []string
		for _, d := range diags {
			codes = append(codes, d.Code)
		}
		var wantCodes []string
		for _, d := range want.Diagnostics {
			wantCodes = append(wantCodes, d.Code)
		}
		if result != want.Result || !reflect.DeepEqual(codes, wantCodes) {
			return fmt.Sprintf("validate: want %s %v, got %s %v", want.Result, wantCodes, result, diags)
		}
		return ""
	}
	if c.Operation != "CreateStateMachine" || c.Expected.ValidationError == nil {
		return ""
	}
	e, _ := newConformanceEngine(time.Now())
	_, err := e.createStateMachine(CreateStateMachineInput{Name: "<ArnPart_0idx>", Definition: string(c.Definition), RoleARN: "snf_role_arn"})
	if got := ErrorCode(err); got != c.Expected.ValidationError.Code {
		return fmt.Sprintf("validation: want %s, got %q (%v)", c.Expected.ValidationError.Code, got, err)
	}
	return ""
}

var utcNowRe = regexp.MustCompile(`\$\{UTC_NOW_SECONDS(?:\+(\d+)d)?\}`)

func expandNow(s string, now time.Time) string {
	return utcNowRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := utcNowRe.FindStringSubmatch(m)
		t := now
		if sub[1] != "" {
			var days int
			fmt.Sscan(sub[1], &days)
			t = t.AddDate(0, 0, days)
		}
		return t.Format("2006-01-02T15:04:05")
	})
}

// runExecutionCase runs one case and returns "" or why it failed.
func runExecutionCase(c corpusCase, now time.Time) (reason string) {
	defer func() {
		if p := recover(); p != nil {
			reason = fmt.Sprintf("panic: %v", p)
		}
	}()
	e, clock := newConformanceEngine(now)
	sm, err := e.createStateMachine(CreateStateMachineInput{Name: "<ArnPart_0idx>", Definition: string(c.Definition), RoleARN: "snf_role_arn"})
	if err != nil {
		return "create: " + err.Error()
	}
	input := "{}"
	switch {
	case c.RawInputTemplate != nil:
		input = expandNow(*c.RawInputTemplate, now)
	case c.RawInput != nil:
		input = *c.RawInput
	}
	ex, err := e.startExecution(sm.ARN, "<ExecArnPart_0idx>", input)
	if err != nil {
		return "start: " + err.Error()
	}
	if !drive(e, clock, ex, c.Expected.Status != StatusRunning) {
		return "execution did not settle within the safety limit"
	}
	reason = compareCase(c, ex, now)
	if reason == "" && c.Expected.History != nil && detailStats != nil && !c.Normalisation.ParallelEventsSorted {
		detailStats.total++
		if d, ids := compareDetails(c, ex, now); d == "" {
			detailStats.pass++
			if ids {
				detailStats.ids++
			}
		} else {
			detailStats.failures = append(detailStats.failures, c.ID+"\n\t"+strings.ReplaceAll(d, "\n", "\n\t"))
		}
	}
	return reason
}

// detailStats collects the optional history-details comparison.
var detailStats *detailCount

type detailCount struct {
	pass, total, ids int
	failures         []string
	idDiffs          []string
}

// drive runs the execution to its end, firing the fake clock's next timer
// whenever every goroutine of the engine is waiting. With fire false it only
// waits for the engine to go idle. It reports false when the safety limit
// (a guard against hangs, not an assertion on speed) was hit.
func drive(e *Engine, clock *FakeClock, ex *execution, fire bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		idle := e.idleChan()
		select {
		case <-ex.done:
			return true
		default:
		}
		if e.busy.Load() == 0 {
			if !fire || !clock.FireNext() {
				return true
			}
			continue
		}
		select {
		case <-ex.done:
			return true
		case <-ctx.Done():
			return false
		case <-idle:
		}
	}
}

func compareCase(c corpusCase, ex *execution, now time.Time) string {
	d := ex.describe()
	ex.mu.Lock()
	events := ex.history()
	ex.mu.Unlock()
	var problems []string
	if d.Status != c.Expected.Status {
		problems = append(problems, fmt.Sprintf("status: want %s, got %s (error %s, cause %s)", c.Expected.Status, d.Status, deref(d.Error), deref(d.Cause)))
	}
	norm := func(s string) string { return normaliseText(c, s, now) }
	if len(c.Expected.Output) > 0 && d.Status == StatusSucceeded && c.Expected.Status == StatusSucceeded {
		if msg := compareOutput(c, c.Expected.Output, norm(deref(d.Output))); msg != "" {
			problems = append(problems, msg)
		}
	}
	if c.Expected.Error != nil && deref(d.Error) != *c.Expected.Error {
		problems = append(problems, fmt.Sprintf("error: want %q, got %q", *c.Expected.Error, deref(d.Error)))
	}
	if c.Expected.Cause != nil && normaliseCause(norm(deref(d.Cause))) != normaliseCause(*c.Expected.Cause) {
		problems = append(problems, fmt.Sprintf("cause: want %q, got %q", *c.Expected.Cause, norm(deref(d.Cause))))
	}
	if c.Expected.Events != nil {
		got := make([]string, len(events))
		for i, ev := range events {
			got[i] = string(ev.Type)
		}
		if msg := compareEvents(c.Expected.Events, got, c.Normalisation.ParallelEventsSorted); msg != "" {
			problems = append(problems, msg)
		}
	}
	return strings.Join(problems, "\n")
}

// compareDetails is the stricter, optional check: event details after
// normalisation, for cases whose event sequence matched exactly (ids and
// previousEventIds are compared apart). It returns "" when all match.
func compareDetails(c corpusCase, ex *execution, now time.Time) (detail string, ids bool) {
	ex.mu.Lock()
	events := ex.history()
	ex.mu.Unlock()
	if len(c.Expected.History) != len(events) {
		return fmt.Sprintf("history has %d events, want %d", len(events), len(c.Expected.History)), false
	}
	ids = true
	for i, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			return err.Error(), false
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			return err.Error(), false
		}
		got = parseJSONTexts(got).(map[string]any)
		text, _ := json.Marshal(normaliseValue(c, got, ""))
		var norm map[string]any
		if err := json.Unmarshal([]byte(normaliseText(c, string(text), now)), &norm); err != nil {
			return err.Error(), false
		}
		want := replaceUUIDPlaceholders(cloneJSON(c.Expected.History[i])).(map[string]any)
		want = normaliseValue(c, want, "").(map[string]any)
		if strings.Contains(fmt.Sprint(want), "generated-uuid") {
			norm = replaceAllUUIDs(norm).(map[string]any)
		}
		if ids && (fmt.Sprint(want["id"]) != fmt.Sprint(norm["id"]) || fmt.Sprint(want["previousEventId"]) != fmt.Sprint(norm["previousEventId"])) {
			ids = false
			if detailStats != nil {
				detailStats.idDiffs = append(detailStats.idDiffs, fmt.Sprintf("%s\n\tevent %d %s: want id %v previousEventId %v, got %v %v",
					c.ID, i+1, ev.Type, want["id"], want["previousEventId"], norm["id"], norm["previousEventId"]))
			}
		}
		for _, m := range []map[string]any{want, norm} {
			delete(m, "id")
			delete(m, "previousEventId")
			parsePayloadTexts(m, "")
		}
		if !reflect.DeepEqual(want, norm) {
			wb, _ := json.Marshal(want)
			gb, _ := json.Marshal(norm)
			return fmt.Sprintf("event %d (%s):\n  want %s\n  got  %s", i+1, ev.Type, wb, gb), ids
		}
	}
	return "", ids
}

var mapRunRe = regexp.MustCompile(`(:mapRun:[^/]+)/[^:]+:[0-9a-f-]+$`)

// parsePayloadTexts parses the JSON texts of inputs and outputs on both
// sides: their whitespace and key order are not normative.
func parsePayloadTexts(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = parsePayloadTexts(val, k)
		}
	case []any:
		for i, val := range x {
			x[i] = parsePayloadTexts(val, "")
		}
	case string:
		switch key {
		case "input", "output", "parameters":
			var parsed any
			if json.Unmarshal([]byte(x), &parsed) == nil {
				return parsed
			}
		case "mapRunArn":
			return mapRunRe.ReplaceAllString(x, "$1/<MapRunArnPart0_0idx>:<MapRunArnPart1_0idx>")
		}
	}
	return v
}

func cloneJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// parseJSONTexts replaces string values that start with '{' and parse as
// JSON by the parsed value, one level deep (the recordings' step 2).
func parseJSONTexts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = parseJSONTexts(val)
		}
	case []any:
		for i, val := range x {
			x[i] = parseJSONTexts(val)
		}
	case string:
		if strings.HasPrefix(x, "{") {
			var parsed any
			if json.Unmarshal([]byte(x), &parsed) == nil {
				return parsed
			}
		}
	}
	return v
}

var (
	isoDateRe = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)`)
	uuidRe    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	uuidPhRe  = regexp.MustCompile(`<uuid:\d+>`)
	jsonInRe  = regexp.MustCompile(`could not be found in the input '.*'$`)
)

// normaliseText applies the corpus' text replacements to one of our results.
func normaliseText(c corpusCase, s string, now time.Time) string {
	for _, tr := range c.Normalisation.ExtraTransformers {
		if tr.Kind == "TransformerUtility.regex" && len(tr.Args) == 2 {
			s = strings.ReplaceAll(s, expandNow(tr.Args[0], now), tr.Args[1])
		}
	}
	return isoDateRe.ReplaceAllStringFunc(s, func(m string) string {
		// Only calendar-valid date-times were replaced in the recordings.
		if validISODate(m) {
			return "date"
		}
		return m
	})
}

func validISODate(s string) bool {
	if !isoDateRe.MatchString(s) || isoDateRe.FindString(s) != s {
		return false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999Z0700"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func normaliseCause(s string) string {
	return jsonInRe.ReplaceAllString(s, "could not be found in the input '<json-input>'")
}

// normaliseValue applies the key-based rules: values under keys containing
// "timestamp", UUIDs under keys ending in "id", and the case's JSONPath
// transformers ($..Key replaced by a constant).
func normaliseValue(c corpusCase, v any, key string) any {
	for _, tr := range c.Normalisation.ExtraTransformers {
		if tr.Kind != "JsonpathTransformer" {
			continue
		}
		path, repl := "", ""
		if len(tr.Args) == 2 {
			path, repl = tr.Args[0], tr.Args[1]
		} else if p, ok := tr.Kwargs["jsonpath"].(string); ok {
			path, _ = p, 0
			repl, _ = tr.Kwargs["replacement"].(string)
		}
		if i := strings.LastIndex(path, "."); i >= 0 && key != "" && path[i+1:] == key {
			return repl
		}
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = normaliseValue(c, val, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = normaliseValue(c, val, "")
		}
		return out
	case float64, json.Number, bool:
		if strings.Contains(strings.ToLower(key), "timestamp") {
			return "timestamp"
		}
	case string:
		if strings.Contains(strings.ToLower(key), "timestamp") && !validISODate(x) && x != "date" {
			return "timestamp"
		}
		if key == "cause" {
			return normaliseCause(x)
		}
		if strings.HasSuffix(strings.ToLower(key), "id") && uuidRe.MatchString(x) {
			return "<uuid>"
		}
	}
	return v
}

func compareOutput(c corpusCase, want json.RawMessage, got string) string {
	var wantV any
	if err := json.Unmarshal(want, &wantV); err != nil {
		return "bad expected output: " + err.Error()
	}
	if s, ok := wantV.(string); ok {
		// Non-object outputs are recorded as JSON text.
		var inner any
		if err := json.Unmarshal([]byte(s), &inner); err == nil {
			wantV = inner
		}
	}
	var gotV any
	if err := json.Unmarshal([]byte(got), &gotV); err != nil {
		return fmt.Sprintf("output: not JSON: %s", got)
	}
	gotV = normaliseValue(c, gotV, "")
	wantV = replaceUUIDPlaceholders(wantV)
	if strings.Contains(string(want), "generated-uuid") {
		gotV = replaceAllUUIDs(gotV)
	}
	if !reflect.DeepEqual(wantV, gotV) {
		wb, _ := json.Marshal(wantV)
		gb, _ := json.Marshal(gotV)
		return fmt.Sprintf("output: want %s\n        got  %s", wb, gb)
	}
	if orderStats != nil {
		countKeyOrder(c, want, got)
	}
	return ""
}

// orderStats counts the outputs whose objects list their keys in AWS's
// order (the values match either way; the order is checked apart).
var orderStats *orderCount

type orderCount struct {
	match, total int
	diffs        []string
}

// countKeyOrder compares the key order of every object in the recorded and
// in our output.
func countKeyOrder(c corpusCase, want json.RawMessage, got string) {
	wantText := string(want)
	var s string
	if json.Unmarshal(want, &s) == nil {
		wantText = s
	}
	w, err1 := asl.DecodeJSONString(wantText)
	g, err2 := asl.DecodeJSONString(got)
	if err1 != nil || err2 != nil {
		return
	}
	ws, gs := keySequence(w, nil), keySequence(g, nil)
	if len(ws) == 0 {
		return // no object with two keys or more: nothing to order
	}
	orderStats.total++
	if slices.Equal(ws, gs) {
		orderStats.match++
		return
	}
	orderStats.diffs = append(orderStats.diffs, fmt.Sprintf("%s\n\twant %v\n\tgot  %v", c.ID, ws, gs))
}

// keySequence lists the keys of v's objects of two keys or more, in order.
func keySequence(v any, out []string) []string {
	switch x := v.(type) {
	case *jsonvalue.Object:
		if x.Len() > 1 {
			out = append(out, strings.Join(x.Keys(), ","))
		}
		for i := range x.Len() {
			_, e := x.At(i)
			out = keySequence(e, out)
		}
	case []any:
		for _, e := range x {
			out = keySequence(e, out)
		}
	}
	return out
}

func replaceUUIDPlaceholders(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = replaceUUIDPlaceholders(val)
		}
	case []any:
		for i, val := range x {
			x[i] = replaceUUIDPlaceholders(val)
		}
	case string:
		return uuidPhRe.ReplaceAllString(x, "<uuid>")
	}
	return v
}

func replaceAllUUIDs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = replaceAllUUIDs(val)
		}
	case []any:
		for i, val := range x {
			x[i] = replaceAllUUIDs(val)
		}
	case string:
		return uuidRe.ReplaceAllString(x, "generated-uuid")
	}
	return v
}

// compareEvents compares event type sequences: exactly, or, when the
// history has Parallel or Map states whose children may interleave, as
// multisets (a sub-multiset for the corpus' sorted Parallel windows, which
// dropped closing events).
func compareEvents(want, got []string, sorted bool) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	concurrent := false
	for _, w := range want {
		if w == "ParallelStateStarted" || w == "MapStateStarted" {
			concurrent = true
		}
	}
	if concurrent {
		wc, gc := map[string]int{}, map[string]int{}
		for _, w := range want {
			wc[w]++
		}
		for _, g := range got {
			gc[g]++
		}
		if reflect.DeepEqual(wc, gc) {
			return ""
		}
		if sorted {
			ok := true
			for k, n := range wc {
				if gc[k] < n {
					ok = false
				}
			}
			for k, n := range gc {
				if n > wc[k] && k != "ParallelStateSucceeded" && k != "ParallelStateExited" {
					ok = false
				}
			}
			if ok {
				return ""
			}
		}
	}
	return fmt.Sprintf("events:\n  want %v\n  got  %v", want, got)
}
