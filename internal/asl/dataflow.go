package asl

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// MaxPayloadBytes is Step Functions' limit for state inputs and outputs (256 KiB).
const MaxPayloadBytes = 256 * 1024

// CheckSize fails with States.DataLimitExceeded when v's JSON text exceeds
// MaxPayloadBytes. what completes the cause, e.g. "The state/task 'X' returned a result".
func CheckSize(v any, what string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return newError(ErrRuntime, "cannot encode value: %v", err)
	}
	if len(b) > MaxPayloadBytes {
		return newError(ErrDataLimitExceeded, "%s with a size exceeding the maximum number of bytes service limit.", what)
	}
	return nil
}

// applyInputOutputPath applies InputPath or OutputPath (null gives {}).
func applyIOPath(p *Path, null bool, v any, env *Env) (any, error) {
	if null {
		return jsonvalue.NewObject(0), nil
	}
	if p == nil {
		return v, nil
	}
	out, err := p.Get(v, env)
	if err != nil {
		return nil, newError(ErrRuntime, "Invalid path '%s' : %s", p.text, err.Error())
	}
	return out, nil
}

// EffectiveInput applies InputPath and then Parameters (Pass, Task, Parallel;
// for Map only InputPath: the Map's Parameters are its item selector).
func (s *State) EffectiveInput(input any, env *Env) (any, error) {
	if s.jsonata() {
		return s.jsonataInput(input, env)
	}
	v, err := applyIOPath(s.InputPath, s.InputPathNull, input, env)
	if err != nil {
		return nil, err
	}
	if s.Parameters != nil && s.Type != TypeMap {
		return s.Parameters.Evaluate(v, env)
	}
	return v, nil
}

// PassResult is a Pass state's result: Result when set, else its effective input.
func (s *State) PassResult(effectiveInput any) any {
	if s.HasResult {
		return s.Result
	}
	return effectiveInput
}

// SelectResult applies ResultSelector to a raw result (Task, Map, Parallel).
func (s *State) SelectResult(result any, env *Env) (any, error) {
	if s.ResultSelector == nil || s.jsonata() {
		return result, nil
	}
	return s.ResultSelector.Evaluate(result, env)
}

// EffectiveOutput applies ResultSelector, ResultPath (against the raw state
// input) and OutputPath. Choice, Wait and Succeed have no result: pass their
// effective input as result, and only OutputPath is applied to it.
func (s *State) EffectiveOutput(stateInput, result any, env *Env) (any, error) {
	if s.jsonata() {
		return s.jsonataOutput(stateInput, result, env)
	}
	r, err := s.SelectResult(result, env)
	if err != nil {
		return nil, err
	}
	combined := r
	if s.Type != TypeChoice && s.Type != TypeWait && s.Type != TypeSucceed {
		combined, err = ApplyResultPath(s.ResultPath, s.ResultPathNull, stateInput, r)
		if err != nil {
			return nil, err
		}
	}
	return applyIOPath(s.OutputPath, s.OutputPathNull, combined, env)
}

// ApplyAssign evaluates the state's Assign against its result (after
// ResultSelector; for Choice and Wait, the state input). It returns the
// variables to set, nil when there is no Assign.
func (s *State) ApplyAssign(result any, env *Env) (map[string]any, error) {
	if s.jsonata() {
		st := JSONataStates{Input: stateInput(env)}
		if s.hasResult() {
			st.Result, st.HasResult = result, true
		}
		return jsonataAssign(s.JAssign, env, st)
	}
	return evalAssign(s.Assign, result, env)
}

func evalAssign(t *Template, v any, env *Env) (map[string]any, error) {
	if t == nil {
		return nil, nil
	}
	out, err := t.Evaluate(v, env)
	if err != nil {
		return nil, err
	}
	return variables(out), nil
}

// Variables turns an evaluated Assign object into the variables it sets
// (nil when v is not an object).
func Variables(v any) map[string]any {
	return variables(v)
}

func variables(v any) map[string]any {
	o, ok := objectOf(v)
	if !ok {
		return nil
	}
	m := make(map[string]any, o.Len())
	for i := range o.Len() {
		k, e := o.At(i)
		m[k] = e
	}
	return m
}

// ApplyResultPath places result into input at the reference path p. A nil
// path (the default "$") returns result; null discards the result. Missing
// intermediate objects are created; a non-object in the way fails with
// States.ResultPathMatchFailure.
func ApplyResultPath(p *Path, null bool, input, result any) (any, error) {
	if null {
		return input, nil
	}
	if p == nil || len(p.segs) == 0 {
		return result, nil
	}
	out, ok := setPath(input, p.segs, result)
	if !ok {
		return nil, newError(ErrResultPathMatchFailure, "Unable to apply ReferencePath %s to input %s", p.text, javaQuote(jsonText(input)))
	}
	return out, nil
}

