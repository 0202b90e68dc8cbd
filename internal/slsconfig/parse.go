package slsconfig

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// This file is a port of serverless v3's variable syntax parser
// (lib/configuration/variables/parse.js). It is a character state machine in
// the original and stays one here, so that the two can be compared line by
// line: which "${...}" is a variable and which is "foreign" (left for
// CloudFormation, e.g. "${AWS::Region}" or "${StateMachineArn}") is decided
// exactly as serverless decides it.

// varSpan is one variable (or escape) found in a string.
type varSpan struct {
	start, end int
	whole      bool    // the variable spans the whole string: its value keeps its type
	escape     *string // set for an escape sequence: the literal text to emit
	sources    []varSource
}

// varSource is one source of a variable: a typed source (self, opt, file, ...)
// or a literal fallback.
type varSource struct {
	typ       string
	hasParams bool
	params    []strMeta
	address   *strMeta
	literal   any // for literal sources (typ == "")
}

// strMeta is a parameter or address: a value, possibly containing variables.
type strMeta struct {
	value any // string for addresses and most params; literals may be bool, float64 or nil
	vars  []varSpan
}

// SyntaxError is an invalid variable notation.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

type parseContext struct {
	state            string
	variableStart    int
	contextStart     int
	variables        *[]varSpan
	contextVariables *[]varSpan
	currentSource    *varSource
	sources          *[]varSource
}

type varParser struct {
	value  string
	index  int
	state  string
	strCtx string

	variables        *[]varSpan
	sources          *[]varSource
	contexts         []parseContext
	currentSource    *varSource
	contextStart     int
	contextVariables *[]varSpan
	escapeVarStart   int // -1 when unset
	variableStart    int
	sourceStart      int
	paramStart       int
	addressStart     int
}

func isLowerAlpha(c byte) bool { return c >= 'a' && c <= 'z' }

