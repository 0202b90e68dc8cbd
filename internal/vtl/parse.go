package vtl

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// maxNesting caps directive and expression nesting so that hostile templates
// cannot exhaust the goroutine stack while parsing or rendering.
const maxNesting = 200

// Template is a parsed VTL template. It is immutable (but for a size hint)
// and safe for concurrent use by multiple goroutines.
type Template struct {
	name   string
	src    string
	nodes  []node
	macros map[string]*macroDef
	// outHint is the size of the last output, what the next render's
	// buffer starts with rather than growing to it step by step.
	outHint atomic.Int64
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Parse parses a VTL template. name identifies the template in errors; a
// syntax error is a *SyntaxError carrying the line and column.
func Parse(name, src string) (t *Template, err error) {
	p := &parser{name: name, src: src, end: len(src), macros: map[string]*macroDef{}}
	defer func() {
		// The parser reports errors by panicking with *SyntaxError; any other
		// panic would be a bug, which we still turn into an error, never a crash.
		if r := recover(); r != nil {
			if se, ok := r.(*SyntaxError); ok {
				t, err = nil, se
				return
			}
			t, err = nil, p.errorf(p.pos, "internal parser error: %v", r)
		}
	}()
	nodes, term := p.parseBlock()
	if term != "" {
		p.fail(p.termPos, "unexpected #%s", term)
	}
	return &Template{name: name, src: src, nodes: nodes, macros: p.macros}, nil
}

type parser struct {
	name    string
	src     string
	pos     int
	end     int
	depth   int
	termPos int
	macros  map[string]*macroDef
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	line, col := lineCol(p.src, pos)
	return &SyntaxError{Template: p.name, Line: line, Col: col, Msg: sprintf(format, args...)}
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(p.errorf(pos, format, args...))
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > maxNesting {
		p.fail(pos, "nesting deeper than %d", maxNesting)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) peek(off int) byte {
	if p.pos+off < p.end {
		return p.src[p.pos+off]
	}
	return 0
}

func (p *parser) hasPrefix(s string) bool {
	return p.pos+len(s) <= p.end && p.src[p.pos:p.pos+len(s)] == s
}

// parseBlock reads template content until EOF or a block terminator
// (#end, #else, #elseif), returning the terminator's name ("" at EOF).
// For "elseif" the parser is left just after the keyword.
func (p *parser) parseBlock() ([]node, string) {
	var nodes []node
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			nodes = append(nodes, &textNode{s: text.String()})
			text.Reset()
		}
	}
	for p.pos < p.end {
		// Velocity 1.7's SET_DIRECTIVE token swallows the spaces and tabs
		// before #set when they start a new token (see doc.go).
		if q := p.setAhead(); q >= 0 {
			p.pos = q
		}
		c := p.src[p.pos]
		switch c {
		case '$':
			if n := p.tryReference(0); n != nil {
				flush()
				nodes = append(nodes, n)
				continue
			}
			text.WriteByte(c)
			p.pos++
			if p.pos < p.end && p.src[p.pos] == '!' {
				text.WriteByte('!')
				p.pos++
			}
		case '\\':
			start := p.pos
			for p.pos < p.end && p.src[p.pos] == '\\' {
				p.pos++
			}
			n := p.pos - start
			if p.pos < p.end && p.src[p.pos] == '$' {
				if ref := p.tryReference(n); ref != nil {
					flush()
					nodes = append(nodes, ref)
					continue
				}
			}
			if p.pos < p.end && p.src[p.pos] == '#' {
				if w, ok := p.directiveWordAt(p.pos); ok && isEscapableDirective(w) {
					// \#if prints #if; \\#if prints \ and runs the directive.
					text.WriteString(strings.Repeat("\\", n/2))
					if n%2 == 1 {
						text.WriteString(p.src[p.pos : p.pos+1+len(w)])
						p.pos += 1 + len(w)
					}
					continue
				}
			}
			text.WriteString(p.src[start:p.pos])
		case '#':
			handled, term, n := p.hashAt()
			if term != "" {
				flush()
				return nodes, term
			}
			if handled {
				if n != nil {
					flush()
					nodes = append(nodes, n)
				}
				continue
			}
			text.WriteByte('#')
			p.pos++
		default:
			start := p.pos
			for p.pos < p.end {
				c := p.src[p.pos]
				if c == '$' || c == '#' || c == '\\' {
					break
				}
				p.pos++
			}
			text.WriteString(p.src[start:p.pos])
		}
	}
	flush()
	return nodes, ""
}

