package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/jsonata"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// JSONata states (QueryLanguage JSONata) carry their fields as JValues: JSON
// in which every string of the form "{% expression %}" is a JSONata
// expression. The expressions see no input ($ is undefined, as on AWS), the
// $states variable (input, context, and where the field has them, result
// and errorOutput) and the state machine's variables as $name.

// JValue is the value of one field of a JSONata state, compiled.
type JValue struct {
	field string // the field's name, e.g. Output, Assign, Items
	root  jnode
	// hasExpr tells whether any expression is inside; a JValue without is
	// its literal.
	hasExpr bool
	// context tells whether an expression may read $states.context: only
	// then is the context object made.
	context bool
	// vars are the variable names the expressions mention: only those are
	// handed to the evaluator.
	vars []string
}

type jnode struct {
	kind    int // tmplLiteral, tmplExpr, tmplObject or tmplArray
	literal any
	expr    *jsonata.Expr
	src     string // the expression as AWS quotes it in causes
	loc     string // the field path, e.g. Output/result
	keys    []string
	items   []jnode // object values (by keys) or array items
}

// Field returns the name of the field the value was written in.
func (j *JValue) Field() string { return j.field }

// Literal returns the value when it holds no expression.
func (j *JValue) Literal() (any, bool) {
	if j.hasExpr {
		return nil, false
	}
	return j.root.literal, true
}