func isAlnumDotDash(c byte) bool {
	return isLowerAlpha(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
}

func isType(s string) bool {
	if s == "" || !isLowerAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLowerAlpha(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// parseVariables returns the variables of s, nil when it has none.
func parseVariables(s string) ([]varSpan, error) {
	p := &varParser{value: s, state: "out", escapeVarStart: -1}
	return p.run()
}

func (p *varParser) fail(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

func (p *varParser) pushVar(v varSpan) {
	if p.variables == nil {
		p.variables = &[]varSpan{}
	}
	*p.variables = append(*p.variables, v)
}

func (p *varParser) finalizeSource() {
	if p.sources == nil {
		p.sources = &[]varSource{}
	}
	*p.sources = append(*p.sources, *p.currentSource)
	p.currentSource = nil
	p.state = "maybeNextSourceStart"
}

func (p *varParser) finalizeVariable() {
	p.finalizeSource()
	p.pushVar(varSpan{start: p.variableStart - p.contextStart, end: p.index + 1 - p.contextStart, sources: *p.sources})
	p.sources = nil
	p.releaseContext()
}

func (p *varParser) registerVarEscape() {
	n := p.index - 1 - p.escapeVarStart - 1
	lit := strings.Repeat(`\`, (n+1)/2) + string(p.value[p.index-1])
	p.pushVar(varSpan{start: p.escapeVarStart - p.contextStart, end: p.index - p.contextStart, escape: &lit})
	p.escapeVarStart = -1
}

func (p *varParser) registerSlashEscape() {
	n := p.index - 1 - p.escapeVarStart - 1
	lit := strings.Repeat(`\`, (n+1)/2)
	p.pushVar(varSpan{start: p.escapeVarStart - p.contextStart, end: p.index - 1 - p.contextStart, escape: &lit})
	p.escapeVarStart = -1
}

// registerContext starts a nested variable; a positive newContextStart starts
// a new nested value (an address or a param) whose variables are collected
// apart. -1 stands for JavaScript's default argument (the current context).
func (p *varParser) registerContext(newContextStart int) {
	if newContextStart < 0 {
		newContextStart = p.contextStart
	}
	if p.variables == nil {
		p.variables = &[]varSpan{}
	}
	if newContextStart > 0 && p.contextVariables == nil {
		p.contextVariables = &[]varSpan{}
	}
	p.contexts = append(p.contexts, parseContext{
		state: p.state, variableStart: p.variableStart, contextStart: p.contextStart,
		variables: p.variables, contextVariables: p.contextVariables,
		currentSource: p.currentSource, sources: p.sources,
	})
	p.state = "maybeVariableOpen"
	p.variableStart = p.index
	p.sources = nil
	if newContextStart > 0 {
		p.contextStart = newContextStart
		p.variables = p.contextVariables
	}
}

func (p *varParser) releaseContext() {
	if len(p.contexts) == 0 {
		p.state = "out"
		return
	}
	c := p.contexts[len(p.contexts)-1]
	p.contexts = p.contexts[:len(p.contexts)-1]
	p.state, p.variableStart, p.variables, p.contextVariables = c.state, c.variableStart, c.variables, c.contextVariables
	p.currentSource, p.sources = c.currentSource, c.sources
	if p.state == "param" {
		p.paramStart = p.contextStart
	}
	if p.state == "address" {
		p.addressStart = p.contextStart
	}
	p.contextStart = c.contextStart
}

func (p *varParser) anyNonForeignContext() bool {
	for _, c := range p.contexts {
		if c.state != "foreign" {
			return true
		}
	}
	return false
}

func normalizeVars(value string, vars *[]varSpan) []varSpan {
	if vars == nil || len(*vars) == 0 {
		return nil
	}
	vs := *vars
	if len(vs) == 1 && vs[0].start == 0 && vs[0].end == len(value) && vs[0].escape == nil {
		vs[0].whole = true
	}
	return vs
}

func generateMeta(value string, vars *[]varSpan) strMeta {
	return strMeta{value: value, vars: normalizeVars(value, vars)}
}

func (p *varParser) parseString(start int) (string, error) {
	raw := p.value[start:p.index]
	if p.value[start] == '\'' {
		t := strings.TrimSpace(raw)
		return t[1 : len(t)-1], nil
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", p.fail("Invalid string literal at index %d in %q: %v", start, p.value, err)
	}
	return s, nil
}

func (p *varParser) parseLiteral(lit string, fallbackToInput bool) (any, error) {
	switch lit {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if f, ok := jsNumber(lit); ok {
		return f, nil
	}
	if fallbackToInput {
		return lit, nil
	}
	return nil, p.fail("Invalid literal source %q at index %d in %q", lit, p.sourceStart, p.value)
}

// jsNumber reports whether JavaScript's isNaN(lit) is false, and the number.
func jsNumber(lit string) (float64, bool) {
	t := strings.TrimSpace(lit)
	if t == "" {
		return 0, true
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		return float64(n), err == nil
	}
	if strings.ContainsAny(t, "_pPxX") || strings.EqualFold(strings.TrimLeft(t, "+-"), "inf") ||
		strings.EqualFold(strings.TrimLeft(t, "+-"), "infinity") || strings.EqualFold(t, "nan") {
		return 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	return f, err == nil
}

func (p *varParser) run() (result []varSpan, err error) {
	v := p.value
	for p.index = 0; p.index < len(v); p.index++ {
		c := v[p.index]
		switch p.state {
		case "out":
			switch c {
			case '\\':
				if p.escapeVarStart < 0 {
					p.escapeVarStart = p.index
				}
				p.state = "escapeVar"
			case '$':
				p.variableStart = p.index
				p.state = "maybeVariableOpen"
			default:
				p.escapeVarStart = -1
			}
		case "escapeVar":
			if c == '$' {
				p.state = "escapeVarDollar"
			} else {
				if c != '\\' {
					p.escapeVarStart = -1
				}
				p.state = "out"
			}
		case "escapeVarDollar":
			if c == '{' {
				p.registerVarEscape()
				p.state = "out"
			} else {
				p.escapeVarStart = -1
				switch c {
				case '\\':
					p.escapeVarStart = p.index
					p.state = "escapeVar"
				case '$':
					p.variableStart = p.index
					p.state = "maybeVariableOpen"
				default:
					p.state = "out"
				}
			}
		case "maybeVariableOpen":
			if c == '{' {
				if p.escapeVarStart >= 0 {
					p.registerSlashEscape()
				}
				p.state = "maybeTypeStart"
			} else {
				p.escapeVarStart = -1
				if c != '$' {
					p.releaseContext()
				}
			}
		case "maybeTypeStart":
			switch {
			case isLowerAlpha(c):
				p.sourceStart = p.index
				p.state = "maybeType"
			case p.anyNonForeignContext():
				return nil, p.fail("Invalid variable type at index %d in %q", p.index, v)
			case c == '}':
				p.releaseContext()
			default:
				p.state = "foreign"
				if c == '$' {
					p.registerContext(-1)
				}
			}
		case "maybeNextSourceStart":
			if c == ' ' {
				continue
			}
			p.sourceStart = p.index
			switch {
			case isAlnumDotDash(c):
				p.state = "typeOrSourceLiteral"
			case c == '"':
				p.strCtx, p.state = "afterSourceLiteralString", "doubleQuotedString"
			case c == '\'':
				p.strCtx, p.state = "afterSourceLiteralString", "singleQuotedString"
			default:
				return nil, p.fail("Invalid variable source at index %d in %q", p.index, v)
			}
		case "maybeType":
			switch {
			case c == ':':
				p.currentSource = &varSource{typ: v[p.sourceStart:p.index]}
				p.state = "maybeAddressStart"
			case c == '(':
				p.currentSource = &varSource{typ: v[p.sourceStart:p.index], hasParams: true}
				p.state = "paramStart"
			case !isAlnumDotDash(c):
				if p.anyNonForeignContext() {
					return nil, p.fail("Invalid variable type at index %d in %q", p.sourceStart, v)
				}
				if c == '}' {
					p.releaseContext()
				} else {
					p.state = "foreign"
					if c == '$' {
						p.registerContext(-1)
					}
				}
			}
		case "typeOrSourceLiteral":
			switch {
			case c == ' ':
				continue
			case c == ':' || c == '(':
				typ := v[p.sourceStart:p.index]
				if !isType(typ) {
					return nil, p.fail("Invalid variable source at index %d in %q", p.sourceStart, v)
				}
				p.currentSource = &varSource{typ: typ, hasParams: c == '('}
				if c == ':' {
					p.state = "maybeAddressStart"
				} else {
					p.state = "paramStart"
				}
			case c == '}':
				lit, err := p.parseLiteral(strings.TrimSpace(v[p.sourceStart:p.index]), false)
				if err != nil {
					return nil, err
				}
				p.currentSource = &varSource{literal: lit}
				p.finalizeVariable()
			case !isAlnumDotDash(c):
				return nil, p.fail("Invalid variable source at index %d in %q", p.sourceStart, v)
			}
		case "paramStart":
			switch c {
			case ' ':
				continue
			case ')':
				p.state = "maybeAddressOpen"
			case ',':
				p.currentSource.params = append(p.currentSource.params, strMeta{value: nil})
			case '}':
				return nil, p.fail("Invalid variable param at index %d in %q", p.index, v)
			default:
				p.paramStart = p.index
				p.startValue(c, p.paramStart, "param", "afterParamString")
			}
		case "param":
			switch c {
			case ')', ',':
				raw := strings.TrimSpace(v[p.paramStart:p.index])
				if c == ',' || raw != "" {
					if err := p.pushParam(raw); err != nil {
						return nil, err
					}
				}
				p.endParam(c)
			case '}':
				return nil, p.fail("Invalid variable param at index %d in %q", p.paramStart, v)
			case '$':
				p.registerContext(p.paramStart)
			}
		case "afterParamString":
			switch c {
			case ' ':
				continue
			case ')', ',':
				s, err := p.parseString(p.paramStart)
				if err != nil {
					return nil, err
				}
				p.currentSource.params = append(p.currentSource.params, strMeta{value: s})
				p.endParam(c)
			default:
				return nil, p.fail("Invalid variable param at index %d in %q", p.paramStart, v)
			}
		case "maybeAddressOpen":
			switch c {
			case ' ':
				continue
			case ':':
				p.state = "maybeAddressStart"
			case '}':
				p.finalizeVariable()
			case ',':
				p.finalizeSource()
			default:
				return nil, p.fail("Invalid variable address at index %d in %q", p.index, v)
			}
		case "maybeAddressStart":
			switch c {
			case ' ':
				continue
			case '}':
				p.finalizeVariable()
			case ',':
				p.finalizeSource()
			default:
				p.addressStart = p.index
				switch {
				case c != ':':
					p.startValue(c, p.addressStart, "address", "afterAddressString")
				case !p.currentSource.hasParams && !p.anyNonForeignContext():
					p.currentSource = nil
					p.state = "foreign"
				default:
					return nil, p.fail("Invalid variable address at index %d in %q", p.addressStart, v)
				}
			}
		case "address":
			switch c {
			case '}', ',':
				m := generateMeta(strings.TrimSpace(v[p.addressStart:p.index]), p.contextVariables)
				p.currentSource.address = &m
				p.endAddress(c)
			case '$':
				p.registerContext(p.addressStart)
			}
		case "afterAddressString":
			switch c {
			case ' ':
				continue
			case '}', ',':
				s, err := p.parseString(p.addressStart)
				if err != nil {
					return nil, err
				}
				p.currentSource.address = &strMeta{value: s}
				p.endAddress(c)
			default:
				return nil, p.fail("Invalid variable address at index %d in %q", p.addressStart, v)
			}
		case "afterSourceLiteralString":
			switch c {
			case ' ':
				continue
			case '}':
				s, err := p.parseString(p.sourceStart)
				if err != nil {
					return nil, err
				}
				p.currentSource = &varSource{literal: s}
				p.finalizeVariable()
			default:
				return nil, p.fail("Invalid variable source at index %d in %q", p.sourceStart, v)
			}
		case "foreign":
			switch c {
			case '}':
				p.releaseContext()
			case '$':
				p.registerContext(-1)
			}
		case "escapeString":
			p.state = "doubleQuotedString"
		case "doubleQuotedString":
			switch c {
			case '"':
				p.state = p.strCtx
			case '\\':
				p.state = "escapeString"
			}
		case "singleQuotedString":
			if c == '\'' {
				p.state = p.strCtx
			}
		}
	}
	if p.currentSource != nil || p.sources != nil {
		return nil, p.fail("Missing variable closing bracket in %s", v)
	}
	return normalizeVars(v, p.variables), nil
}

// endParam moves on from a param that c, ')' or ',', ended: to the
// address, or to the next param.
func (p *varParser) endParam(c byte) {
	if c == ')' {
		p.state = "maybeAddressOpen"
	} else {
		p.state = "paramStart"
	}
}

// endAddress finishes, after an address that c, '}' or ',', ended, the
// variable, or the source (another source follows).
func (p *varParser) endAddress(c byte) {
	if c == '}' {
		p.finalizeVariable()
	} else {
		p.finalizeSource()
	}
}

// startValue begins a param or an address whose first character c is at
// start: a quoted one is read as a string and then handled in state
// afterString, a bare one is read in state bare, where a $ opens a nested
// variable.
func (p *varParser) startValue(c byte, start int, bare, afterString string) {
	switch c {
	case '"':
		p.strCtx, p.state = afterString, "doubleQuotedString"
	case '\'':
		p.strCtx, p.state = afterString, "singleQuotedString"
	default:
		p.state = bare
		p.contextVariables = nil
		if c == '$' {
			p.registerContext(start)
		}
	}
}

func (p *varParser) pushParam(raw string) error {
	if p.contextVariables == nil {
		lit, err := p.parseLiteral(raw, true)
		if err != nil {
			return err
		}
		if s, ok := lit.(string); ok {
			p.currentSource.params = append(p.currentSource.params, strMeta{value: s})
		} else {
			p.currentSource.params = append(p.currentSource.params, strMeta{value: lit})
		}
		return nil
	}
	p.currentSource.params = append(p.currentSource.params, generateMeta(raw, p.contextVariables))
	return nil
}
