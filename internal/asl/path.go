package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// rootKind says what a path starts from.
type rootKind int

const (
	rootInput    rootKind = iota // $
	rootContext                  // $$
	rootVariable                 // $name
)

// Path is a compiled JSONPath (or reference path) over the state input, the
// context object ($$) or a variable ($name).
type Path struct {
	text     string
	root     rootKind
	variable string
	segs     []segment
	definite bool // selects at most one value (no wildcard, slice, filter, union, descent)
}

type segKind int

const (
	segField segKind = iota
	segIndex
	segWildcard
	segSlice
	segUnionNames
	segUnionIndexes
	segDescent // recursive descent; name "" with wildcard
	segFilter
)

type segment struct {
	kind     segKind
	name     string
	index    int
	names    []string
	indexes  []int
	start    *int
	end      *int
	step     int
	wildcard bool // for segDescent: ..*
	filter   filterExpr
}

// String returns the path as written in the definition.
func (p *Path) String() string { return p.text }

// IsContext reports whether the path starts at the context object ($$).
func (p *Path) IsContext() bool { return p.root == rootContext }

// Variable returns the variable name for $name paths, else "".
func (p *Path) Variable() string { return p.variable }

// IsDefinite reports whether the path selects at most one value.
func (p *Path) IsDefinite() bool { return p.definite }

// ParsePath compiles a JSONPath. Paths start with $ (input), $$ (context
// object) or $name (variable).
func ParsePath(text string) (*Path, error) {
	p := &Path{text: text, definite: true}
	s := text
	switch {
	case strings.HasPrefix(s, "$$"):
		p.root = rootContext
		s = s[2:]
	case strings.HasPrefix(s, "$"):
		s = s[1:]
		n := 0
		for n < len(s) && isVarChar(s[n], n == 0) {
			n++
		}
		if n > 0 {
			p.root = rootVariable
			p.variable = s[:n]
			s = s[n:]
		}
	default:
		return nil, fmt.Errorf("path %q must start with '$'", text)
	}
	for len(s) > 0 {
		seg, rest, err := parseSegment(s)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", text, err)
		}
		if seg.kind != segField && seg.kind != segIndex {
			p.definite = false
		}
		p.segs = append(p.segs, seg)
		s = rest
	}
	return p, nil
}

// MustParsePath is ParsePath for constants in code and tests; it panics on error.
func MustParsePath(text string) *Path {
	p, err := ParsePath(text)
	if err != nil {
		panic(err)
	}
	return p
}

func isVarChar(c byte, first bool) bool {
	if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
		return true
	}
	return !first && c >= '0' && c <= '9'
}

func isNameChar(c byte) bool {
	switch c {
	case '.', '[', ']', ' ', '\t', '\n', '\r', '(', ')', ',', '\'', '"':
		return false
	}
	return true
}

func parseSegment(s string) (segment, string, error) {
	switch {
	case strings.HasPrefix(s, ".."):
		s = s[2:]
		if strings.HasPrefix(s, "*") {
			return segment{kind: segDescent, wildcard: true}, s[1:], nil
		}
		if strings.HasPrefix(s, "[") {
			// $..['a'] is written with brackets; only a single name is supported.
			inner, rest, err := parseBracket(s)
			if err != nil {
				return segment{}, "", err
			}
			switch inner.kind {
			case segField:
				return segment{kind: segDescent, name: inner.name}, rest, nil
			case segWildcard:
				return segment{kind: segDescent, wildcard: true}, rest, nil
			}
			return segment{}, "", fmt.Errorf("unsupported recursive descent")
		}
		n := 0
		for n < len(s) && isNameChar(s[n]) {
			n++
		}
		if n == 0 {
			return segment{}, "", fmt.Errorf("missing name after '..'")
		}
		return segment{kind: segDescent, name: s[:n]}, s[n:], nil
	case strings.HasPrefix(s, "."):
		s = s[1:]
		if strings.HasPrefix(s, "*") {
			return segment{kind: segWildcard}, s[1:], nil
		}
		n := 0
		for n < len(s) && isNameChar(s[n]) {
			n++
		}
		if n == 0 {
			return segment{}, "", fmt.Errorf("missing name after '.'")
		}
		return segment{kind: segField, name: s[:n]}, s[n:], nil
	case strings.HasPrefix(s, "["):
		return parseBracket(s)
	}
	return segment{}, "", fmt.Errorf("unexpected %q", s)
}

