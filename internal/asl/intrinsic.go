package asl

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/asyncjobs/stepjobs/internal/jsonata"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// intrinsicCall is a parsed States.Xxx(...) call.
type intrinsicCall struct {
	name string // without "States."
	fn   *intrinsicFunc
	args []intrinsicArg
}

type intrinsicArg struct {
	literal any
	path    *Path
	call    *intrinsicCall
}

type intrinsicFunc struct {
	minArgs, maxArgs int // maxArgs -1: variadic
	eval             func(args []any) (any, error)
}

var intrinsicFuncs map[string]*intrinsicFunc

func init() {
	intrinsicFuncs = map[string]*intrinsicFunc{
		"Format":         {1, -1, fnFormat},
		"StringToJson":   {1, 1, fnStringToJSON},
		"JsonToString":   {1, 1, fnJSONToString},
		"Array":          {0, -1, func(a []any) (any, error) { return append([]any{}, a...), nil }},
		"ArrayPartition": {2, 2, fnArrayPartition},
		"ArrayContains":  {2, 2, fnArrayContains},
		"ArrayRange":     {3, 3, fnArrayRange},
		"ArrayGetItem":   {2, 2, fnArrayGetItem},
		"ArrayLength":    {1, 1, fnArrayLength},
		"ArrayUnique":    {1, 1, fnArrayUnique},
		"Base64Encode":   {1, 1, fnBase64Encode},
		"Base64Decode":   {1, 1, fnBase64Decode},
		"Hash":           {2, 2, fnHash},
		"JsonMerge":      {3, 3, fnJSONMerge},
		"MathRandom":     {2, 3, fnMathRandom},
		"MathAdd":        {2, 2, fnMathAdd},
		"StringSplit":    {2, 2, fnStringSplit},
		"UUID":           {0, 0, fnUUID},
	}
}

// intrinsicParser is a recursive-descent parser over the call text.
type intrinsicParser struct {
	s   string
	pos int
}

func parseIntrinsic(text string) (*intrinsicCall, error) {
	p := &intrinsicParser{s: text}
	c, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("intrinsic function %q: %w", text, err)
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("intrinsic function %q: unexpected %q", text, p.s[p.pos:])
	}
	return c, nil
}

func (p *intrinsicParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*intrinsicCall, error) {
	p.space()
	if !strings.HasPrefix(p.s[p.pos:], "States.") {
		return nil, fmt.Errorf("expected States.<function> at %d", p.pos)
	}
	p.pos += len("States.")
	start := p.pos
	for p.pos < len(p.s) && isVarChar(p.s[p.pos], p.pos == start) {
		p.pos++
	}
	name := p.s[start:p.pos]
	fn, ok := intrinsicFuncs[name]
	if !ok {
		return nil, fmt.Errorf("unknown function States.%s", name)
	}
	p.space()
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, fmt.Errorf("expected '(' after States.%s", name)
	}
	p.pos++
	c := &intrinsicCall{name: name, fn: fn}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
	} else {
		for {
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.space()
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("missing ')'")
			}
			if p.s[p.pos] == ')' {
				p.pos++
				break
			}
			if p.s[p.pos] != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at %d", p.pos)
			}
			p.pos++
		}
	}
	if len(c.args) < fn.minArgs || (fn.maxArgs >= 0 && len(c.args) > fn.maxArgs) {
		return nil, fmt.Errorf("function %s takes %s, got %d", name, argCount(fn), len(c.args))
	}
	return c, nil
}

