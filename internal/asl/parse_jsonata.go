package asl

import (
	"encoding/json"
	"fmt"
	"strings"
)

// jsonataStateFields are the fields of each state type in a JSONata state
// (besides Type, Comment, QueryLanguage).
var jsonataStateFields = map[StateType][]string{
	TypePass:     {"Next", "End", "Output", "Assign"},
	TypeTask:     {"Next", "End", "Arguments", "Output", "Assign", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Retry", "Catch"},
	TypeChoice:   {"Choices", "Default", "Output", "Assign"},
	TypeWait:     {"Next", "End", "Seconds", "Timestamp", "Output", "Assign"},
	TypeSucceed:  {"Output"},
	TypeFail:     {"Error", "Cause"},
	TypeParallel: {"Next", "End", "Arguments", "Output", "Assign", "Branches", "Retry", "Catch"},
	TypeMap:      {"Next", "End", "Items", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "ItemReader", "ResultWriter", "ItemBatcher", "Label", "Output", "Assign", "Retry", "Catch"},
}

// jsonPathOnlyFields exist only in JSONPath states; AWS names them on a JSONata state.
var jsonPathOnlyFields = map[string]bool{
	"InputPath": true, "OutputPath": true, "ResultPath": true, "Parameters": true, "ResultSelector": true, "Result": true,
	"SecondsPath": true, "TimestampPath": true, "TimeoutSecondsPath": true, "HeartbeatSecondsPath": true,
	"ItemsPath": true, "MaxConcurrencyPath": true, "ToleratedFailureCountPath": true, "ToleratedFailurePercentagePath": true,
	"ErrorPath": true, "CausePath": true,
}

func jsonPathOnly(field string) string {
	return fmt.Sprintf("The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage", field)
}

// jvalue compiles field of m (at sp) as a JSONata value; nil when absent.
func (p *parser) jvalue(m map[string]any, field, sp string) *JValue {
	v, ok := m[field]
	if !ok {
		return nil
	}
	return p.jvalueOf(v, field, sp+"/"+field)
}

// jvalueOf compiles v, written at loc, as the JSONata value of field.
func (p *parser) jvalueOf(v any, field, loc string) *JValue {
	j, problems := compileJValue(field, v, func(ptr string, m map[string]any) []string { return p.keys(loc+ptr, m) })
	for _, pr := range problems {
		p.add(pr.code, loc+pr.loc, "%s", pr.msg)
	}
	return j
}

// jsonataState parses the fields of a JSONata state.
func (p *parser) jsonataState(st *State, m map[string]any, sp string, machineJSONata bool) {
	allow := map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}
	for _, f := range jsonataStateFields[st.Type] {
		allow[f] = true
	}
	for _, k := range p.keys(sp, m) {
		switch {
		case allow[k]:
		case jsonPathOnlyFields[k]:
			p.schema(sp, "%s", jsonPathOnly(k))
		default:
			p.schema(sp, "Field '%s' is not supported", k)
		}
	}
	st.Comment = p.optStr(m, "Comment", sp)
	p.nextOrEnd(st, m, sp, allow["Next"])
	st.Arguments = p.jvalue(m, "Arguments", sp)
	st.Output, st.JAssign = p.jsonataOutputAssign(m, sp)
	st.Retry = p.retriers(m, sp)
	st.Catch = p.jsonataCatchers(m, sp)
	switch st.Type {
	case TypeTask:
		p.task(st, m, sp)
	case TypeChoice:
		p.jsonataChoice(st, m, sp)
	case TypeWait:
		p.jsonataWait(st, m, sp)
	case TypeFail:
		st.JError = p.jsonataStringField(m, "Error", sp)
		st.JCause = p.jsonataStringField(m, "Cause", sp)
	case TypeParallel:
		p.parallel(st, m, sp, machineJSONata)
	case TypeMap:
		p.mapState(st, m, sp, machineJSONata)
	}
}