// parseBracket parses one [...] selector.
func parseBracket(s string) (segment, string, error) {
	s = strings.TrimLeft(s[1:], " ")
	if strings.HasPrefix(s, "?") {
		f, rest, err := parseFilter(s[1:])
		if err != nil {
			return segment{}, "", err
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, "]") {
			return segment{}, "", fmt.Errorf("missing ']' after filter")
		}
		return segment{kind: segFilter, filter: f}, rest[1:], nil
	}
	if strings.HasPrefix(s, "*") {
		rest := strings.TrimLeft(s[1:], " ")
		if !strings.HasPrefix(rest, "]") {
			return segment{}, "", fmt.Errorf("missing ']'")
		}
		return segment{kind: segWildcard}, rest[1:], nil
	}
	if strings.HasPrefix(s, "'") || strings.HasPrefix(s, "\"") {
		var names []string
		for {
			name, rest, err := parseQuoted(s)
			if err != nil {
				return segment{}, "", err
			}
			names = append(names, name)
			rest = strings.TrimLeft(rest, " ")
			if strings.HasPrefix(rest, "]") {
				s = rest[1:]
				break
			}
			if !strings.HasPrefix(rest, ",") {
				return segment{}, "", fmt.Errorf("expected ',' or ']'")
			}
			s = strings.TrimLeft(rest[1:], " ")
		}
		if len(names) == 1 {
			return segment{kind: segField, name: names[0]}, s, nil
		}
		return segment{kind: segUnionNames, names: names}, s, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return segment{}, "", fmt.Errorf("missing ']'")
	}
	body, rest := strings.TrimSpace(s[:end]), s[end+1:]
	if strings.Contains(body, ":") {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return segment{}, "", fmt.Errorf("invalid slice %q", body)
		}
		seg := segment{kind: segSlice, step: 1}
		for i, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return segment{}, "", fmt.Errorf("invalid slice %q", body)
			}
			switch i {
			case 0:
				seg.start = &n
			case 1:
				seg.end = &n
			case 2:
				if n == 0 {
					return segment{}, "", fmt.Errorf("slice step cannot be zero")
				}
				seg.step = n
			}
		}
		return seg, rest, nil
	}
	var idx []int
	for _, part := range strings.Split(body, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return segment{}, "", fmt.Errorf("invalid index %q", body)
		}
		idx = append(idx, n)
	}
	if len(idx) == 1 {
		return segment{kind: segIndex, index: idx[0]}, rest, nil
	}
	return segment{kind: segUnionIndexes, indexes: idx}, rest, nil
}

func parseQuoted(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("expected a quoted name")
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == q:
			// Only the quote itself is unescaped: AWS keeps other backslashes.
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted name")
}

// rootValue picks the value a path starts from.
func (p *Path) rootValue(input any, env *Env) (any, bool) {
	switch p.root {
	case rootContext:
		if env == nil {
			return nil, false
		}
		return env.context(), true
	case rootVariable:
		if env == nil || env.Vars == nil {
			return nil, false
		}
		v, ok := env.Vars[p.variable]
		return v, ok
	}
	return input, true
}

// pathNotFound is returned by Get when a definite path selects nothing; its
// text is Jayway's, which AWS quotes in "Invalid path" causes.
type pathNotFound struct{ path *Path }

func (e *pathNotFound) Error() string { return "No results for path: " + e.path.Normalized() }

// Get evaluates the path. A definite path returns the value it selects and an
// error when there is none; an indefinite path ($..x, [*], slices, filters)
// returns the list of matches ([]any, possibly empty).
func (p *Path) Get(input any, env *Env) (any, error) {
	if p.definite && p.root == rootContext && len(p.segs) > 0 && p.segs[0].kind == segField &&
		env != nil && env.Context == nil && env.ContextSource != nil {
		// $$.Field...: ask for the field alone.
		v, ok := env.ContextSource.ContextField(p.segs[0].name)
		if !ok {
			return nil, &pathNotFound{p}
		}
		return p.getDefinite(v, p.segs[1:])
	}
	root, ok := p.rootValue(input, env)
	if !ok {
		return nil, &pathNotFound{p}
	}
	if p.definite {
		return p.getDefinite(root, p.segs)
	}
	out := []any{}
	cur := []any{root}
	for _, s := range p.segs {
		var next []any
		for _, v := range cur {
			next = s.apply(v, next)
		}
		cur = next
	}
	out = append(out, cur...)
	return out, nil
}

// getDefinite follows a definite path's segments from cur.
func (p *Path) getDefinite(cur any, segs []segment) (any, error) {
	for _, s := range segs {
		switch s.kind {
		case segField:
			var ok bool
			switch x := cur.(type) {
			case *jsonvalue.Object:
				cur, ok = x.Get(s.name)
			case map[string]any:
				cur, ok = x[s.name]
			case Object:
				cur, ok = x.Field(s.name)
			}
			if !ok {
				return nil, &pathNotFound{p}
			}
		case segIndex:
			a, ok := cur.([]any)
			if !ok {
				return nil, &pathNotFound{p}
			}
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, &pathNotFound{p}
			}
			cur = a[i]
		}
	}
	if o, ok := cur.(Object); ok {
		return o.Value(), nil
	}
	return cur, nil
}