func argCount(fn *intrinsicFunc) string {
	switch {
	case fn.maxArgs < 0:
		return fmt.Sprintf("at least %d arguments", fn.minArgs)
	case fn.minArgs == fn.maxArgs:
		return fmt.Sprintf("%d arguments", fn.minArgs)
	}
	return fmt.Sprintf("%d to %d arguments", fn.minArgs, fn.maxArgs)
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	p.space()
	if p.pos >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	rest := p.s[p.pos:]
	switch {
	case rest[0] == '\'':
		s, err := p.stringLiteral()
		return intrinsicArg{literal: s}, err
	case strings.HasPrefix(rest, "States."):
		c, err := p.call()
		return intrinsicArg{call: c}, err
	case rest[0] == '$':
		end := p.pathEnd()
		path, err := ParsePath(strings.TrimRight(p.s[p.pos:end], " "))
		if err != nil {
			return intrinsicArg{}, err
		}
		p.pos = end
		return intrinsicArg{path: path}, nil
	}
	end := p.pos
	for end < len(p.s) && p.s[end] != ',' && p.s[end] != ')' {
		end++
	}
	tok := strings.TrimSpace(p.s[p.pos:end])
	p.pos = end
	switch tok {
	case "null":
		return intrinsicArg{literal: nil}, nil
	case "true":
		return intrinsicArg{literal: true}, nil
	case "false":
		return intrinsicArg{literal: false}, nil
	}
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", tok)
	}
	n, err := parseNumber(tok)
	if err != nil || !json.Valid([]byte(tok)) {
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", tok)
	}
	return intrinsicArg{literal: n}, nil
}

// stringLiteral reads '...'. Escapes: \' \\ and (kept for States.Format) \{ \}.
// Any other escape is invalid, as AWS refuses e.g. \" at validation.
func (p *intrinsicParser) stringLiteral() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.s) {
				return "", fmt.Errorf("unterminated string")
			}
			n := p.s[p.pos+1]
			switch n {
			case '\'', '\\':
				b.WriteByte(n)
			case '{', '}':
				b.WriteByte('\\')
				b.WriteByte(n)
			case 'n':
				b.WriteString("\\n")
			default:
				return "", fmt.Errorf("invalid escape \\%c", n)
			}
			p.pos += 2
		case '\'':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// pathEnd finds the end of a path argument: the first ',' or ')' outside brackets and quotes.
func (p *intrinsicParser) pathEnd() int {
	depth := 0
	for i := p.pos; i < len(p.s); i++ {
		switch c := p.s[i]; c {
		case '[':
			depth++
		case ']':
			depth--
		case '\'', '"':
			if depth > 0 {
				if j := strings.IndexByte(p.s[i+1:], c); j >= 0 {
					i += j + 1
				}
			}
		case '(':
			depth++
		case ',', ')':
			if depth == 0 {
				return i
			}
			if c == ')' {
				depth--
			}
		}
	}
	return len(p.s)
}

func (c *intrinsicCall) eval(input any, env *Env) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.eval(input, env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case a.path != nil:
			v, err := a.path.Get(input, env)
			if err != nil {
				return nil, newError(ErrRuntime, "The JSONPath '%s' specified for the field 'States.%s' could not be found in the input '%s'", a.path.text, c.name, jsonText(input))
			}
			args[i] = v
		default:
			if s, ok := a.literal.(string); ok && c.name != "Format" {
				a.literal = unescapeBraces(s)
			}
			args[i] = a.literal
		}
	}
	v, err := c.fn.eval(args)
	if err != nil {
		if _, ok := err.(*Error); ok {
			return nil, err
		}
		return nil, newError(ErrIntrinsicFailure, "Invalid arguments in States.%s: %s", c.name, err.Error())
	}
	return v, nil
}

func unescapeBraces(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	return strings.NewReplacer(`\{`, "{", `\}`, "}").Replace(s)
}

// --- functions ---

func argString(args []any, i int, what string) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("the %s argument must be a string, but was %s", what, jsonTypeName(args[i]))
	}
	return s, nil
}

func argArray(args []any, i int, what string) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, fmt.Errorf("the %s argument must be an array, but was %s", what, jsonTypeName(args[i]))
	}
	return a, nil
}

