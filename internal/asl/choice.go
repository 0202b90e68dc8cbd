package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// comparison operators by operand kind.
var choiceOperators = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

// ChoiceOperatorKind returns the operand kind of a comparison operator
// ("string", "number", "boolean", "timestamp", or "path" for ...Path
// variants) and whether the operator exists.
func choiceOperatorKind(op string) (string, bool) {
	if k, ok := choiceOperators[op]; ok {
		return k, true
	}
	if base, ok := strings.CutSuffix(op, "Path"); ok && base != "StringMatches" && !strings.HasPrefix(base, "Is") {
		if _, ok := choiceOperators[base]; ok {
			return "path", true
		}
	}
	return "", false
}

var choiceRuleMeta = map[string]bool{"Variable": true, "Next": true, "Assign": true, "Comment": true}

func (p *parser) choice(st *State, m map[string]any, sp string) {
	if _, ok := m["Choices"]; !ok {
		p.schema(sp, "These fields are required: [Choices]")
		return
	}
	a, ok := m["Choices"].([]any)
	if !ok || len(a) == 0 {
		p.schema(sp+"/Choices", "Field 'Choices' must be a non-empty array")
		return
	}
	for i, e := range a {
		loc := fmt.Sprintf("%s/Choices[%d]", sp, i)
		o, ok := e.(map[string]any)
		if !ok {
			p.schema(loc, "Choice rule must be an object")
			continue
		}
		r := p.choiceRule(o, loc, true)
		if r != nil {
			st.Choices = append(st.Choices, r)
		}
	}
	st.Default = p.optStr(m, "Default", sp)
}

func (p *parser) choiceRule(o map[string]any, loc string, top bool) *ChoiceRule {
	r := &ChoiceRule{}
	var ops []string
	for _, k := range sortedKeys(o) {
		if choiceRuleMeta[k] {
			continue
		}
		if k == "And" || k == "Or" || k == "Not" {
			ops = append(ops, k)
			continue
		}
		if _, ok := choiceOperatorKind(k); ok {
			ops = append(ops, k)
			continue
		}
		p.schema(loc, "Field '%s' is not supported", k)
		return nil
	}
	if len(ops) != 1 {
		p.schema(loc, "A choice rule must have exactly one comparison operator or And, Or, Not")
		return nil
	}
	r.Operator = ops[0]
	if top {
		r.Next = p.requiredStr(o, "Next", loc)
		if _, ok := o["Assign"]; ok {
			r.Assign = p.assign(o, loc)
		}
	} else if _, ok := o["Next"]; ok {
		p.schema(loc, "Field 'Next' is not supported in a nested choice rule")
	}
	r.Comment = p.optStr(o, "Comment", loc)
	operand := o[r.Operator]
	switch r.Operator {
	case "And", "Or", "Not":
		if _, ok := o["Variable"]; ok {
			p.schema(loc, "Field 'Variable' is not supported with %s", r.Operator)
		}
		if r.Operator == "Not" {
			sub, ok := operand.(map[string]any)
			if !ok {
				p.schema(loc+"/Not", "Field 'Not' must be an object")
				return nil
			}
			if n := p.choiceRule(sub, loc+"/Not", false); n != nil {
				r.Rules = []*ChoiceRule{n}
			}
			return r
		}
		subs, ok := operand.([]any)
		if !ok || len(subs) == 0 {
			p.schema(loc+"/"+r.Operator, "Field '%s' must be a non-empty array", r.Operator)
			return nil
		}
		for i, s := range subs {
			sm, ok := s.(map[string]any)
			l := fmt.Sprintf("%s/%s[%d]", loc, r.Operator, i)
			if !ok {
				p.schema(l, "Choice rule must be an object")
				continue
			}
			if n := p.choiceRule(sm, l, false); n != nil {
				r.Rules = append(r.Rules, n)
			}
		}
		return r
	}
	v, ok := o["Variable"]
	if !ok {
		p.schema(loc, "These fields are required: [Variable]")
		return nil
	}
	r.Variable = p.path(v, "Variable", loc+"/Variable")
	kind, _ := choiceOperatorKind(r.Operator)
	bad := func(what string) *ChoiceRule {
		p.schema(loc+"/"+r.Operator, "Field '%s' must be %s", r.Operator, what)
		return nil
	}
	switch kind {
	case "path":
		r.ValuePath = p.path(operand, r.Operator, loc+"/"+r.Operator)
	case "string":
		s, ok := operand.(string)
		if !ok {
			return bad("a string")
		}
		r.Value = s
	case "number":
		n, ok := operand.(json.Number)
		if !ok {
			return bad("a number")
		}
		r.Value = n
	case "boolean":
		b, ok := operand.(bool)
		if !ok {
			return bad("a boolean")
		}
		r.Value = b
	case "timestamp":
		s, ok := operand.(string)
		if !ok {
			return bad("a timestamp string")
		}
		t, ok := parseTimestamp(s)
		if !ok {
			p.schema(loc+"/"+r.Operator, "String does not match RFC3339 timestamp")
			return nil
		}
		r.Value = t
	}
	return r
}