func isEscapableDirective(w string) bool {
	switch strings.Trim(w, "{}") {
	case "if", "elseif", "else", "end", "set", "foreach", "break", "stop", "define", "macro":
		return true
	}
	return false
}

// setAhead reports where a #set directive preceded by blanks starts, or -1.
func (p *parser) setAhead() int {
	q := p.pos
	for q < p.end && (p.src[q] == ' ' || p.src[q] == '\t') {
		q++
	}
	if q == p.pos || q >= p.end || p.src[q] != '#' {
		return -1
	}
	rest := p.src[q:p.end]
	var after string
	switch {
	case strings.HasPrefix(rest, "#set"):
		after = rest[4:]
	case strings.HasPrefix(rest, "#{set}"):
		after = rest[6:]
	default:
		return -1
	}
	after = strings.TrimLeft(after, " ")
	if strings.HasPrefix(after, "(") {
		return q
	}
	return -1
}

// directiveWordAt reads the directive word after the '#' at pos: "if",
// "{if}", "foo". ok is false when no word follows.
func (p *parser) directiveWordAt(pos int) (string, bool) {
	i := pos + 1
	if i < p.end && p.src[i] == '{' {
		j := i + 1
		if j >= p.end || !(isAlpha(p.src[j]) || p.src[j] == '_') {
			return "", false
		}
		for j < p.end && isDirectiveChar(p.src[j]) {
			j++
		}
		if j < p.end && p.src[j] == '}' {
			return p.src[i : j+1], true
		}
		return "", false
	}
	if i >= p.end || !(isAlpha(p.src[i]) || p.src[i] == '_' || p.src[i] == '@') {
		return "", false
	}
	j := i
	for j < p.end && isDirectiveChar(p.src[j]) {
		j++
	}
	return p.src[i:j], true
}

// eatLineEnd swallows blanks followed by one newline, as Velocity 1.7 does
// after a directive's closing parenthesis and after #else and #end.
func (p *parser) eatLineEnd() {
	q := p.pos
	for q < p.end && (p.src[q] == ' ' || p.src[q] == '\t') {
		q++
	}
	switch {
	case q < p.end && p.src[q] == '\n':
		p.pos = q + 1
	case q+1 < p.end && p.src[q] == '\r' && p.src[q+1] == '\n':
		p.pos = q + 2
	case q < p.end && p.src[q] == '\r':
		p.pos = q + 1
	}
}