func argInt(args []any, i int, what string) (int64, error) {
	n, ok := args[i].(json.Number)
	if ok {
		if v, isInt := numberInt(n); isInt {
			return v, nil
		}
	}
	return 0, fmt.Errorf("the %s argument must be an integer, but was %s", what, jsonText(args[i]))
}

// javaString renders a value as Java's toString would inside States.Format:
// strings raw, objects {k=v, ...}, arrays [a, b].
func javaString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = javaString(x[i])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *jsonvalue.Object, map[string]any:
		m, _ := objectOf(x)
		parts := make([]string, m.Len())
		for i := range parts {
			k, e := m.At(i)
			parts[i] = k + "=" + javaString(e)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func fnFormat(args []any) (any, error) {
	tmpl, err := argString(args, 0, "first")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '\\' && i+1 < len(tmpl) && (tmpl[i+1] == '{' || tmpl[i+1] == '}') {
			b.WriteByte(tmpl[i+1])
			i++
			continue
		}
		if c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			if next >= len(args) {
				return nil, fmt.Errorf("the number of arguments does not match the number of placeholders")
			}
			b.WriteString(javaString(args[next]))
			next++
			i++
			continue
		}
		b.WriteByte(c)
	}
	if next != len(args) {
		return nil, fmt.Errorf("the number of arguments does not match the number of placeholders")
	}
	return b.String(), nil
}

func fnStringToJSON(args []any) (any, error) {
	s, err := argString(args, 0, "first")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("the string is not valid JSON")
	}
	if n, ok := v.(json.Number); ok && (string(n) == "-0") {
		return json.Number("0"), nil
	}
	return v, nil
}

func fnJSONToString(args []any) (any, error) { return jsonText(args[0]), nil }

func fnArrayPartition(args []any) (any, error) {
	a, err := argArray(args, 0, "first")
	if err != nil {
		return nil, err
	}
	size, err := argInt(args, 1, "second")
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the chunk size must be greater than 0, but was %d", size)
	}
	out := []any{}
	for i := 0; i < len(a); i += int(size) {
		end := min(i+int(size), len(a))
		out = append(out, append([]any{}, a[i:end]...))
	}
	return out, nil
}

