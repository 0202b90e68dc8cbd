package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Parse parses and validates a definition. An invalid definition yields a
// *DefinitionError carrying AWS's diagnostics.
func Parse(definition []byte) (*StateMachine, error) {
	trimmed := bytes.TrimSpace(definition)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if len(trimmed) > 0 && json.Valid(trimmed) || len(trimmed) == 0 {
			return nil, &DefinitionError{Problems: []Problem{{Code: CodeSchemaValidationFailed, Message: "Definition must be a valid JSON object"}}}
		}
	}
	v, err := decodeDefinition(definition)
	if err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSON, Message: err.Error()}}}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeSchemaValidationFailed, Message: "Definition must be a valid JSON object"}}}
	}
	p := &parser{}
	p.order, p.dups = keyOrder(definition)
	for _, d := range p.dups {
		p.add(CodeSchemaValidationFailed, d, "Duplicate field name")
	}
	ql, _ := root["QueryLanguage"].(string)
	sm := p.machine(root, "", "", true, ql == "JSONata")
	if len(p.problems) > 0 {
		return nil, &DefinitionError{Problems: p.problems}
	}
	return sm, nil
}

type parser struct {
	problems []Problem
	order    map[string][]string
	dups     []string
}

func (p *parser) add(code, loc, format string, args ...any) {
	if loc == "" {
		loc = "/"
	}
	p.problems = append(p.problems, Problem{Code: code, Location: loc, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) schema(loc, format string, args ...any) {
	p.add(CodeSchemaValidationFailed, loc, format, args...)
}

// locationIndex is an array index in a location, e.g. [0] in Branches[0].
var locationIndex = regexp.MustCompile(`\[(\d+)\]`)

// prefixedOrder gives a definition's key order below the pointer prefix.
type prefixedOrder struct {
	p      *parser
	prefix string
}

func (o prefixedOrder) keysAt(ptr string, m map[string]any) []string {
	return o.p.keys(o.prefix+ptr, m)
}

// keys returns an object's keys in document order.
func (p *parser) keys(ptr string, m map[string]any) []string {
	if strings.Contains(ptr, "[") {
		// Locations name array items as Branches[0]; pointers as /0.
		ptr = locationIndex.ReplaceAllString(ptr, "/$1")
	}
	if ks, ok := p.order[ptr]; ok && len(ks) == len(m) {
		return ks
	}
	return sortedKeys(m)
}

var machineFields = map[string]bool{"Comment": true, "StartAt": true, "States": true, "TimeoutSeconds": true, "Version": true, "QueryLanguage": true}
var processorFields = map[string]bool{"Comment": true, "StartAt": true, "States": true, "ProcessorConfig": true}

// jsonataOnlyFields exist only in JSONata states; AWS names them on a JSONPath state.
var jsonataOnlyFields = []string{"Output", "Arguments", "Items"}

// Messages AWS uses for type and range problems.
func expectedType(kind string) string { return "Expected value of type [" + kind + "]" }

const queryLanguageEnum = "Value should be one of the following: [JSONPath, JSONata]"

// machine parses a state machine object at ptr (the top level, a branch or
// an item processor). kind is "", "branch" or "processor".
func (p *parser) machine(m map[string]any, ptr, kind string, top, jsonata bool) *StateMachine {
	sm := &StateMachine{QueryLanguage: "JSONPath"}
	allowed := machineFields
	if kind == "processor" {
		allowed = processorFields
	} else if !top {
		allowed = map[string]bool{"Comment": true, "StartAt": true, "States": true}
	}
	var missing []string
	if _, ok := m["States"]; !ok {
		missing = append(missing, "States")
	}
	if _, ok := m["StartAt"]; !ok {
		missing = append(missing, "StartAt")
	}
	if len(missing) > 0 {
		p.schema(ptr, "These fields are required: [%s]", strings.Join(missing, ", "))
	}
	for _, k := range p.keys(ptr, m) {
		if !allowed[k] {
			p.schema(ptr, "Field '%s' is not supported", k)
		}
	}
	sm.Comment = p.optStr(m, "Comment", ptr)
	if v, ok := m["Version"]; ok {
		sm.Version = p.str(v, ptr+"/Version", "Version")
	}
	if v, ok := m["QueryLanguage"]; ok && top {
		sm.QueryLanguage = p.queryLanguage(v, ptr, false)
		if sm.QueryLanguage == "JSONata" {
			jsonata = true
		}
	}
	if jsonata {
		sm.QueryLanguage = "JSONata"
	}
	if v, ok := m["TimeoutSeconds"]; ok && top {
		sm.TimeoutSeconds = p.posInt(v, ptr+"/TimeoutSeconds", "TimeoutSeconds")
	}
	if kind == "processor" {
		sm.ProcessorMode = "INLINE"
		if pc, ok := m["ProcessorConfig"]; ok {
			pcm, ok := pc.(map[string]any)
			if !ok {
				p.schema(ptr+"/ProcessorConfig", "%s", expectedType("OBJECT"))
			} else {
				if mode, ok := pcm["Mode"]; ok {
					sm.ProcessorMode = p.str(mode, ptr+"/ProcessorConfig/Mode", "Mode")
					if sm.ProcessorMode != "INLINE" && sm.ProcessorMode != "DISTRIBUTED" {
						p.schema(ptr+"/ProcessorConfig/Mode", "Value should be one of the following: [INLINE, DISTRIBUTED]")
					}
				}
				if et, ok := pcm["ExecutionType"]; ok {
					sm.ExecutionType = p.str(et, ptr+"/ProcessorConfig/ExecutionType", "ExecutionType")
				}
			}
		}
	}
	if v, ok := m["StartAt"]; ok {
		sm.StartAt = p.str(v, ptr+"/StartAt", "StartAt")
	}
	statesV, ok := m["States"]
	if !ok {
		return sm
	}
	states, ok := statesV.(map[string]any)
	if !ok {
		p.schema(ptr+"/States", "%s", expectedType("OBJECT"))
		return sm
	}
	before := len(p.problems)
	sm.States = make(map[string]*State, len(states))
	sm.StateNames = p.keys(ptr+"/States", states)
	if len(states) == 0 {
		p.schema(ptr+"/States", "At least one state is required")
	}
	for _, name := range sm.StateNames {
		sp := ptr + "/States/" + name
		if len(name) > 80 {
			p.schema(sp, "State name must be at most 80 characters")
		}
		obj, ok := states[name].(map[string]any)
		if !ok {
			p.schema(sp, "%s", expectedType("OBJECT"))
			continue
		}
		if st := p.state(name, obj, sp, jsonata); st != nil {
			sm.States[name] = st
		}
	}
	// The graph checks need every state's transitions: skip the reachability
	// and end-state ones when a state of this container failed its own checks.
	p.transitions(sm, ptr, top, len(p.problems) == before)
	return sm
}

// queryLanguage checks a QueryLanguage field at ptr and returns the language
// in effect. A value outside the enum is reported; AWS then treats the state
// as JSONata, which this package refuses anyway, so it is reported once.
func (p *parser) queryLanguage(v any, ptr string, parentJSONata bool) string {
	s, ok := v.(string)
	switch {
	case !ok:
		p.schema(ptr+"/QueryLanguage", "%s", expectedType("STRING"))
		return "invalid"
	case s != "JSONPath" && s != "JSONata":
		p.schema(ptr+"/QueryLanguage", "%s", queryLanguageEnum)
		return "invalid"
	}
	if parentJSONata && s == "JSONPath" {
		p.schema(ptr, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
	}
	return s
}

// transitions checks StartAt and every Next target of one container (the
// top level, a branch or an item processor), then reachability, as AWS does:
// missing targets first, then unreachable states (both MISSING_TRANSITION_TARGET).
// At the top level, a machine without any terminal state is MISSING_END_STATE,
// which replaces the reachability report.
func (p *parser) transitions(sm *StateMachine, ptr string, top, statesValid bool) {
	if sm.States == nil {
		return
	}
	// Targets are checked against every declared name, so a state that failed
	// its own checks is not reported again as a missing target.
	declared := make(map[string]bool, len(sm.StateNames))
	for _, n := range sm.StateNames {
		declared[n] = true
	}
	if sm.StartAt != "" && !declared[sm.StartAt] {
		p.add(CodeMissingTransitionTarget, ptr+"/StartAt", "Missing 'Next' target: %s", sm.StartAt)
	}
	terminal := false
	for _, name := range sm.StateNames {
		st := sm.States[name]
		if st == nil {
			terminal = true // unknown shape: do not claim the machine has no end
			continue
		}
		if st.End || st.Type == TypeSucceed || st.Type == TypeFail {
			terminal = true
		}
		sp := ptr + "/States/" + name
		check := func(target, loc string) {
			if target != "" && !declared[target] {
				p.add(CodeMissingTransitionTarget, loc, "Missing 'Next' target: %s", target)
			}
		}
		check(st.Next, sp+"/Next")
		for i, r := range st.Choices {
			check(r.Next, fmt.Sprintf("%s/Choices[%d]/Next", sp, i))
		}
		check(st.Default, sp+"/Default")
		for i, c := range st.Catch {
			check(c.Next, fmt.Sprintf("%s/Catch[%d]/Next", sp, i))
		}
	}
	if !statesValid || sm.StartAt == "" {
		return
	}
	if top && !terminal {
		p.problems = append(p.problems, Problem{Code: CodeMissingEndState, Message: "Workflow has no terminal state"})
		return
	}
	seen := map[string]bool{}
	queue := []string{sm.StartAt}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		st, ok := sm.States[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		queue = append(queue, st.Next, st.Default)
		for _, r := range st.Choices {
			queue = append(queue, r.Next)
		}
		for _, c := range st.Catch {
			queue = append(queue, c.Next)
		}
	}
	for _, name := range sm.StateNames {
		if !seen[name] && sm.States[name] != nil {
			p.add(CodeMissingTransitionTarget, ptr+"/States/"+name, "State \"%s\" is not reachable.", name)
		}
	}
}

// fields allowed per state type (besides Type, Comment, QueryLanguage).
var stateFields = map[StateType][]string{
	TypePass:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign"},
	TypeTask:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Retry", "Catch", "Assign"},
	TypeChoice:   {"Choices", "Default", "InputPath", "OutputPath", "Assign"},
	TypeWait:     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
	TypeSucceed:  {"InputPath", "OutputPath"},
	TypeFail:     {"Error", "ErrorPath", "Cause", "CausePath"},
	TypeParallel: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch", "Assign"},
	TypeMap:      {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ItemReader", "ResultWriter", "ItemBatcher", "Label", "Retry", "Catch", "Assign"},
}

func (p *parser) state(name string, m map[string]any, sp string, jsonata bool) *State {
	st := &State{Name: name, QueryLanguage: "JSONPath"}
	tv, ok := m["Type"]
	if !ok {
		p.schema(sp, "These fields are required: [Type]")
		return nil
	}
	ts, _ := tv.(string)
	st.Type = StateType(ts)
	allowed, ok := stateFields[st.Type]
	if !ok {
		p.schema(sp+"/Type", "Value should be one of the following: [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]")
		return nil
	}
	if v, ok := m["QueryLanguage"]; ok {
		st.QueryLanguage = p.queryLanguage(v, sp, jsonata)
	} else if jsonata {
		st.QueryLanguage = "JSONata"
	}
	switch st.QueryLanguage {
	case "JSONata":
		p.jsonataState(st, m, sp, jsonata)
		return st
	case "invalid":
		return nil
	}
	allow := map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}
	for _, f := range allowed {
		allow[f] = true
	}
	jsonataOnly := map[string]bool{}
	for _, f := range jsonataOnlyFields {
		if _, ok := m[f]; ok {
			jsonataOnly[f] = true
			p.schema(sp, "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage", f)
		}
	}
	for _, k := range p.keys(sp, m) {
		if !allow[k] && !jsonataOnly[k] {
			p.schema(sp, "Field '%s' is not supported", k)
		}
	}
	st.Comment = p.optStr(m, "Comment", sp)
	p.nextOrEnd(st, m, sp, allow["Next"])
	// Paths and templates.
	st.InputPath, st.InputPathNull = p.ioPath(m, "InputPath", sp)
	st.OutputPath, st.OutputPathNull = p.ioPath(m, "OutputPath", sp)
	if allow["ResultPath"] {
		st.ResultPath, st.ResultPathNull = p.resultPath(m, "ResultPath", sp)
	}
	st.Parameters = p.template(m, "Parameters", sp)
	st.ResultSelector = p.template(m, "ResultSelector", sp)
	st.Assign = p.assign(m, sp)
	if r, ok := m["Result"]; ok {
		st.Result, st.HasResult = orderedLiteral(r, sp+"/Result", prefixedOrder{p, ""}), true
	}
	st.Retry = p.retriers(m, sp)
	st.Catch = p.catchers(m, sp)
	switch st.Type {
	case TypeTask:
		p.task(st, m, sp)
	case TypeChoice:
		p.choice(st, m, sp)
	case TypeWait:
		p.wait(st, m, sp)
	case TypeFail:
		p.fail(st, m, sp)
	case TypeParallel:
		p.parallel(st, m, sp, jsonata)
	case TypeMap:
		p.mapState(st, m, sp, jsonata)
	}
	return st
}

func (p *parser) str(v any, loc, field string) string {
	s, ok := v.(string)
	if !ok {
		p.schema(loc, "%s", expectedType("STRING"))
	}
	return s
}

// optStr returns the string field f of the object m at loc, "" when m has
// none.
func (p *parser) optStr(m map[string]any, f, loc string) string {
	v, ok := m[f]
	if !ok {
		return ""
	}
	return p.str(v, loc+"/"+f, f)
}

// requiredStr returns the string field f of the object m at loc, reporting
// it missing when m has none.
func (p *parser) requiredStr(m map[string]any, f, loc string) string {
	v, ok := m[f]
	if !ok {
		p.schema(loc, "These fields are required: [%s]", f)
		return ""
	}
	return p.str(v, loc+"/"+f, f)
}

func (p *parser) posInt(v any, loc, field string) int { return p.intMin(v, loc, 1) }

func (p *parser) nonNegInt(v any, loc, field string) int { return p.intMin(v, loc, 0) }

// intMin checks an integer field with a minimum; values beyond int32 are
// accepted and capped, as AWS accepts them.
func (p *parser) intMin(v any, loc string, minimum int64) int {
	n, ok := v.(json.Number)
	i, isInt := int64(0), false
	if ok {
		i, isInt = numberInt(n)
		if !isInt && !containsFraction(string(n)) {
			i, isInt = math.MaxInt64, true // larger than int64
		}
	}
	if !isInt {
		p.schema(loc, "%s", expectedType("INTEGER"))
		return 0
	}
	if i < minimum {
		p.schema(loc, "Minimum value is %d", minimum)
		return 0
	}
	return int(min(i, math.MaxInt32))
}

// path compiles a JSONPath field value (a string) at loc.
func (p *parser) path(v any, field, loc string) *Path {
	s, ok := v.(string)
	if !ok {
		p.schema(loc, "The value for the field '%s' must be a STRING that contains a JSONPath", field)
		return nil
	}
	if !strings.HasPrefix(s, "$") {
		p.schema(loc, "Value is not a Reference Path: Reference path didn't start with '$'")
		return nil
	}
	path, err := ParsePath(s)
	if err != nil {
		p.schema(loc, "The value for the field '%s' must be a valid JSONPath", field)
		return nil
	}
	return path
}

func (p *parser) optPath(m map[string]any, field, sp string) *Path {
	v, ok := m[field]
	if !ok {
		return nil
	}
	return p.path(v, field, sp+"/"+field)
}

func (p *parser) ioPath(m map[string]any, field, sp string) (*Path, bool) {
	v, ok := m[field]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	return p.path(v, field, sp+"/"+field), false
}

func (p *parser) resultPath(m map[string]any, field, sp string) (*Path, bool) {
	v, ok := m[field]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	path := p.path(v, field, sp+"/"+field)
	if path != nil && (path.root != rootInput || !path.definite) {
		p.schema(sp+"/"+field, "The value for the field '%s' must be a valid ReferencePath", field)
		return nil, false
	}
	return path, false
}

func (p *parser) template(m map[string]any, field, sp string) *Template {
	v, ok := m[field]
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj {
		p.schema(sp+"/"+field, "%s", expectedType("OBJECT"))
		return nil
	}
	t, err := compileTemplate(v, prefixedOrder{p, sp + "/" + field})
	if err != nil {
		p.schema(sp+"/"+field, "%s", err.Error())
		return nil
	}
	return t
}

func (p *parser) assign(m map[string]any, sp string) *Template {
	v, ok := m["Assign"]
	if !ok || !p.assignNames(v, sp+"/Assign", true) {
		return nil
	}
	return p.template(m, "Assign", sp)
}

func validVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isVarChar(s[i], i == 0) {
			return false
		}
	}
	return len(s) <= 80
}

func (p *parser) errorEquals(m map[string]any, loc string) []string {
	v, ok := m["ErrorEquals"]
	if !ok {
		p.schema(loc, "These fields are required: [ErrorEquals]")
		return nil
	}
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		p.schema(loc+"/ErrorEquals", "Field 'ErrorEquals' must be a non-empty array of strings")
		return nil
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			p.schema(loc+"/ErrorEquals", "Field 'ErrorEquals' must be a non-empty array of strings")
			return nil
		}
		out = append(out, s)
	}
	for _, s := range out {
		if s == ErrAll && len(out) > 1 {
			p.schema(loc+"/ErrorEquals", "States.ALL must appear alone in ErrorEquals")
		}
	}
	return out
}