// hashAt handles a '#' at p.pos. It returns handled=false when the '#' is
// plain text, a terminator name for #end/#else/#elseif, or a node.
func (p *parser) hashAt() (handled bool, term string, n node) {
	start := p.pos
	switch {
	case p.hasPrefix("##"):
		for p.pos < p.end && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
			p.pos++
		}
		if p.hasPrefix("\r\n") {
			p.pos += 2
		} else if p.pos < p.end {
			p.pos++
		}
		return true, "", nil
	case p.hasPrefix("#*"):
		i := strings.Index(p.src[p.pos+2:p.end], "*#")
		if i < 0 {
			p.fail(start, "unterminated #* comment")
		}
		p.pos += 2 + i + 2
		return true, "", nil
	case p.hasPrefix("#[["):
		i := strings.Index(p.src[p.pos+3:p.end], "]]#")
		if i < 0 {
			p.fail(start, "unterminated #[[ text block")
		}
		s := p.src[p.pos+3 : p.pos+3+i]
		p.pos += 3 + i + 3
		return true, "", &textNode{s: s}
	}
	w, ok := p.directiveWordAt(p.pos)
	if !ok {
		return false, "", nil
	}
	word := strings.Trim(w, "{}")
	after := p.pos + 1 + len(w)
	switch word {
	case "end", "else":
		p.termPos = start
		p.pos = after
		p.eatLineEnd()
		return true, word, nil
	case "elseif":
		p.termPos = start
		p.pos = after
		return true, word, nil
	case "if":
		p.pos = after
		return true, "", p.parseIf(start)
	case "set":
		p.pos = after
		return true, "", p.parseSet(start)
	case "foreach":
		p.pos = after
		return true, "", p.parseForeach(start)
	case "break":
		p.pos = after
		return true, "", &breakNode{pos: start}
	case "stop":
		p.pos = after
		return true, "", &stopNode{pos: start}
	case "define":
		p.pos = after
		return true, "", p.parseDefine(start)
	case "macro":
		p.pos = after
		p.parseMacro(start)
		return true, "", nil
	case "parse", "include", "evaluate":
		p.pos = after
		if p.skipToParen() {
			p.pos++
			p.parseArgs(')')
			p.eatLineEnd()
		}
		return true, "", &unsupportedNode{pos: start, name: word}
	}
	// Anything else followed by '(' is a Velocimacro call; without '(' it
	// is plain text, as in "#hashtag" or a CSS colour.
	p.pos = after
	if !p.skipToParen() {
		p.pos = start
		return false, "", nil
	}
	p.pos++
	var args []expr
	if _, defined := p.macros[word]; defined {
		args = p.parseArgs(')')
	} else if !p.attempt(func() { args = p.parseArgs(')') }) {
		// Not a well-formed call of a macro we know: "#word(" is text.
		p.pos = start
		return false, "", nil
	}
	lit := p.src[start:p.pos]
	p.eatLineEnd()
	return true, "", &macroCallNode{pos: start, name: word, args: args, literal: lit}
}

// attempt runs f and reports whether it parsed without a syntax error,
// restoring the parser's position and depth when it did not.
func (p *parser) attempt(f func()) (ok bool) {
	pos, depth := p.pos, p.depth
	defer func() {
		if r := recover(); r != nil {
			if _, isSyntax := r.(*SyntaxError); !isSyntax {
				panic(r)
			}
			p.pos, p.depth, ok = pos, depth, false
		}
	}()
	f()
	return true
}

// skipToParen moves past blanks to a '(' and reports whether one is there;
// otherwise it leaves the position unchanged.
func (p *parser) skipToParen() bool {
	q := p.pos
	for q < p.end && isSpace(p.src[q]) {
		q++
	}
	if q < p.end && p.src[q] == '(' {
		p.pos = q
		return true
	}
	return false
}

func (p *parser) expectParen(directive string, start int) {
	if !p.skipToParen() {
		p.fail(start, "#%s needs '('", directive)
	}
	p.pos++
}

func (p *parser) closeParen(directive string, start int) {
	p.skipWS()
	if p.pos >= p.end || p.src[p.pos] != ')' {
		p.fail(p.pos, "expected ')' to close #%s", directive)
	}
	p.pos++
	p.eatLineEnd()
}

func (p *parser) parseIf(start int) node {
	p.enter(start)
	defer p.leave()
	n := &ifNode{}
	p.expectParen("if", start)
	n.conds = append(n.conds, p.parseExpr())
	p.closeParen("if", start)
	for {
		body, term := p.parseBlock()
		switch term {
		case "":
			p.fail(start, "#if without #end")
		case "end":
			if len(n.blocks) < len(n.conds) {
				n.blocks = append(n.blocks, body)
			} else {
				n.elseBlock = body
			}
			return n
		case "elseif":
			if len(n.blocks) == len(n.conds) {
				p.fail(p.termPos, "#elseif after #else")
			}
			n.blocks = append(n.blocks, body)
			p.expectParen("elseif", p.termPos)
			n.conds = append(n.conds, p.parseExpr())
			p.closeParen("elseif", start)
		case "else":
			if len(n.blocks) == len(n.conds) {
				p.fail(p.termPos, "#else after #else")
			}
			n.blocks = append(n.blocks, body)
		}
	}
}