// setPath returns a copy of v with value stored at segs, copying only the spine.
func setPath(v any, segs []segment, value any) (any, bool) {
	if len(segs) == 0 {
		return value, true
	}
	s := segs[0]
	switch s.kind {
	case segField:
		var m *jsonvalue.Object
		switch x := v.(type) {
		case *jsonvalue.Object, map[string]any:
			m, _ = objectOf(x)
		case nil:
			m = jsonvalue.NewObject(1)
		default:
			return nil, false
		}
		old, _ := m.Get(s.name)
		child, ok := setPath(old, segs[1:], value)
		if !ok {
			return nil, false
		}
		return m.With(s.name, child), true
	case segIndex:
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := s.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		c := append([]any(nil), a...)
		child, ok := setPath(c[i], segs[1:], value)
		if !ok {
			return nil, false
		}
		c[i] = child
		return c, true
	}
	return nil, false
}

// Timeout resolves TimeoutSeconds or TimeoutSecondsPath (0: none).
func (s *State) Timeout(input any, env *Env) (int64, error) {
	if s.JTimeoutSeconds != nil {
		return jsonataInt(s.JTimeoutSeconds, env, 1)
	}
	return positiveSeconds(s.TimeoutSecondsPath, int64(s.TimeoutSeconds), "TimeoutSecondsPath", input, env)
}

// Heartbeat resolves HeartbeatSeconds or HeartbeatSecondsPath (0: none).
func (s *State) Heartbeat(input any, env *Env) (int64, error) {
	if s.JHeartbeatSeconds != nil {
		return jsonataInt(s.JHeartbeatSeconds, env, 1)
	}
	return positiveSeconds(s.HeartbeatSecondsPath, int64(s.HeartbeatSeconds), "HeartbeatSecondsPath", input, env)
}

func positiveSeconds(p *Path, fixed int64, field string, input any, env *Env) (int64, error) {
	if p == nil {
		return fixed, nil
	}
	v, err := p.Get(input, env)
	if err != nil {
		return 0, newError(ErrRuntime, "Invalid path '%s' : %s", p.text, err.Error())
	}
	n, ok := v.(json.Number)
	i, isInt := int64(0), false
	if ok {
		i, isInt = numberInt(n)
	}
	if !isInt || i <= 0 {
		return 0, newError(ErrRuntime, "The %s parameter does not reference a valid positive integer: %s == %s", field, p.text, jsonText(v))
	}
	return i, nil
}

// Items resolves a Map's ItemsPath on its effective input; the result must be an array.
func (s *State) Items(effectiveInput any, env *Env) ([]any, error) {
	if s.jsonata() {
		return s.jsonataItems(effectiveInput, env)
	}
	v := effectiveInput
	if s.ItemsPath != nil {
		var err error
		v, err = s.ItemsPath.Get(effectiveInput, env)
		if err != nil {
			return nil, newError(ErrRuntime, "Invalid path '%s' : %s", s.ItemsPath.text, err.Error())
		}
	}
	a, ok := v.([]any)
	if !ok {
		return nil, newError(ErrRuntime, "Map state input must be an array but was: %s", jsonText(v))
	}
	return a, nil
}

// ItemInput builds the input of Map iteration index: ItemSelector (or the
// legacy Parameters) evaluated with $$.Map.Item.Index and .Value set; without
// a selector, the item itself.
func (s *State) ItemInput(effectiveInput any, index int, item any, env *Env) (any, error) {
	if s.jsonata() {
		return s.jsonataItemInput(effectiveInput, index, item, env)
	}
	sel := s.ItemSelector
	if sel == nil {
		sel = s.Parameters
	}
	if sel == nil {
		return item, nil
	}
	ctx := mapItemContext(env, index, item)
	itemEnv := &Env{Context: ctx}
	if env != nil {
		itemEnv.Vars = env.Vars
	}
	return sel.Evaluate(effectiveInput, itemEnv)
}

// mapItemContext is the context object of a Map iteration: the state's,
// with Map.Item.Index and Map.Item.Value.
func mapItemContext(env *Env, index int, item any) *jsonvalue.Object {
	it := jsonvalue.NewObject(2)
	it.Set("Index", json.Number(strconv.Itoa(index)))
	it.Set("Value", item)
	m := jsonvalue.NewObject(1)
	m.Set("Item", it)
	if c, ok := objectOf(envContext(env)); ok {
		return c.With("Map", m)
	}
	ctx := jsonvalue.NewObject(1)
	ctx.Set("Map", m)
	return ctx
}

func envContext(env *Env) any {
	if env == nil {
		return nil
	}
	return env.context()
}

// Concurrency resolves MaxConcurrency or MaxConcurrencyPath (0: unlimited).
func (s *State) Concurrency(input any, env *Env) (int, error) {
	if s.JMaxConcurrency != nil {
		n, err := jsonataInt(s.JMaxConcurrency, env, 0)
		return int(min(n, math.MaxInt32)), err
	}
	if s.MaxConcurrencyPath == nil {
		return s.MaxConcurrency, nil
	}
	v, err := s.MaxConcurrencyPath.Get(input, env)
	if err != nil {
		return 0, newError(ErrRuntime, "Invalid path '%s' : %s", s.MaxConcurrencyPath.text, err.Error())
	}
	var i int64
	ok := false
	switch x := v.(type) {
	case json.Number:
		i, ok = numberInt(x)
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			i, ok = n, true
		}
	}
	if !ok || i < 0 {
		return 0, newError(ErrRuntime, "The MaxConcurrencyPath field refers to value %s which is not a valid integer: %s", quoteForCause(v), s.MaxConcurrencyPath.text)
	}
	return int(i), nil
}

