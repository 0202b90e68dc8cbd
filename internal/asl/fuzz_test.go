package asl

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// conformanceDefinitions returns the corpus definitions (nil when absent) to seed fuzzers.
func conformanceDefinitions(f *testing.F) [][]byte {
	var defs [][]byte
	matches, _ := filepath.Glob(filepath.Join(conformanceDir, "*.jsonl"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			var c struct {
				Definition json.RawMessage `json:"definition"`
			}
			if json.Unmarshal([]byte(line), &c) == nil && len(c.Definition) > 0 {
				defs = append(defs, c.Definition)
			}
		}
	}
	return defs
}

// walkStrings calls fn for every string in v, with its object key.
func walkStrings(v any, key string, fn func(key, s string)) {
	switch x := v.(type) {
	case string:
		fn(key, x)
	case map[string]any:
		for k, e := range x {
			walkStrings(e, k, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, key, fn)
		}
	}
}

// addDefinitionStrings seeds f with each distinct string of the
// conformance definitions that starts with prefix.
func addDefinitionStrings(f *testing.F, prefix string) {
	seen := map[string]bool{}
	for _, d := range conformanceDefinitions(f) {
		v, err := DecodeJSON(d)
		if err != nil {
			continue
		}
		walkStrings(v, "", func(_, s string) {
			if strings.HasPrefix(s, prefix) && !seen[s] {
				seen[s] = true
				f.Add(s)
			}
		})
	}
}

var fuzzInput = map[string]any{
	"a": []any{json.Number("1"), "x", map[string]any{"b": true}}, "s": "str", "n": json.Number("2.5"),
	"o": map[string]any{"k": nil, "t": "2024-01-01T00:00:00Z"},
}

func fuzzEnv() *Env {
	return &Env{Context: map[string]any{"Execution": map[string]any{"Name": "e"}}, Vars: map[string]any{"v": []any{"x"}}}
}

func FuzzParse(f *testing.F) {
	for _, d := range conformanceDefinitions(f) {
		f.Add(d)
	}
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`))
	f.Fuzz(func(t *testing.T, def []byte) {
		sm, err := Parse(def)
		if err != nil {
			if _, ok := err.(*DefinitionError); !ok {
				t.Fatalf("Parse returned %T, want *DefinitionError", err)
			}
			return
		}
		// A valid definition must run its data flow without panicking.
		env := fuzzEnv()
		for _, st := range sm.States {
			in, err := st.EffectiveInput(fuzzInput, env)
			if err != nil {
				continue
			}
			_, _ = st.EffectiveOutput(fuzzInput, in, env)
			_, _ = st.ApplyAssign(in, env)
			if st.Type == TypeChoice {
				_, _, _ = st.NextState(in, env)
			}
			if st.Type == TypeWait {
				_, _ = st.Until(in, env, time.Unix(0, 0))
			}
			if st.Type == TypeFail {
				_, _, _ = st.ErrorAndCause(in, env)
			}
		}
	})
}

func FuzzPath(f *testing.F) {
	addDefinitionStrings(f, "$")
	for _, s := range []string{"$", "$..x", "$.a[*]", "$.a[-1:]", "$.a[?(@.b == true)]", "$$.Execution.Name", "$v[0]", "$['a','s']", "$.a[0:2:1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePath(text)
		if err != nil {
			return
		}
		_, _ = p.Get(fuzzInput, fuzzEnv())
		_ = p.Normalized()
		if p.IsDefinite() && p.root == rootInput {
			_, _ = ApplyResultPath(p, false, fuzzInput, "r")
		}
	})
}

func FuzzIntrinsic(f *testing.F) {
	addDefinitionStrings(f, "States.")
	for _, s := range []string{"States.Format('a {} \\'b\\' \\{\\}', $.s)", "States.ArrayRange(1, 1000, 1)", "States.MathRandom(1, 9, 3)", "States.UUID()", "States.Hash($.s, 'MD5')"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseExpr(text)
		if err != nil {
			return
		}
		_, err = e.Eval(fuzzInput, fuzzEnv())
		if err != nil && e.call != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("intrinsic error %T, want *Error", err)
			}
		}
	})
}

func FuzzChoice(f *testing.F) {
	for _, d := range conformanceDefinitions(f) {
		if strings.Contains(string(d), `"Choice"`) {
			f.Add(d, []byte(`{"Variable":1,"Value":"x"}`))
		}
	}
	f.Add([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringMatches":"a*\\*","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`), []byte(`{"a":"ab*"}`))
	f.Fuzz(func(t *testing.T, def, input []byte) {
		sm, err := Parse(def)
		if err != nil {
			return
		}
		in, err := DecodeJSON(input)
		if err != nil {
			return
		}
		for _, st := range sm.States {
			if st.Type != TypeChoice {
				continue
			}
			next, _, err := st.NextState(in, fuzzEnv())
			if err == nil {
				if _, ok := sm.States[next]; !ok {
					t.Fatalf("Choice chose %q, which is not a state", next)
				}
			} else if _, ok := err.(*Error); !ok {
				t.Fatalf("Choice error %T, want *Error", err)
			}
		}
	})
}

// FuzzJSONataState runs an expression and an input through a JSONata
// state's fields as the engine does (compile at Parse, then Output,
// Assign, Condition and Items): whatever they are, nothing may panic or
// hang, and a failure is an *Error or a definition problem.
func FuzzJSONataState(f *testing.F) {
	for _, seed := range []struct{ expr, input string }{
		{"$states.input.a", `{"a":[1,2]}`},
		{"$sum($states.input.a) + 1", `{"a":[1,2]}`},
		{"$merge([$states.input, {'x': $v}])", `{}`},
		{"$states.context.Execution.Name", `null`},
		{"$f := function($x){$f($x)}; $f(1)", `{}`},
		{"[1..1000].($ * 2)", `{}`},
		{"$eval('1')", `{}`},
		{"$states.input.", `{}`},
		{"{% %}", `"x"`},
	} {
		f.Add(seed.expr, seed.input)
	}
	f.Fuzz(func(t *testing.T, expr, input string) {
		in, err := DecodeJSON([]byte(input))
		if err != nil {
			return
		}
		field, err := json.Marshal("{% " + expr + " %}")
		if err != nil {
			return
		}
		def := `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":` + string(field) +
			`,"Next":"M"}],"Default":"M"},"M":{"Type":"Map","Items":` + string(field) + `,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},` +
			`"Output":{"o":` + string(field) + `},"Assign":{"v":` + string(field) + `},"End":true}}}`
		sm, err := Parse([]byte(def))
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Parse failed without a DefinitionError: %v", err)
			}
			return
		}
		env := fuzzEnv()
		env.Input = in
		check := func(err error) {
			var ae *Error
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("not an *Error: %v", err)
			}
		}
		_, _, err = sm.States["C"].NextState(in, env)
		check(err)
		m := sm.States["M"]
		_, err = m.Items(in, env)
		check(err)
		_, err = m.EffectiveOutput(in, []any{in}, env)
		check(err)
		_, err = m.ApplyAssign([]any{in}, env)
		check(err)
	})
}