// Exists reports whether a definite path selects a value (used by IsPresent).
func (p *Path) Exists(input any, env *Env) bool {
	v, err := p.Get(input, env)
	if err != nil {
		return false
	}
	if !p.definite {
		a, _ := v.([]any)
		return len(a) > 0
	}
	return true
}

// Field returns member k of an object value (an *jsonvalue.Object, or a
// map made by Go code).
func Field(v any, k string) (any, bool) {
	switch x := v.(type) {
	case *jsonvalue.Object:
		return x.Get(k)
	case map[string]any:
		e, ok := x[k]
		return e, ok
	}
	return nil, false
}

// objectOf returns v as an ordered object: itself, or a Go map made into
// one (keys sorted: a map has no order; Go code builds some values as maps).
func objectOf(v any) (*jsonvalue.Object, bool) {
	switch x := v.(type) {
	case *jsonvalue.Object:
		return x, true
	case map[string]any:
		return jsonvalue.FromMap(x), true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// apply appends the values segment s selects from v to out.
func (s *segment) apply(v any, out []any) []any {
	switch s.kind {
	case segField:
		if m, ok := objectOf(v); ok {
			if x, ok := m.Get(s.name); ok {
				out = append(out, x)
			}
		}
	case segIndex:
		if a, ok := v.([]any); ok {
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
	case segUnionNames:
		if m, ok := objectOf(v); ok {
			for _, n := range s.names {
				if x, ok := m.Get(n); ok {
					out = append(out, x)
				}
			}
		}
	case segUnionIndexes:
		if a, ok := v.([]any); ok {
			for _, i := range s.indexes {
				if i < 0 {
					i += len(a)
				}
				if i >= 0 && i < len(a) {
					out = append(out, a[i])
				}
			}
		}
	case segWildcard:
		out = appendChildren(v, out)
	case segSlice:
		a, ok := v.([]any)
		if !ok {
			return out
		}
		n := len(a)
		norm := func(p *int, def int) int {
			if p == nil {
				return def
			}
			i := *p
			if i < 0 {
				i += n
			}
			if i < 0 {
				i = 0
			}
			if i > n {
				i = n
			}
			return i
		}
		if s.step > 0 {
			for i := norm(s.start, 0); i < norm(s.end, n); i += s.step {
				out = append(out, a[i])
			}
		} else {
			start := n - 1
			if s.start != nil {
				start = norm(s.start, n-1)
				if start >= n {
					start = n - 1
				}
			}
			end := -1
			if s.end != nil {
				end = norm(s.end, -1)
			}
			for i := start; i > end && i >= 0; i += s.step {
				out = append(out, a[i])
			}
		}
	case segDescent:
		out = s.descend(v, out)
	case segFilter:
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if s.filter.match(e) {
					out = append(out, e)
				}
			}
		case *jsonvalue.Object, map[string]any:
			m, _ := objectOf(x)
			for i := range m.Len() {
				if _, e := m.At(i); s.filter.match(e) {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

func appendChildren(v any, out []any) []any {
	switch x := v.(type) {
	case *jsonvalue.Object, map[string]any:
		m, _ := objectOf(x)
		for i := range m.Len() {
			_, e := m.At(i)
			out = append(out, e)
		}
	case []any:
		out = append(out, x...)
	}
	return out
}

// descend implements ..name and ..* in document (pre-)order.
func (s *segment) descend(v any, out []any) []any {
	switch x := v.(type) {
	case *jsonvalue.Object, map[string]any:
		m, _ := objectOf(x)
		if s.wildcard {
			out = appendChildren(m, out)
		} else if e, ok := m.Get(s.name); ok {
			out = append(out, e)
		}
		for i := range m.Len() {
			_, e := m.At(i)
			out = s.descend(e, out)
		}
	case []any:
		if s.wildcard {
			out = append(out, x...)
		}
		for _, e := range x {
			out = s.descend(e, out)
		}
	}
	return out
}

// Normalized renders the path in bracket notation, as AWS's error messages
// do: $.a[0].b -> $['a'][0]['b'].
func (p *Path) Normalized() string {
	var b strings.Builder
	switch p.root {
	case rootContext:
		b.WriteString("$$")
	case rootVariable:
		b.WriteString("$" + p.variable)
	default:
		b.WriteString("$")
	}
	for _, s := range p.segs {
		switch s.kind {
		case segField:
			b.WriteString("['" + s.name + "']")
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case segWildcard:
			b.WriteString("[*]")
		case segDescent:
			if s.wildcard {
				b.WriteString("..[*]")
			} else {
				b.WriteString("..['" + s.name + "']")
			}
		case segUnionNames:
			b.WriteString("['" + strings.Join(s.names, "','") + "']")
		default:
			return p.text
		}
	}
	return b.String()
}

// jsonText renders a value as compact JSON, the way AWS quotes inputs in causes.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