// isJSONataString tells whether s is an expression: {% and %} around it.
func isJSONataString(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// jsonataProblem is an expression that does not compile.
type jsonataProblem struct {
	loc  string // relative to the field, e.g. "" or "/result"
	code string
	msg  string
}

var varRef = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*`)

// compileJValue compiles a JSONata field value. keys gives an object's keys
// in document order by JSON pointer relative to the field ("" for the
// field itself).
func compileJValue(field string, v any, keys func(ptr string, m map[string]any) []string) (*JValue, []jsonataProblem) {
	j := &JValue{field: field}
	var problems []jsonataProblem
	vars := map[string]bool{}
	var build func(v any, ptr, loc string) jnode
	build = func(v any, ptr, loc string) jnode {
		switch x := v.(type) {
		case string:
			if !isJSONataString(x) {
				return jnode{kind: tmplLiteral, literal: x}
			}
			src := strings.TrimSpace(x[2 : len(x)-2])
			e, err := jsonata.Compile(src)
			if err != nil {
				var je *jsonata.Error
				if errors.As(err, &je) {
					problems = append(problems, jsonataProblem{loc: ptr, code: CodeInvalidJSONataExpression, msg: je.Message})
				} else {
					problems = append(problems, jsonataProblem{loc: ptr, code: CodeInvalidJSONataExpression, msg: err.Error()})
				}
				return jnode{kind: tmplLiteral, literal: x}
			}
			if refs, err := e.TopLevelReferences(); err == nil {
				// As AWS: expressions have no root context.
				for _, name := range refs {
					problems = append(problems, jsonataProblem{loc: ptr, code: CodeUnsupportedJSONataExpression,
						msg: fmt.Sprintf("Reference to '%s' at the top level is not supported.", name)})
				}
			}
			j.hasExpr = true
			if usesContext(src) {
				j.context = true
			}
			for _, m := range varRef.FindAllString(src, -1) {
				if m != "$states" {
					vars[m[1:]] = true
				}
			}
			return jnode{kind: tmplExpr, expr: e, src: src, loc: loc}
		case map[string]any:
			n := jnode{kind: tmplObject, keys: keys(ptr, x)}
			for _, k := range n.keys {
				n.items = append(n.items, build(x[k], ptr+"/"+k, loc+"/"+k))
			}
			return n
		case []any:
			n := jnode{kind: tmplArray}
			for i, e := range x {
				n.items = append(n.items, build(e, ptr+"/"+strconv.Itoa(i), fmt.Sprintf("%s[%d]", loc, i)))
			}
			return n
		}
		return jnode{kind: tmplLiteral, literal: orderedLiteral(v, ptr, keysFunc(keys))}
	}
	j.root = build(v, "", field)
	if !j.hasExpr {
		j.root = jnode{kind: tmplLiteral, literal: orderedLiteral(v, "", keysFunc(keys))}
	}
	for k := range vars {
		j.vars = append(j.vars, k)
	}
	sort.Strings(j.vars)
	return j, problems
}

// keysFunc is a key order given as a function.
type keysFunc func(ptr string, m map[string]any) []string

func (f keysFunc) keysAt(ptr string, m map[string]any) []string { return f(ptr, m) }

// statesFieldRef matches the $states fields that never reach the context.
var statesFieldRef = regexp.MustCompile(`\$states\.(input|result|errorOutput)\b`)

// usesContext tells whether src may read $states.context: it mentions
// $states other than as $states.input, .result or .errorOutput.
func usesContext(src string) bool {
	return strings.Contains(statesFieldRef.ReplaceAllString(src, ""), "$states")
}

// JSONataStates is what $states holds besides the context: the state's
// input and, for the fields that have them, its result or error output.
type JSONataStates struct {
	Input          any
	Result         any
	HasResult      bool
	ErrorOutput    any
	HasErrorOutput bool
}

// Evaluate evaluates the value. Failures are *Error
// States.QueryEvaluationError with AWS's causes, Location set.
func (j *JValue) Evaluate(env *Env, st JSONataStates) (any, error) {
	if !j.hasExpr {
		return j.root.literal, nil
	}
	b := j.bindings(env, st)
	return j.root.eval(b)
}

func (j *JValue) bindings(env *Env, st JSONataStates) map[string]any {
	states := make(map[string]any, 4)
	states["input"] = st.Input
	if st.HasResult {
		states["result"] = st.Result
	}
	if st.HasErrorOutput {
		states["errorOutput"] = st.ErrorOutput
	}
	if j.context && env != nil {
		if c := env.context(); c != nil {
			states["context"] = c
		}
	}
	b := make(map[string]any, len(j.vars)+1)
	b["states"] = states
	if env != nil {
		for _, name := range j.vars {
			if v, ok := env.Vars[name]; ok {
				b[name] = v
			}
		}
	}
	return b
}

func (n *jnode) eval(b map[string]any) (any, error) {
	switch n.kind {
	case tmplLiteral:
		return n.literal, nil
	case tmplExpr:
		v, err := n.expr.Eval(context.Background(), jsonata.Undefined, b)
		if err != nil {
			var je *jsonata.Error
			if errors.As(err, &je) {
				return nil, n.fail("threw an error during evaluation. %s: %s", je.Code, je.Message)
			}
			return nil, n.fail("threw an error during evaluation. %s", err.Error())
		}
		switch v.(type) {
		case jsonata.Function:
			return nil, n.fail("returned an unsupported result type.")
		}
		if v == jsonata.Undefined {
			return nil, n.fail("returned nothing (undefined).")
		}
		return v, nil
	case tmplObject:
		m := jsonvalue.NewObject(len(n.keys))
		for i, k := range n.keys {
			v, err := n.items[i].eval(b)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case tmplArray:
		a := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(b)
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	return nil, nil
}

func (n *jnode) fail(format string, args ...any) *Error {
	return &Error{Name: ErrQueryEvaluationError, Location: n.loc,
		Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' ", n.src, n.loc) + fmt.Sprintf(format, args...)}
}

// typeError is a result of the wrong type for the field.
func (j *JValue) typeError(v any, want string) *Error {
	if j.root.kind == tmplExpr {
		return &Error{Name: ErrQueryEvaluationError, Location: j.field,
			Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected '%s', but was '%s' for value: %s", j.root.src, j.field, want, jsonTypeName(v), jsonText(v))}
	}
	return &Error{Name: ErrQueryEvaluationError, Location: j.field,
		Cause: fmt.Sprintf("The field '%s' has an unexpected type. Expected '%s', but was '%s' for value: %s", j.field, want, jsonTypeName(v), jsonText(v))}
}

// jsonata reports whether the state uses JSONata.
func (s *State) jsonata() bool { return s.QueryLanguage == "JSONata" }

// IsJSONata reports whether the state's QueryLanguage is JSONata.
func (s *State) IsJSONata() bool { return s.jsonata() }

// stateInput is the raw state input the engine put in env.
func stateInput(env *Env) any {
	if env == nil {
		return nil
	}
	return env.Input
}

// hasResult tells whether the state type produces a result ($states.result).
func (s *State) hasResult() bool {
	return s.Type == TypeTask || s.Type == TypeMap || s.Type == TypeParallel
}

// jsonataInput is a JSONata state's effective input: Arguments for Task and
// Parallel (the raw input without), the raw input otherwise.
func (s *State) jsonataInput(input any, env *Env) (any, error) {
	if s.Arguments == nil || (s.Type != TypeTask && s.Type != TypeParallel) {
		return input, nil
	}
	return s.Arguments.Evaluate(env, JSONataStates{Input: input})
}

// jsonataOutput is a JSONata state's output: Output evaluated with the
// result, or without Output the result (Task, Map, Parallel) or the raw
// input (the others).
func (s *State) jsonataOutput(input, result any, env *Env) (any, error) {
	st := JSONataStates{Input: input}
	def := input
	if s.hasResult() {
		st.Result, st.HasResult, def = result, true, result
	}
	if s.Output == nil {
		return def, nil
	}
	return s.Output.Evaluate(env, st)
}

// jsonataAssign evaluates a JSONata Assign (an object of variables).
func jsonataAssign(a *JValue, env *Env, st JSONataStates) (map[string]any, error) {
	if a == nil {
		return nil, nil
	}
	v, err := a.Evaluate(env, st)
	if err != nil {
		return nil, err
	}
	return variables(v), nil
}

// JSONataChoice evaluates a JSONata Choice state's rules against its raw
// input: the next state, and the matched rule's (else the state's) Output
// and Assign evaluated.
func (s *State) JSONataChoice(env *Env) (next string, out any, vars map[string]any, err error) {
	input := stateInput(env)
	st := JSONataStates{Input: input}
	outputV, assignV := s.Output, s.JAssign
	next = ""
	for _, r := range s.Choices {
		v, err := r.Condition.Evaluate(env, st)
		if err != nil {
			return "", nil, nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return "", nil, nil, r.Condition.typeError(v, "boolean")
		}
		if b {
			next = r.Next
			if r.Output != nil {
				outputV = r.Output
			}
			if r.JAssign != nil {
				assignV = r.JAssign
			}
			break
		}
	}
	if next == "" {
		if s.Default == "" {
			return "", nil, nil, newError(ErrNoChoiceMatched, "No Matches!")
		}
		next = s.Default
	}
	out = input
	if outputV != nil {
		if out, err = outputV.Evaluate(env, st); err != nil {
			return "", nil, nil, err
		}
	}
	vars, err = jsonataAssign(assignV, env, st)
	if err != nil {
		return "", nil, nil, err
	}
	return next, out, vars, nil
}

// jsonataInt evaluates an integer field (Seconds, TimeoutSeconds,
// HeartbeatSeconds, MaxConcurrency, ToleratedFailureCount).
func jsonataInt(j *JValue, env *Env, minimum int64) (int64, error) {
	v, err := j.Evaluate(env, JSONataStates{Input: stateInput(env)})
	if err != nil {
		return 0, err
	}
	n, ok := v.(json.Number)
	var i int64
	if ok {
		i, ok = numberInt(n)
	}
	if !ok {
		return 0, j.typeError(v, "integer")
	}
	if i < minimum {
		return 0, &Error{Name: ErrQueryEvaluationError, Location: j.field,
			Cause: fmt.Sprintf("The %s field must be at least %d, but was: %s", j.field, minimum, jsonText(v))}
	}
	return i, nil
}

// jsonataUntil is a JSONata Wait state's end.
func (s *State) jsonataUntil(env *Env, now time.Time) (time.Time, error) {
	switch {
	case s.WaitSeconds != nil:
		i, err := jsonataInt(s.WaitSeconds, env, 0)
		if err != nil {
			return time.Time{}, err
		}
		if i > maxWaitSeconds {
			return time.Time{}, newError(ErrRuntime, "Wait state delay is too long.")
		}
		return now.Add(time.Duration(i) * time.Second), nil
	case s.WaitTimestamp != nil:
		v, err := s.WaitTimestamp.Evaluate(env, JSONataStates{Input: stateInput(env)})
		if err != nil {
			return time.Time{}, err
		}
		t, shown, ok := timestampOf(v)
		if !ok {
			return time.Time{}, &Error{Name: ErrQueryEvaluationError, Location: "Timestamp",
				Cause: "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: " + shown}
		}
		return waitUntil(t, now)
	}
	return now, nil
}

// jsonataString evaluates a string field (Fail's Error and Cause).
func jsonataString(j *JValue, env *Env) (string, error) {
	if j == nil {
		return "", nil
	}
	v, err := j.Evaluate(env, JSONataStates{Input: stateInput(env)})
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", j.typeError(v, "string")
	}
	return s, nil
}

// jsonataItems is a JSONata Map state's items: Items, or the raw input.
func (s *State) jsonataItems(input any, env *Env) ([]any, error) {
	if s.JItems == nil {
		a, ok := input.([]any)
		if !ok {
			return nil, &Error{Name: ErrQueryEvaluationError, Cause: "Map state input must be an array but was: " + jsonText(input)}
		}
		return a, nil
	}
	v, err := s.JItems.Evaluate(env, JSONataStates{Input: input})
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, s.JItems.typeError(v, "array")
	}
	return a, nil
}

// jsonataItemInput is one Map iteration's input: ItemSelector evaluated
// with $states.context.Map.Item set, or the item.
func (s *State) jsonataItemInput(input any, index int, item any, env *Env) (any, error) {
	if s.JItemSelector == nil {
		return item, nil
	}
	ctx := mapItemContext(env, index, item)
	itemEnv := &Env{Context: ctx, Input: input}
	if env != nil {
		itemEnv.Vars = env.Vars
	}
	return s.JItemSelector.Evaluate(itemEnv, JSONataStates{Input: input})
}

// jsonataCatch is a JSONata catcher's output and variables: Output
// (default: the error output) and Assign, both seeing $states.errorOutput.
func (c *Catcher) jsonataCatch(env *Env, e *Error) (any, map[string]any, error) {
	eo := ErrorOutput(e)
	st := JSONataStates{Input: stateInput(env), ErrorOutput: eo, HasErrorOutput: true}
	var out any = eo
	if c.JOutput != nil {
		v, err := c.JOutput.Evaluate(env, st)
		if err != nil {
			return nil, nil, err
		}
		out = v
	}
	vars, err := jsonataAssign(c.JAssign, env, st)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

// CatchOutput is a catcher's output and the variables it assigns, in either
// query language: JSONPath's ResultPath and Assign, or JSONata's Output and
// Assign.
func (c *Catcher) CatchOutput(stateInput any, e *Error, env *Env, jsonataState bool) (any, map[string]any, error) {
	if jsonataState {
		return c.jsonataCatch(env, e)
	}
	out, err := c.Output(stateInput, e)
	if err != nil {
		return nil, nil, err
	}
	vars, err := c.ApplyAssign(ErrorOutput(e), env)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

// PassesInputThrough reports whether a JSONata state's output is always its
// raw input when it succeeds: a Succeed, Choice or Wait state without any
// Output.
func (s *State) PassesInputThrough() bool {
	switch s.Type {
	case TypeSucceed, TypeWait:
		return s.Output == nil
	case TypeChoice:
		if s.Output != nil {
			return false
		}
		for _, r := range s.Choices {
			if r.Output != nil {
				return false
			}
		}
		return true
	}
	return false
}