// jsonataMap parses a JSONata Map state's item and tolerance fields.
func (p *parser) jsonataMap(st *State, m map[string]any, sp string) {
	if v, ok := m["Items"]; ok {
		switch x := v.(type) {
		case []any:
		case string:
			if !isJSONataString(x) {
				p.schema(sp+"/Items", "%s", expectedType("ARRAY")+" or a JSONata expression")
			}
		default:
			p.schema(sp+"/Items", "%s", expectedType("ARRAY")+" or a JSONata expression")
		}
		st.JItems = p.jvalueOf(v, "Items", sp+"/Items")
	}
	st.JItemSelector = p.jvalue(m, "ItemSelector", sp)
	var set bool
	st.JMaxConcurrency, set = p.jsonataNumberField(m, "MaxConcurrency", sp)
	if set && st.JMaxConcurrency == nil {
		st.MaxConcurrency = p.nonNegInt(m["MaxConcurrency"], sp+"/MaxConcurrency", "MaxConcurrency")
	}
	st.JToleratedFailureCount, set = p.jsonataNumberField(m, "ToleratedFailureCount", sp)
	if set {
		st.HasToleratedFailure = true
		if st.JToleratedFailureCount == nil {
			st.ToleratedFailureCount = p.nonNegInt(m["ToleratedFailureCount"], sp+"/ToleratedFailureCount", "ToleratedFailureCount")
		}
	}
	st.JToleratedFailurePercentage, set = p.jsonataNumberField(m, "ToleratedFailurePercentage", sp)
	if set {
		st.HasToleratedFailure = true
		if st.JToleratedFailurePercentage == nil {
			n, isNum := m["ToleratedFailurePercentage"].(json.Number)
			if !isNum || numberFloat(n) < 0 || numberFloat(n) > 100 {
				p.schema(sp+"/ToleratedFailurePercentage", "Field 'ToleratedFailurePercentage' must be a number between 0 and 100")
			} else {
				st.ToleratedFailurePercentage = numberFloat(n)
			}
		}
	}
}

// jsonataOutputAssign compiles the Output and Assign of a JSONata state,
// catcher or Choice rule at loc.
func (p *parser) jsonataOutputAssign(m map[string]any, loc string) (output, assign *JValue) {
	output = p.jvalue(m, "Output", loc)
	if v, ok := m["Assign"]; ok && p.assignNames(v, loc+"/Assign", false) {
		assign = p.jvalueOf(v, "Assign", loc+"/Assign")
	}
	return output, assign
}

// nextOrEnd parses Next and End where the state type has them.
func (p *parser) nextOrEnd(st *State, m map[string]any, sp string, has bool) {
	if !has {
		return
	}
	_, hasNext := m["Next"]
	_, hasEnd := m["End"]
	if hasNext {
		st.Next = p.str(m["Next"], sp+"/Next", "Next")
	}
	if hasEnd {
		b, ok := m["End"].(bool)
		if !ok {
			p.schema(sp+"/End", "%s", expectedType("BOOLEAN"))
		}
		st.End = b
	}
	switch {
	case hasNext && st.End:
		p.schema(sp, "Only one of 'Next' or 'End' can be set")
	case !hasNext && !st.End:
		p.schema(sp, "These fields are required: [Next | End]")
	}
}

// assignNames checks Assign's variable names; jsonPath allows the ".$" suffix.
func (p *parser) assignNames(v any, loc string, jsonPath bool) bool {
	obj, isObj := v.(map[string]any)
	if !isObj {
		p.schema(loc, "%s", expectedType("OBJECT"))
		return false
	}
	for k := range obj {
		name := k
		if jsonPath {
			name = strings.TrimSuffix(k, ".$")
		}
		if name == "" || !validVarName(name) {
			p.schema(loc, "The variable name '%s' is not valid", name)
			return false
		}
	}
	return true
}

// jsonataStringField is a field that is a string: literal or expression.
func (p *parser) jsonataStringField(m map[string]any, field, sp string) *JValue {
	v, ok := m[field]
	if !ok {
		return nil
	}
	if _, isStr := v.(string); !isStr {
		p.schema(sp+"/"+field, "%s", expectedType("STRING"))
		return nil
	}
	return p.jvalueOf(v, field, sp+"/"+field)
}

// jsonataNumberField is a field that is a number or an expression: it
// returns the expression, if it is one, and whether the field is set
// (callers check a literal number themselves).
func (p *parser) jsonataNumberField(m map[string]any, field, sp string) (*JValue, bool) {
	v, ok := m[field]
	if !ok {
		return nil, false
	}
	s, isStr := v.(string)
	if !isStr {
		return nil, true
	}
	loc := sp + "/" + field
	if !isJSONataString(s) {
		p.schema(loc, "%s", expectedType("NUMBER")+" or a JSONata expression")
		return nil, false
	}
	return p.jvalueOf(v, field, loc), true
}