// NextState evaluates a Choice state's rules against its effective input. It
// returns the Next of the first matching rule (or Default) and the Assign to
// evaluate (the rule's, else the state's; nil if none). With no match and no
// Default it fails with States.NoChoiceMatched.
func (s *State) NextState(input any, env *Env) (string, *Template, error) {
	if s.jsonata() {
		// JSONata rules see the raw input; their Output and Assign are
		// applied by JSONataChoice, which the engine calls instead.
		if env == nil {
			env = &Env{}
		}
		if env.Input == nil {
			env.Input = input
		}
		next, _, _, err := s.JSONataChoice(env)
		return next, nil, err
	}
	for _, r := range s.Choices {
		ok, err := r.Eval(input, env)
		if err != nil {
			return "", nil, err
		}
		if ok {
			if r.Assign != nil {
				return r.Next, r.Assign, nil
			}
			return r.Next, s.Assign, nil
		}
	}
	if s.Default != "" {
		return s.Default, s.Assign, nil
	}
	return "", nil, newError(ErrNoChoiceMatched, "No Matches!")
}

// Eval evaluates one rule (recursively for And, Or, Not).
func (r *ChoiceRule) Eval(input any, env *Env) (bool, error) {
	switch r.Operator {
	case "And":
		for _, s := range r.Rules {
			ok, err := s.Eval(input, env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, s := range r.Rules {
			ok, err := s.Eval(input, env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.Rules[0].Eval(input, env)
		return !ok && err == nil, err
	case "IsPresent":
		return r.Variable.Exists(input, env) == r.Value.(bool), nil
	}
	v, err := r.Variable.Get(input, env)
	if err != nil {
		return false, newError(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.Variable.text)
	}
	op, operand := r.Operator, r.Value
	if r.ValuePath != nil {
		operand, err = r.ValuePath.Get(input, env)
		if err != nil {
			return false, newError(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.ValuePath.text)
		}
		op = strings.TrimSuffix(op, "Path")
	}
	switch op {
	case "IsNull":
		return (v == nil) == r.Value.(bool), nil
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok == r.Value.(bool), nil
	case "IsString":
		_, ok := v.(string)
		return ok == r.Value.(bool), nil
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == r.Value.(bool), nil
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == r.Value.(bool), nil
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case "StringMatches":
		a, ok1 := v.(string)
		pat, ok2 := operand.(string)
		return ok1 && ok2 && stringMatches(a, pat), nil
	}
	var c int
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		c = strings.Compare(a, b)
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := v.(json.Number)
		b, ok2 := operand.(json.Number)
		if !ok1 || !ok2 {
			return false, nil
		}
		c = compareNumbers(a, b)
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := toTime(v)
		b, ok2 := toTime(operand)
		if !ok1 || !ok2 {
			return false, nil
		}
		c = a.Compare(b)
	default:
		return false, nil
	}
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return c <= 0, nil
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return c >= 0, nil
	case strings.HasSuffix(op, "LessThan"):
		return c < 0, nil
	case strings.HasSuffix(op, "GreaterThan"):
		return c > 0, nil
	}
	return c == 0, nil
}

func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		return parseTimestamp(x)
	}
	return time.Time{}, false
}

// stringMatches implements StringMatches: '*' matches any run of
// characters; '\*' and '\\' are a literal star and backslash.
func stringMatches(s, pattern string) bool {
	// Split the pattern into literal chunks separated by unescaped stars.
	var chunks []string
	var cur strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) && (pattern[i+1] == '*' || pattern[i+1] == '\\') {
			cur.WriteByte(pattern[i+1])
			i++
			continue
		}
		if c == '*' {
			chunks = append(chunks, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	chunks = append(chunks, cur.String())
	if len(chunks) == 1 {
		return s == chunks[0]
	}
	if !strings.HasPrefix(s, chunks[0]) {
		return false
	}
	s = s[len(chunks[0]):]
	last := chunks[len(chunks)-1]
	for _, ch := range chunks[1 : len(chunks)-1] {
		i := strings.Index(s, ch)
		if i < 0 {
			return false
		}
		s = s[i+len(ch):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