func (p *parser) parseSet(start int) node {
	// #set allows only spaces before its '(' (SET_DIRECTIVE token).
	for p.pos < p.end && p.src[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= p.end || p.src[p.pos] != '(' {
		p.fail(start, "#set needs '('")
	}
	p.pos++
	p.skipWS()
	if p.pos >= p.end || p.src[p.pos] != '$' {
		p.fail(p.pos, "#set needs a reference on the left of '='")
	}
	ref := p.parseRefExpr()
	if ref == nil {
		p.fail(p.pos, "#set needs a reference on the left of '='")
	}
	p.skipWS()
	if p.pos >= p.end || p.src[p.pos] != '=' || p.peek(1) == '=' {
		p.fail(p.pos, "expected '=' in #set")
	}
	p.pos++
	val := p.parseExpr()
	p.closeParen("set", start)
	return &setNode{pos: start, target: ref, value: val}
}

func (p *parser) parseForeach(start int) node {
	p.enter(start)
	defer p.leave()
	p.expectParen("foreach", start)
	p.skipWS()
	if p.pos >= p.end || p.src[p.pos] != '$' {
		p.fail(p.pos, "#foreach needs a loop variable")
	}
	ref := p.parseRefExpr()
	if ref == nil || len(ref.parts) > 0 {
		p.fail(start, "#foreach needs a simple loop variable")
	}
	p.skipWS()
	if !p.hasPrefix("in") || (p.pos+2 < p.end && isIdentChar(p.src[p.pos+2])) {
		p.fail(p.pos, "expected 'in' in #foreach")
	}
	p.pos += 2
	iter := p.parseExpr()
	p.closeParen("foreach", start)
	body, term := p.parseBlock()
	if term != "end" {
		if term == "" {
			p.fail(start, "#foreach without #end")
		}
		p.fail(p.termPos, "unexpected #%s in #foreach", term)
	}
	return &foreachNode{pos: start, varName: ref.name, iter: iter, body: body}
}

func (p *parser) parseDefine(start int) node {
	p.enter(start)
	defer p.leave()
	p.expectParen("define", start)
	p.skipWS()
	ref := p.parseRefExpr()
	if ref == nil || len(ref.parts) > 0 {
		p.fail(start, "#define needs a simple reference")
	}
	p.closeParen("define", start)
	body, term := p.parseBlock()
	if term != "end" {
		p.fail(start, "#define without #end")
	}
	return &defineNode{name: ref.name, body: body}
}

func (p *parser) parseMacro(start int) {
	p.enter(start)
	defer p.leave()
	p.expectParen("macro", start)
	p.skipWS()
	nameStart := p.pos
	for p.pos < p.end && isDirectiveChar(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[nameStart:p.pos]
	if name == "" {
		p.fail(nameStart, "#macro needs a name")
	}
	m := &macroDef{name: name}
	for {
		p.skipWS()
		if p.pos < p.end && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < p.end && p.src[p.pos] == '$' {
			ref := p.parseRefExpr()
			if ref == nil || len(ref.parts) > 0 {
				p.fail(p.pos, "bad #macro parameter")
			}
			m.params = append(m.params, ref.name)
			continue
		}
		break
	}
	p.closeParen("macro", start)
	body, term := p.parseBlock()
	if term != "end" {
		p.fail(start, "#macro without #end")
	}
	m.body = body
	p.macros[name] = m
}

// parseArgs reads arguments separated by blanks or commas up to close.
func (p *parser) parseArgs(close byte) []expr {
	var args []expr
	for {
		p.skipWS()
		if p.pos >= p.end {
			p.fail(p.pos, "expected '%c'", close)
		}
		if p.src[p.pos] == close {
			p.pos++
			return args
		}
		if p.src[p.pos] == ',' && len(args) > 0 {
			p.pos++
			continue
		}
		args = append(args, p.parseExpr())
	}
}

// ---- references ----

// tryReference parses a reference at p.pos (a '$'); escapes is the number
// of backslashes already consumed. It returns nil, leaving the position,
// when the '$' does not start a reference.
func (p *parser) tryReference(escapes int) node {
	start := p.pos
	ref := p.parseRefExpr()
	if ref == nil {
		p.pos = start
		return nil
	}
	return &refNode{ref: ref, escapes: escapes}
}

// parseRefExpr parses $name..., $!name..., ${name...}, $!{name...}.
func (p *parser) parseRefExpr() *refExpr {
	start := p.pos
	i := p.pos + 1
	quiet := false
	if i < p.end && p.src[i] == '!' {
		quiet = true
		i++
	}
	formal := false
	if i < p.end && p.src[i] == '{' {
		formal = true
		i++
	}
	if i >= p.end || !(isAlpha(p.src[i]) || p.src[i] == '_') {
		return nil
	}
	j := i
	for j < p.end && isIdentChar(p.src[j]) {
		j++
	}
	ref := &refExpr{pos: start, name: p.src[i:j], quiet: quiet}
	p.pos = j
	p.enter(start)
	defer p.leave()
	for p.pos < p.end {
		c := p.src[p.pos]
		if c == '.' && p.pos+1 < p.end && isAlpha(p.src[p.pos+1]) {
			k := p.pos + 1
			for k < p.end && isIdentChar(p.src[k]) {
				k++
			}
			part := refPart{kind: partProp, name: p.src[p.pos+1 : k], pos: p.pos}
			p.pos = k
			if p.pos < p.end && p.src[p.pos] == '(' {
				p.pos++
				part.kind = partMethod
				part.args = p.parseMethodArgs()
			}
			ref.parts = append(ref.parts, part)
			continue
		}
		if c == '[' {
			pos := p.pos
			p.pos++
			idx := p.parseExpr()
			p.skipWS()
			if p.pos >= p.end || p.src[p.pos] != ']' {
				p.fail(pos, "expected ']'")
			}
			p.pos++
			ref.parts = append(ref.parts, refPart{kind: partIndex, idx: idx, pos: pos})
			continue
		}
		break
	}
	if formal {
		if p.pos >= p.end || p.src[p.pos] != '}' {
			p.fail(start, "expected '}' to close ${")
		}
		p.pos++
	}
	ref.literal = p.src[start:p.pos]
	return ref
}

func (p *parser) parseMethodArgs() []expr {
	var args []expr
	p.skipWS()
	if p.pos < p.end && p.src[p.pos] == ')' {
		p.pos++
		return args
	}
	for {
		args = append(args, p.parseExpr())
		p.skipWS()
		if p.pos >= p.end {
			p.fail(p.pos, "expected ')' after method arguments")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args
		default:
			p.fail(p.pos, "expected ',' or ')' in method arguments")
		}
	}
}

// ---- expressions ----

func (p *parser) skipWS() {
	for p.pos < p.end {
		c := p.src[p.pos]
		if isSpace(c) {
			p.pos++
			continue
		}
		if c == '#' && p.hasPrefix("##") {
			for p.pos < p.end && p.src[p.pos] != '\n' {
				p.pos++
			}
			continue
		}
		if c == '#' && p.hasPrefix("#*") {
			i := strings.Index(p.src[p.pos+2:p.end], "*#")
			if i < 0 {
				p.fail(p.pos, "unterminated #* comment")
			}
			p.pos += 2 + i + 2
			continue
		}
		return
	}
}

func (p *parser) parseExpr() expr {
	p.enter(p.pos)
	defer p.leave()
	return p.parseBinary(0)
}

// word reports whether the keyword w is at the position (not part of a
// longer identifier).
func (p *parser) word(w string) bool {
	if !p.hasPrefix(w) {
		return false
	}
	e := p.pos + len(w)
	return e >= p.end || !isIdentChar(p.src[e])
}

// binOp is one spelling of a binary operator: tok as written in the
// template, op as the evaluator knows it. A word (and, eq, lt, ...) must
// not run on into an identifier.
type binOp struct {
	tok, op string
	word    bool
}

// binLevels lists the binary operators from the loosest binding to the
// tightest; all are left-associative. Within a level a longer token comes
// before its prefix ("<=" before "<").
var binLevels = [][]binOp{
	{{tok: "||", op: "||"}, {tok: "or", op: "||", word: true}},
	{{tok: "&&", op: "&&"}, {tok: "and", op: "&&", word: true}},
	{
		{tok: "==", op: "=="}, {tok: "!=", op: "!="},
		{tok: "eq", op: "==", word: true}, {tok: "ne", op: "!=", word: true},
	},
	{
		{tok: "<=", op: "<="}, {tok: ">=", op: ">="},
		{tok: "<", op: "<"}, {tok: ">", op: ">"},
		{tok: "le", op: "<=", word: true}, {tok: "ge", op: ">=", word: true},
		{tok: "lt", op: "<", word: true}, {tok: "gt", op: ">", word: true},
	},
	{{tok: "+", op: "+"}, {tok: "-", op: "-"}},
	{{tok: "*", op: "*"}, {tok: "/", op: "/"}, {tok: "%", op: "%"}},
}

// parseBinary parses a chain of operands joined by the operators of
// binLevels[level], each operand being an expression of the next level.
func (p *parser) parseBinary(level int) expr {
	if level == len(binLevels) {
		return p.parseUnary()
	}
	l := p.parseBinary(level + 1)
	for {
		p.skipWS()
		pos := p.pos
		op, ok := p.binOp(binLevels[level])
		if !ok {
			return l
		}
		l = &binExpr{pos: pos, op: op, l: l, r: p.parseBinary(level + 1)}
	}
}

// binOp consumes the first of ops at the position and returns its operator.
func (p *parser) binOp(ops []binOp) (string, bool) {
	for _, o := range ops {
		if o.word && p.word(o.tok) || !o.word && p.hasPrefix(o.tok) {
			p.pos += len(o.tok)
			return o.op, true
		}
	}
	return "", false
}

func (p *parser) parseUnary() expr {
	p.skipWS()
	pos := p.pos
	p.enter(pos)
	defer p.leave()
	switch {
	case p.hasPrefix("!") && !p.hasPrefix("!="):
		p.pos++
		return &notExpr{e: p.parseUnary()}
	case p.word("not"):
		p.pos += 3
		return &notExpr{e: p.parseUnary()}
	case p.hasPrefix("-") && !(p.pos+1 < p.end && isDigit(p.src[p.pos+1])):
		p.pos++
		return &negExpr{pos: pos, e: p.parseUnary()}
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() expr {
	p.skipWS()
	if p.pos >= p.end {
		p.fail(p.pos, "unexpected end of template in expression")
	}
	start := p.pos
	c := p.src[p.pos]
	switch {
	case c == '$':
		ref := p.parseRefExpr()
		if ref == nil {
			p.fail(start, "bad reference")
		}
		return ref
	case c == '"' || c == '\'':
		return p.parseString()
	case isDigit(c) || (c == '-' && p.pos+1 < p.end && isDigit(p.src[p.pos+1])):
		return p.parseNumber()
	case c == '[':
		return p.parseList()
	case c == '{':
		return p.parseMap()
	case c == '(':
		p.pos++
		e := p.parseExpr()
		p.skipWS()
		if p.pos >= p.end || p.src[p.pos] != ')' {
			p.fail(start, "expected ')'")
		}
		p.pos++
		return e
	case p.word("true"):
		p.pos += 4
		return &boolLit{v: true}
	case p.word("false"):
		p.pos += 5
		return &boolLit{v: false}
	}
	p.fail(start, "unexpected %q in expression", string(c))
	return nil
}

func (p *parser) parseNumber() expr {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	for p.pos < p.end && isDigit(p.src[p.pos]) {
		p.pos++
	}
	isFloat := false
	// "1..3" is a range, not the float "1." followed by ".3".
	if p.pos+1 < p.end && p.src[p.pos] == '.' && p.src[p.pos+1] != '.' {
		isFloat = true
		p.pos++
		for p.pos < p.end && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < p.end && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		q := p.pos + 1
		if q < p.end && (p.src[q] == '+' || p.src[q] == '-') {
			q++
		}
		if q < p.end && isDigit(p.src[q]) {
			isFloat = true
			for q < p.end && isDigit(p.src[q]) {
				q++
			}
			p.pos = q
		}
	}
	s := p.src[start:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			p.fail(start, "bad number %q", s)
		}
		return &floatLit{v: f}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Velocity turns integer literals that overflow Long into doubles.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			p.fail(start, "bad number %q", s)
		}
		return &floatLit{v: f}
	}
	return &intLit{v: n}
}

func (p *parser) parseString() expr {
	start := p.pos
	q := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= p.end {
			p.fail(start, "unterminated string literal")
		}
		c := p.src[p.pos]
		if c == q {
			// A doubled quote stands for one quote character (Velocity 1.7).
			if p.pos+1 < p.end && p.src[p.pos+1] == q {
				b.WriteByte(q)
				p.pos += 2
				continue
			}
			p.pos++
			break
		}
		b.WriteByte(c)
		p.pos++
	}
	lit := &strLit{s: b.String()}
	lit.boxed = lit.s
	if q == '"' && strings.ContainsAny(lit.s, "$#") {
		// Interpolated: the content is a template of its own. Parse it in
		// place so positions in errors point into the real source; only
		// when doubled quotes were collapsed must we parse a copy.
		rawStart, rawEnd := start+1, p.pos-1
		sub := &parser{name: p.name, src: p.src, pos: rawStart, end: rawEnd, macros: p.macros, depth: p.depth}
		if p.src[rawStart:rawEnd] != lit.s {
			sub = &parser{name: p.name, src: lit.s, end: len(lit.s), macros: p.macros, depth: p.depth}
		}
		nodes, term := sub.parseBlock()
		if term != "" {
			sub.fail(sub.termPos, "unexpected #%s in string literal", term)
		}
		if nodes == nil {
			nodes = []node{}
		}
		lit.interp = nodes
	}
	return lit
}

func (p *parser) parseList() expr {
	start := p.pos
	p.pos++
	p.skipWS()
	if p.pos < p.end && p.src[p.pos] == ']' {
		p.pos++
		return &listLit{}
	}
	first := p.parseExpr()
	p.skipWS()
	if p.hasPrefix("..") {
		p.pos += 2
		to := p.parseExpr()
		p.skipWS()
		if p.pos >= p.end || p.src[p.pos] != ']' {
			p.fail(start, "expected ']' to close range")
		}
		p.pos++
		return &rangeLit{pos: start, from: first, to: to}
	}
	l := &listLit{items: []expr{first}}
	for {
		p.skipWS()
		if p.pos >= p.end {
			p.fail(start, "unterminated list")
		}
		switch p.src[p.pos] {
		case ']':
			p.pos++
			return l
		case ',':
			p.pos++
			l.items = append(l.items, p.parseExpr())
		default:
			p.fail(p.pos, "expected ',' or ']' in list")
		}
	}
}

func (p *parser) parseMap() expr {
	start := p.pos
	p.pos++
	m := &mapLit{}
	p.skipWS()
	if p.pos < p.end && p.src[p.pos] == '}' {
		p.pos++
		return m
	}
	for {
		k := p.parseExpr()
		p.skipWS()
		if p.pos >= p.end || p.src[p.pos] != ':' {
			p.fail(p.pos, "expected ':' in map literal")
		}
		p.pos++
		v := p.parseExpr()
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipWS()
		if p.pos >= p.end {
			p.fail(start, "unterminated map literal")
		}
		switch p.src[p.pos] {
		case '}':
			p.pos++
			return m
		case ',':
			p.pos++
		default:
			p.fail(p.pos, "expected ',' or '}' in map literal")
		}
	}
}

// ---- character classes ----

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isIdentChar(c byte) bool {
	// Velocity 1.7 identifiers may contain '-': "$a-b" is one reference.
	return isAlpha(c) || isDigit(c) || c == '_' || c == '-'
}
func isDirectiveChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '_' || c == '@' }

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(src string, pos int) (int, int) {
	if pos > len(src) {
		pos = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:pos] {
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}