// quoteForCause renders a value inside causes as AWS does: strings quoted,
// other values as JSON text, quoted too (AWS prints "{}" for an object).
func quoteForCause(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return strconv.Quote(jsonText(v))
}

// MatchRetrier returns the first retrier matching errName, or nil.
func (s *State) MatchRetrier(errName string) *Retrier {
	for _, r := range s.Retry {
		if ErrorMatches(r.ErrorEquals, errName) {
			return r
		}
	}
	return nil
}

// MatchCatcher returns the first catcher matching errName, or nil.
func (s *State) MatchCatcher(errName string) *Catcher {
	for _, c := range s.Catch {
		if ErrorMatches(c.ErrorEquals, errName) {
			return c
		}
	}
	return nil
}

// ErrorMatches implements ErrorEquals: an exact name, or States.ALL (every
// error except the terminal States.Runtime and States.DataLimitExceeded), or
// States.TaskFailed (the same, and not States.Timeout either).
func ErrorMatches(errorEquals []string, errName string) bool {
	for _, e := range errorEquals {
		switch {
		case e == errName:
			return true
		case e == ErrAll:
			if errName != ErrRuntime && errName != ErrDataLimitExceeded {
				return true
			}
		case e == ErrTaskFailed:
			if errName != ErrTimeout && errName != ErrRuntime && errName != ErrDataLimitExceeded {
				return true
			}
		}
	}
	return false
}

// CanRetry reports whether retry number attempt (0-based count of retries
// already made) is allowed.
func (r *Retrier) CanRetry(attempt int) bool { return attempt < r.MaxAttempts }

// Delay is the wait before retry number attempt (0-based): IntervalSeconds *
// BackoffRate^attempt, capped by MaxDelaySeconds, then with JitterStrategy
// FULL a uniform random fraction of that (rnd may be nil for NONE).
func (r *Retrier) Delay(attempt int, rnd *rand.Rand) time.Duration {
	d := float64(r.IntervalSeconds)
	for i := 0; i < attempt; i++ {
		d *= r.BackoffRate
		if r.MaxDelaySeconds > 0 && d > float64(r.MaxDelaySeconds) {
			break
		}
	}
	if r.MaxDelaySeconds > 0 && d > float64(r.MaxDelaySeconds) {
		d = float64(r.MaxDelaySeconds)
	}
	if r.JitterStrategy == "FULL" && rnd != nil {
		d *= rnd.Float64()
	}
	return time.Duration(d * float64(time.Second))
}

// ErrorOutput is the value a Catcher passes on: {"Error": ..., "Cause": ...}.
func ErrorOutput(e *Error) *jsonvalue.Object {
	o := jsonvalue.NewObject(2)
	o.Set("Error", e.Name)
	o.Set("Cause", e.Cause)
	return o
}

// Output applies the catcher's ResultPath to the state input and the error output.
func (c *Catcher) Output(stateInput any, e *Error) (any, error) {
	return ApplyResultPath(c.ResultPath, c.ResultPathNull, stateInput, ErrorOutput(e))
}

// ApplyAssign evaluates the catcher's Assign against the error output.
func (c *Catcher) ApplyAssign(errOutput any, env *Env) (map[string]any, error) {
	return evalAssign(c.Assign, errOutput, env)
}

// javaQuote quotes s the way AWS's (Java) messages embed JSON text: in double
// quotes, with backslashes and quotes escaped.
func javaQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// AfterInputPath is a JSONPath state's input after InputPath alone (the
// TestState API shows each step of EffectiveInput apart).
func (s *State) AfterInputPath(input any, env *Env) (any, error) {
	return applyIOPath(s.InputPath, s.InputPathNull, input, env)
}

// AfterParameters applies Parameters (a Map's item selector excepted) to
// the input after InputPath: the second step of EffectiveInput.
func (s *State) AfterParameters(afterInputPath any, env *Env) (any, error) {
	if s.Parameters != nil && s.Type != TypeMap {
		return s.Parameters.Evaluate(afterInputPath, env)
	}
	return afterInputPath, nil
}

// AfterResultPath applies ResultPath to the raw state input and the
// selected result: the step of EffectiveOutput before OutputPath.
func (s *State) AfterResultPath(stateInput, selected any) (any, error) {
	return ApplyResultPath(s.ResultPath, s.ResultPathNull, stateInput, selected)
}

// ApplyOutputPath applies OutputPath: the last step of EffectiveOutput.
func (s *State) ApplyOutputPath(v any, env *Env) (any, error) {
	return applyIOPath(s.OutputPath, s.OutputPathNull, v, env)
}