// checkAllLast reports a States.ALL retrier/catcher that is not the last one.
func (p *parser) checkAllLast(lists [][]string, loc string) {
	for i, l := range lists {
		for _, e := range l {
			if e == ErrAll && i != len(lists)-1 {
				p.schema(fmt.Sprintf("%s[%d]/ErrorEquals", loc, i), "States.ALL must appear in the last element of the array")
			}
		}
	}
}

func (p *parser) objects(m map[string]any, field, sp string) []map[string]any {
	v, ok := m[field]
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		p.schema(sp+"/"+field, "%s", expectedType("ARRAY"))
		return nil
	}
	out := make([]map[string]any, 0, len(a))
	for i, e := range a {
		o, ok := e.(map[string]any)
		if !ok {
			p.schema(fmt.Sprintf("%s/%s[%d]", sp, field, i), "%s", expectedType("OBJECT"))
			continue
		}
		out = append(out, o)
	}
	return out
}

var retrierFields = map[string]bool{"ErrorEquals": true, "IntervalSeconds": true, "MaxAttempts": true, "BackoffRate": true, "MaxDelaySeconds": true, "JitterStrategy": true, "Comment": true}
var catcherFields = map[string]bool{"ErrorEquals": true, "Next": true, "ResultPath": true, "Assign": true, "Comment": true}