func (p *parser) jsonataCatchers(m map[string]any, sp string) []*Catcher {
	var out []*Catcher
	var lists [][]string
	for i, o := range p.objects(m, "Catch", sp) {
		loc := fmt.Sprintf("%s/Catch[%d]", sp, i)
		for _, k := range sortedKeys(o) {
			switch k {
			case "ErrorEquals", "Next", "Output", "Assign", "Comment":
			case "ResultPath":
				p.schema(loc, "%s", jsonPathOnly(k))
			default:
				p.schema(loc, "Field '%s' is not supported", k)
			}
		}
		c := &Catcher{}
		c.ErrorEquals = p.errorEquals(o, loc)
		lists = append(lists, c.ErrorEquals)
		c.Next = p.requiredStr(o, "Next", loc)
		c.JOutput, c.JAssign = p.jsonataOutputAssign(o, loc)
		c.Comment = p.optStr(o, "Comment", loc)
		out = append(out, c)
	}
	p.checkAllLast(lists, sp+"/Catch")
	return out
}

func (p *parser) jsonataChoice(st *State, m map[string]any, sp string) {
	st.Default = p.optStr(m, "Default", sp)
	v, ok := m["Choices"]
	if !ok {
		p.schema(sp, "These fields are required: [Choices]")
		return
	}
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		p.schema(sp+"/Choices", "Field 'Choices' must be a non-empty array")
		return
	}
	for i, e := range a {
		loc := fmt.Sprintf("%s/Choices[%d]", sp, i)
		rm, ok := e.(map[string]any)
		if !ok {
			p.schema(loc, "%s", expectedType("OBJECT"))
			continue
		}
		r := &ChoiceRule{}
		for _, k := range p.keys(fmt.Sprintf("%s/Choices/%d", sp, i), rm) {
			switch k {
			case "Condition", "Next", "Output", "Assign", "Comment":
			case "Variable", "And", "Or", "Not":
				p.schema(loc, "%s", jsonPathOnly(k))
			default:
				if _, isOp := choiceOperators[k]; isOp {
					p.schema(loc, "%s", jsonPathOnly(k))
				} else {
					p.schema(loc, "Field '%s' is not supported", k)
				}
			}
		}
		if c, ok := rm["Condition"]; ok {
			switch x := c.(type) {
			case bool:
				r.Condition = p.jvalueOf(x, "Condition", loc+"/Condition")
			case string:
				if !isJSONataString(x) {
					p.schema(loc+"/Condition", "%s", expectedType("BOOLEAN")+" or a JSONata expression")
				}
				r.Condition = p.jvalueOf(x, "Condition", loc+"/Condition")
			default:
				p.schema(loc+"/Condition", "%s", expectedType("BOOLEAN")+" or a JSONata expression")
			}
		} else {
			p.schema(loc, "These fields are required: [Condition]")
		}
		r.Next = p.requiredStr(rm, "Next", loc)
		r.Output, r.JAssign = p.jsonataOutputAssign(rm, loc)
		r.Comment = p.optStr(rm, "Comment", loc)
		st.Choices = append(st.Choices, r)
	}
}

func (p *parser) jsonataWait(st *State, m map[string]any, sp string) {
	n := p.exclusive(m, sp, "Seconds", "Timestamp")
	if n == 0 {
		p.schema(sp, "Exactly one of these fields is required: [Seconds, Timestamp]")
	}
	if v, ok := m["Seconds"]; ok {
		if s, isStr := v.(string); isStr && isJSONataString(s) {
			st.WaitSeconds = p.jvalueOf(v, "Seconds", sp+"/Seconds")
		} else {
			i := int64(p.nonNegInt(v, sp+"/Seconds", "Seconds"))
			st.Seconds = &i
		}
	}
	if v, ok := m["Timestamp"]; ok {
		s, _ := v.(string)
		if isJSONataString(s) {
			st.WaitTimestamp = p.jvalueOf(v, "Timestamp", sp+"/Timestamp")
		} else if t, ok := parseTimestamp(s); ok {
			st.Timestamp = &t
		} else {
			p.schema(sp+"/Timestamp", "String does not match RFC3339 timestamp")
		}
	}
}