func fnArrayContains(args []any) (any, error) {
	a, err := argArray(args, 0, "first")
	if err != nil {
		return nil, err
	}
	for _, e := range a {
		if jsonEqual(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(args []any) (any, error) {
	start, err := argInt(args, 0, "first")
	if err != nil {
		return nil, err
	}
	end, err := argInt(args, 1, "second")
	if err != nil {
		return nil, err
	}
	step, err := argInt(args, 2, "third")
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, fmt.Errorf("the step must not be 0")
	}
	out := []any{}
	for i := start; (step > 0 && i <= end) || (step < 0 && i >= end); i += step {
		if len(out) >= 1000 {
			return nil, fmt.Errorf("the array cannot contain more than 1000 items")
		}
		out = append(out, json.Number(strconv.FormatInt(i, 10)))
	}
	return out, nil
}

func fnArrayGetItem(args []any) (any, error) {
	a, err := argArray(args, 0, "first")
	if err != nil {
		return nil, err
	}
	i, err := argInt(args, 1, "second")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("the index %d is out of bounds for an array of length %d", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(args []any) (any, error) {
	a, err := argArray(args, 0, "first")
	if err != nil {
		return nil, err
	}
	return json.Number(strconv.Itoa(len(a))), nil
}

func fnArrayUnique(args []any) (any, error) {
	a, err := argArray(args, 0, "first")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, e := range a {
		dup := false
		for _, o := range out {
			if jsonEqual(e, o) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out, nil
}

func fnBase64Encode(args []any) (any, error) {
	s, err := argString(args, 0, "first")
	if err != nil {
		return nil, err
	}
	if len(s) > 10000 {
		return nil, fmt.Errorf("the input cannot be longer than 10000 characters")
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(args []any) (any, error) {
	s, err := argString(args, 0, "first")
	if err != nil {
		return nil, err
	}
	if len(s) > 10000 {
		return nil, fmt.Errorf("the input cannot be longer than 10000 characters")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the input is not valid base64")
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("the decoded data is not valid UTF-8")
	}
	return string(b), nil
}

func fnHash(args []any) (any, error) {
	data, ok := args[0].(string)
	if !ok {
		data = jsonText(args[0])
	}
	alg, err := argString(args, 1, "second")
	if err != nil {
		return nil, err
	}
	h := jsonata.NewHash(alg)
	if h == nil {
		return nil, fmt.Errorf("the hash algorithm %q is not supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512", alg)
	}
	if len(data) > 10000 {
		return nil, fmt.Errorf("the input cannot be longer than 10000 characters")
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(args []any) (any, error) {
	a, ok1 := objectOf(args[0])
	b, ok2 := objectOf(args[1])
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("the first two arguments must be objects")
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, fmt.Errorf("the third argument must be a boolean")
	}
	if deep {
		return nil, fmt.Errorf("deep merge is not supported; the third argument must be false")
	}
	merged := jsonvalue.NewObject(a.Len() + b.Len())
	for _, m := range []*jsonvalue.Object{a, b} {
		for i := range m.Len() {
			merged.Set(m.At(i))
		}
	}
	// AWS merges into a Java HashMap: its keys come out in that map's order.
	out := jsonvalue.NewObject(merged.Len())
	for _, k := range javaHashMapOrder(merged.Keys()) {
		v, _ := merged.Get(k)
		out.Set(k, v)
	}
	return out, nil
}

// javaRound is Java's Math.round: floor(x + 0.5).
func javaRound(n json.Number) (int64, error) {
	f, _, err := big.ParseFloat(string(n), 10, 200, big.ToNearestEven)
	if err != nil {
		return 0, err
	}
	f.Add(f, big.NewFloat(0.5))
	i, _ := f.Int(nil)
	if f.Sign() < 0 && !f.IsInt() {
		i.Sub(i, big.NewInt(1))
	}
	if !i.IsInt64() {
		return 0, fmt.Errorf("number out of range")
	}
	return i.Int64(), nil
}

func numberArg(args []any, i int, what string) (int64, error) {
	n, ok := args[i].(json.Number)
	if !ok {
		return 0, fmt.Errorf("the %s argument must be a number, but was %s", what, jsonTypeName(args[i]))
	}
	return javaRound(n)
}

func fnMathAdd(args []any) (any, error) {
	a, err := numberArg(args, 0, "first")
	if err != nil {
		return nil, err
	}
	b, err := numberArg(args, 1, "second")
	if err != nil {
		return nil, err
	}
	return json.Number(strconv.FormatInt(a+b, 10)), nil
}

func fnMathRandom(args []any) (any, error) {
	start, err := numberArg(args, 0, "first")
	if err != nil {
		return nil, err
	}
	end, err := numberArg(args, 1, "second")
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("the end value must be greater than the start value")
	}
	r := rand.Int64N
	if len(args) == 3 {
		seed, err := numberArg(args, 2, "third")
		if err != nil {
			return nil, err
		}
		src := rand.New(rand.NewPCG(uint64(seed), uint64(seed)))
		r = src.Int64N
	}
	span := end - start
	if span <= 0 || span > math.MaxInt64/2 {
		return nil, fmt.Errorf("the range is too large")
	}
	return json.Number(strconv.FormatInt(start+r(span), 10)), nil
}

func fnStringSplit(args []any) (any, error) {
	s, err := argString(args, 0, "first")
	if err != nil {
		return nil, err
	}
	d, err := argString(args, 1, "second")
	if err != nil {
		return nil, err
	}
	// Each character of the delimiter splits; empty pieces are dropped.
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
	if d == "" {
		parts = []string{s}
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID([]any) (any, error) {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