func (p *parser) retriers(m map[string]any, sp string) []*Retrier {
	var out []*Retrier
	var lists [][]string
	for i, o := range p.objects(m, "Retry", sp) {
		loc := fmt.Sprintf("%s/Retry[%d]", sp, i)
		for _, k := range sortedKeys(o) {
			if !retrierFields[k] {
				p.schema(loc, "Field '%s' is not supported", k)
			}
		}
		r := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "NONE"}
		r.ErrorEquals = p.errorEquals(o, loc)
		lists = append(lists, r.ErrorEquals)
		if v, ok := o["IntervalSeconds"]; ok {
			r.IntervalSeconds = p.posInt(v, loc+"/IntervalSeconds", "IntervalSeconds")
		}
		if v, ok := o["MaxAttempts"]; ok {
			r.MaxAttempts = p.nonNegInt(v, loc+"/MaxAttempts", "MaxAttempts")
		}
		if v, ok := o["MaxDelaySeconds"]; ok {
			r.MaxDelaySeconds = p.posInt(v, loc+"/MaxDelaySeconds", "MaxDelaySeconds")
		}
		if v, ok := o["BackoffRate"]; ok {
			n, isNum := v.(json.Number)
			if !isNum || numberFloat(n) < 1 {
				p.schema(loc+"/BackoffRate", "Field 'BackoffRate' must be a number greater than or equal to 1.0")
			} else {
				r.BackoffRate = numberFloat(n)
			}
		}
		if v, ok := o["JitterStrategy"]; ok {
			s, _ := v.(string)
			if s != "FULL" && s != "NONE" {
				p.schema(loc+"/JitterStrategy", "Value should be one of the following: [FULL, NONE]")
			}
			r.JitterStrategy = s
		}
		r.Comment = p.optStr(o, "Comment", loc)
		out = append(out, r)
	}
	p.checkAllLast(lists, sp+"/Retry")
	return out
}

