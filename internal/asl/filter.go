package asl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// filterExpr is a compiled [?( ... )] predicate evaluated against one element (@).
type filterExpr interface {
	match(cur any) bool
}

type filterOr struct{ l, r filterExpr }
type filterAnd struct{ l, r filterExpr }
type filterNot struct{ e filterExpr }

// filterCmp compares two operands; with op "" it tests that the left one exists.
type filterCmp struct {
	left, right filterOperand
	op          string
	re          *regexp.Regexp
}

type filterOperand struct {
	path    *Path // relative to @ (root input) when at is true
	literal any
	isPath  bool
}

func (f filterOr) match(c any) bool  { return f.l.match(c) || f.r.match(c) }
func (f filterAnd) match(c any) bool { return f.l.match(c) && f.r.match(c) }
func (f filterNot) match(c any) bool { return !f.e.match(c) }

func (o filterOperand) value(cur any) (any, bool) {
	if !o.isPath {
		return o.literal, true
	}
	v, err := o.path.Get(cur, nil)
	if err != nil {
		return nil, false
	}
	return v, true
}

func (f filterCmp) match(cur any) bool {
	l, ok := f.left.value(cur)
	if !ok {
		return false
	}
	if f.op == "" {
		return true
	}
	if f.op == "=~" {
		s, ok := l.(string)
		return ok && f.re.MatchString(s)
	}
	r, ok := f.right.value(cur)
	if !ok {
		return false
	}
	switch f.op {
	case "==":
		return jsonEqual(l, r)
	case "!=":
		return !jsonEqual(l, r)
	}
	c, ok := compareOrdered(l, r)
	if !ok {
		return false
	}
	switch f.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// compareOrdered compares two numbers or two strings.
func compareOrdered(a, b any) (int, bool) {
	if an, ok := a.(json.Number); ok {
		if bn, ok := b.(json.Number); ok {
			return compareNumbers(an, bn), true
		}
		return 0, false
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), true
		}
	}
	return 0, false
}

type filterParser struct {
	s   string
	pos int
}

// parseFilter parses "(expr)" following "[?" and returns the rest after ")".
func parseFilter(s string) (filterExpr, string, error) {
	p := &filterParser{s: s}
	p.skip()
	if !p.eat("(") {
		return nil, "", fmt.Errorf("filter must start with '('")
	}
	e, err := p.or()
	if err != nil {
		return nil, "", err
	}
	p.skip()
	if !p.eat(")") {
		return nil, "", fmt.Errorf("missing ')' in filter")
	}
	return e, p.s[p.pos:], nil
}

func (p *filterParser) skip() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *filterParser) or() (filterExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = filterOr{l, r}
	}
	return l, nil
}

func (p *filterParser) and() (filterExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = filterAnd{l, r}
	}
	return l, nil
}

func (p *filterParser) unary() (filterExpr, error) {
	if p.eat("!") {
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return filterNot{e}, nil
	}
	if p.eat("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, fmt.Errorf("missing ')' in filter")
		}
		return e, nil
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if p.eat(op) {
			c := filterCmp{left: left, op: op}
			if op == "=~" {
				p.skip()
				if !strings.HasPrefix(p.s[p.pos:], "/") {
					return nil, fmt.Errorf("regex must be written /.../")
				}
				end := strings.IndexByte(p.s[p.pos+1:], '/')
				if end < 0 {
					return nil, fmt.Errorf("unterminated regex")
				}
				re, err := regexp.Compile(p.s[p.pos+1 : p.pos+1+end])
				if err != nil {
					return nil, fmt.Errorf("invalid regex: %w", err)
				}
				p.pos += end + 2
				c.re = re
				return c, nil
			}
			right, err := p.operand()
			if err != nil {
				return nil, err
			}
			c.right = right
			return c, nil
		}
	}
	if !left.isPath {
		return nil, fmt.Errorf("filter operand must be a path")
	}
	return filterCmp{left: left}, nil
}

func (p *filterParser) operand() (filterOperand, error) {
	p.skip()
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "@"):
		n := pathEnd(rest[1:]) + 1
		path, err := ParsePath("$" + rest[1:n])
		if err != nil {
			return filterOperand{}, err
		}
		p.pos += n
		return filterOperand{path: path, isPath: true}, nil
	case strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, "\""):
		s, after, err := parseQuoted(rest)
		if err != nil {
			return filterOperand{}, err
		}
		p.pos += len(rest) - len(after)
		return filterOperand{literal: s}, nil
	case strings.HasPrefix(rest, "true"):
		p.pos += 4
		return filterOperand{literal: true}, nil
	case strings.HasPrefix(rest, "false"):
		p.pos += 5
		return filterOperand{literal: false}, nil
	case strings.HasPrefix(rest, "null"):
		p.pos += 4
		return filterOperand{literal: nil}, nil
	}
	n := 0
	for n < len(rest) && strings.IndexByte("+-0123456789.eE", rest[n]) >= 0 {
		n++
	}
	if n == 0 {
		return filterOperand{}, fmt.Errorf("unexpected %q in filter", rest)
	}
	num, err := parseNumber(rest[:n])
	if err != nil {
		return filterOperand{}, err
	}
	p.pos += n
	return filterOperand{literal: num}, nil
}

// pathEnd finds where a relative path (after @) ends inside a filter.
func pathEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return i
			}
			depth--
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return len(s)
			}
			i += j + 1
		case depth == 0 && (c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|'):
			return i
		}
	}
	return len(s)
}