func (p *parser) catchers(m map[string]any, sp string) []*Catcher {
	var out []*Catcher
	var lists [][]string
	for i, o := range p.objects(m, "Catch", sp) {
		loc := fmt.Sprintf("%s/Catch[%d]", sp, i)
		for _, k := range sortedKeys(o) {
			if !catcherFields[k] {
				p.schema(loc, "Field '%s' is not supported", k)
			}
		}
		c := &Catcher{}
		c.ErrorEquals = p.errorEquals(o, loc)
		lists = append(lists, c.ErrorEquals)
		c.Next = p.requiredStr(o, "Next", loc)
		c.ResultPath, c.ResultPathNull = p.resultPath(o, "ResultPath", loc)
		c.Assign = p.assign(o, loc)
		c.Comment = p.optStr(o, "Comment", loc)
		out = append(out, c)
	}
	p.checkAllLast(lists, sp+"/Catch")
	return out
}

func (p *parser) task(st *State, m map[string]any, sp string) {
	r, ok := m["Resource"]
	if !ok {
		p.schema(sp, "These fields are required: [Resource]")
	} else {
		b, _ := json.Marshal(r)
		st.Resource = b
	}
	p.exclusive(m, sp, "TimeoutSeconds", "TimeoutSecondsPath")
	p.exclusive(m, sp, "HeartbeatSeconds", "HeartbeatSecondsPath")
	if st.jsonata() {
		st.JTimeoutSeconds, _ = p.jsonataNumberField(m, "TimeoutSeconds", sp)
		st.JHeartbeatSeconds, _ = p.jsonataNumberField(m, "HeartbeatSeconds", sp)
	}
	if v, ok := m["TimeoutSeconds"]; ok && st.JTimeoutSeconds == nil {
		st.TimeoutSeconds = p.posInt(v, sp+"/TimeoutSeconds", "TimeoutSeconds")
	}
	if v, ok := m["HeartbeatSeconds"]; ok && st.JHeartbeatSeconds == nil {
		st.HeartbeatSeconds = p.posInt(v, sp+"/HeartbeatSeconds", "HeartbeatSeconds")
	}
	if st.TimeoutSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
		p.schema(sp+"/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	if !st.jsonata() {
		st.TimeoutSecondsPath = p.optPath(m, "TimeoutSecondsPath", sp)
		st.HeartbeatSecondsPath = p.optPath(m, "HeartbeatSecondsPath", sp)
	}
	if v, ok := m["Credentials"]; ok {
		b, _ := json.Marshal(v)
		st.Credentials = b
	}
}

// exclusive reports two fields that must not both be set.
func (p *parser) exclusive(m map[string]any, sp string, fields ...string) int {
	var set []string
	for _, f := range fields {
		if _, ok := m[f]; ok {
			set = append(set, f)
		}
	}
	if len(set) > 1 {
		p.schema(sp, "These fields cannot be set at the same time: [%s]", strings.Join(set, ", "))
	}
	return len(set)
}

func (p *parser) wait(st *State, m map[string]any, sp string) {
	n := p.exclusive(m, sp, "Seconds", "Timestamp", "SecondsPath", "TimestampPath")
	if n == 0 {
		p.schema(sp, "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]")
	}
	if v, ok := m["Seconds"]; ok {
		i := int64(p.nonNegInt(v, sp+"/Seconds", "Seconds"))
		st.Seconds = &i
	}
	if v, ok := m["Timestamp"]; ok {
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			p.schema(sp+"/Timestamp", "String does not match RFC3339 timestamp")
		} else {
			st.Timestamp = &t
		}
	}
	st.SecondsPath = p.optPath(m, "SecondsPath", sp)
	st.TimestampPath = p.optPath(m, "TimestampPath", sp)
}

func (p *parser) fail(st *State, m map[string]any, sp string) {
	p.exclusive(m, sp, "Error", "ErrorPath")
	p.exclusive(m, sp, "Cause", "CausePath")
	if v, ok := m["Error"]; ok {
		st.Error = p.str(v, sp+"/Error", "Error")
	}
	if v, ok := m["Cause"]; ok {
		st.Cause = p.str(v, sp+"/Cause", "Cause")
	}
	for _, f := range []string{"ErrorPath", "CausePath"} {
		v, ok := m[f]
		if !ok {
			continue
		}
		s, _ := v.(string)
		e, err := ParseExpr(s)
		if err != nil {
			p.schema(sp+"/"+f, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", f)
			continue
		}
		if f == "ErrorPath" {
			st.ErrorPath = e
		} else {
			st.CausePath = e
		}
	}
}

func (p *parser) parallel(st *State, m map[string]any, sp string, jsonata bool) {
	v, ok := m["Branches"]
	if !ok {
		p.schema(sp, "These fields are required: [Branches]")
		return
	}
	a, ok := v.([]any)
	if !ok {
		p.schema(sp+"/Branches", "Field 'Branches' must be a non-empty array")
		return
	}
	if len(a) == 0 {
		// AWS's words (recorded in LocalStack's test_parallel_state_empty_branches).
		p.schema(sp+"/Branches", "Value cannot be empty")
		return
	}
	for i, b := range a {
		bm, ok := b.(map[string]any)
		loc := fmt.Sprintf("%s/Branches[%d]", sp, i)
		if !ok {
			p.schema(loc, "Branch must be an object")
			continue
		}
		st.Branches = append(st.Branches, p.machine(bm, loc, "branch", false, jsonata))
	}
}

func (p *parser) mapState(st *State, m map[string]any, sp string, jsonata bool) {
	n := p.exclusive(m, sp, "ItemProcessor", "Iterator")
	if n == 0 {
		p.schema(sp, "These fields are required: [ItemProcessor]")
	}
	p.exclusive(m, sp, "ItemSelector", "Parameters")
	p.exclusive(m, sp, "MaxConcurrency", "MaxConcurrencyPath")
	p.exclusive(m, sp, "ToleratedFailureCount", "ToleratedFailureCountPath")
	p.exclusive(m, sp, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	for _, f := range []string{"ItemProcessor", "Iterator"} {
		v, ok := m[f]
		if !ok {
			continue
		}
		pm, ok := v.(map[string]any)
		if !ok {
			p.schema(sp+"/"+f, "%s", expectedType("OBJECT"))
			continue
		}
		st.ItemProcessor = p.machine(pm, sp+"/"+f, "processor", false, jsonata)
	}
	if st.jsonata() {
		p.jsonataMap(st, m, sp)
	} else {
		p.jsonPathMap(st, m, sp)
	}
	for _, f := range []string{"ItemReader", "ResultWriter", "ItemBatcher"} {
		if v, ok := m[f]; ok {
			b, _ := json.Marshal(v)
			switch f {
			case "ItemReader":
				st.ItemReader = b
			case "ResultWriter":
				st.ResultWriter = b
			default:
				st.ItemBatcher = b
			}
		}
	}
	if v, ok := m["Label"]; ok {
		st.Label = p.str(v, sp+"/Label", "Label")
	}
}

// jsonPathMap parses a JSONPath Map state's item and tolerance fields.
func (p *parser) jsonPathMap(st *State, m map[string]any, sp string) {
	st.ItemsPath = p.optPath(m, "ItemsPath", sp)
	st.ItemSelector = p.template(m, "ItemSelector", sp)
	if v, ok := m["MaxConcurrency"]; ok {
		st.MaxConcurrency = p.nonNegInt(v, sp+"/MaxConcurrency", "MaxConcurrency")
	}
	st.MaxConcurrencyPath = p.optPath(m, "MaxConcurrencyPath", sp)
	if v, ok := m["ToleratedFailureCount"]; ok {
		st.ToleratedFailureCount = p.nonNegInt(v, sp+"/ToleratedFailureCount", "ToleratedFailureCount")
		st.HasToleratedFailure = true
	}
	if v, ok := m["ToleratedFailurePercentage"]; ok {
		n, isNum := v.(json.Number)
		if !isNum || numberFloat(n) < 0 || numberFloat(n) > 100 {
			p.schema(sp+"/ToleratedFailurePercentage", "Field 'ToleratedFailurePercentage' must be a number between 0 and 100")
		} else {
			st.ToleratedFailurePercentage = numberFloat(n)
		}
		st.HasToleratedFailure = true
	}
	st.ToleratedFailureCountPath = p.optPath(m, "ToleratedFailureCountPath", sp)
	st.ToleratedFailurePercentagePath = p.optPath(m, "ToleratedFailurePercentagePath", sp)
	if st.ToleratedFailureCountPath != nil || st.ToleratedFailurePercentagePath != nil {
		st.HasToleratedFailure = true
	}
}
