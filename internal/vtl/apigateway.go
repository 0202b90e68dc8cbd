package vtl

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// inputObj is $input. The body is parsed as JSON on first use, once per
// render.
type inputObj struct {
	req    Request
	parsed bool
	value  any
	err    error
	params *Map
}

func newInput(req Request) *inputObj { return &inputObj{req: req} }

// bodyValue returns the body parsed as JSON. An empty body is {} (as on
// API Gateway, where $input.json('$') of an empty body is "{}").
func (in *inputObj) bodyValue() (any, error) {
	if !in.parsed {
		in.parsed = true
		if len(bytes.TrimSpace(in.req.Body)) == 0 {
			in.value = newMap()
		} else {
			in.value, in.err = parseJSONArrays(in.req.Body, true)
			if in.err != nil {
				in.err = fmt.Errorf("%w: %v", ErrInvalidJSONBody, in.err)
			}
		}
	}
	return in.value, in.err
}

func (r *renderer) inputMethod(in *inputObj, name string, args []any) (any, error) {
	switch name {
	case "getBody", "body":
		if len(args) == 0 {
			// An empty body reads as {} (recorded on AWS: the message SQS
			// stored from "MessageBody=$input.body" has the MD5 of "{}").
			if len(in.req.Body) == 0 {
				return "{}", nil
			}
			return string(in.req.Body), nil
		}
	case "json", "path":
		if len(args) != 1 {
			break
		}
		p, ok := args[0].(string)
		if !ok {
			if args[0] == nil {
				return nil, npe("$input." + name)
			}
			break
		}
		root, err := in.bodyValue()
		if err != nil {
			// $input.path('$') of a body that is not JSON is the raw body
			// string: templates for form posts rely on it.
			if name == "path" && strings.TrimSpace(p) == "$" {
				return string(in.req.Body), nil
			}
			return nil, err
		}
		v, found, err := evalJSONPath(root, p)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, nil
		}
		if name == "path" {
			return v, nil
		}
		var b strings.Builder
		if err := writeJSON(&b, v, 0); err != nil {
			return nil, err
		}
		return b.String(), nil
	case "params", "getParams":
		switch len(args) {
		case 0:
			return in.allParams(), nil
		case 1:
			key, ok := args[0].(string)
			if !ok {
				return "", nil
			}
			return in.param(key), nil
		}
	}
	return nil, errNoSuchMethod
}

func (in *inputObj) allParams() *Map {
	if in.params == nil {
		m := newMap()
		m.put("path", fromGo(nonNil(in.req.Path)))
		m.put("querystring", fromGo(nonNil(in.req.Query)))
		m.put("header", fromGo(nonNil(in.req.Headers)))
		in.params = m
	}
	return in.params
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// param is $input.params(x): path, then query string, then header (headers
// match case-insensitively). A missing parameter is the empty string.
func (in *inputObj) param(key string) string {
	if v, ok := in.req.Path[key]; ok {
		return v
	}
	if v, ok := in.req.Query[key]; ok {
		return v
	}
	if v, ok := in.req.Headers[key]; ok {
		return v
	}
	keys := make([]string, 0, len(in.req.Headers))
	for k := range in.req.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return in.req.Headers[k]
		}
	}
	return ""
}

// utilObj is $util.
type utilObj struct{}

func (r *renderer) utilMethod(name string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, errNoSuchMethod
	}
	if args[0] == nil {
		if name == "parseJson" {
			return nil, npe("$util.parseJson")
		}
		return nil, nil
	}
	s, err := r.toStr(args[0], false, 0)
	if err != nil {
		return nil, err
	}
	switch name {
	case "escapeJavaScript":
		return escapeJavaScript(s), nil
	case "parseJson":
		v, err := parseJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("$util.parseJson: invalid JSON: %v", err)
		}
		return v, nil
	case "urlEncode":
		return javaURLEncode(s), nil
	case "urlDecode":
		return javaURLDecode(s)
	case "base64Encode":
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "base64Decode":
		t := strings.TrimRight(s, "=")
		b, err := base64.RawStdEncoding.DecodeString(t)
		if err != nil {
			return nil, fmt.Errorf("IllegalArgumentException: base64Decode: %v", err)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return nil, errNoSuchMethod
}

// javaURLEncode is java.net.URLEncoder.encode(s, "UTF-8"): space becomes
// '+', A-Z a-z 0-9 . - * _ stay, every other byte is %XX.
func javaURLEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || c == '.' || c == '-' || c == '*' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteString(fmt.Sprintf("%%%02X", c))
		}
	}
	return b.String()
}

// javaURLDecode is java.net.URLDecoder.decode(s, "UTF-8").
func javaURLDecode(s string) (string, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("IllegalArgumentException: URLDecoder: Incomplete trailing escape (%%) pattern")
			}
			h, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%%) pattern")
			}
			b = append(b, byte(h))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// escapeJavaScript is commons-lang 2's StringEscapeUtils.escapeJavaScript,
// which API Gateway uses: it escapes ' as \' (not valid in JSON), / as \/,
// and every non-ASCII char as \uXXXX with upper-case hex.
func escapeJavaScript(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		if r >= utf8.RuneSelf {
			if r > 0xFFFF {
				r1, r2 := utf16Pair(r)
				writeU(&b, r1)
				writeU(&b, r2)
				continue
			}
			writeU(&b, r)
			continue
		}
		switch r {
		case '\b':
			b.WriteString(`\b`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		default:
			if r < 32 {
				writeU(&b, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

func writeU(b *strings.Builder, r rune) {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	b.WriteString(`\u`)
	b.WriteString(strings.Repeat("0", 4-len(h)))
	b.WriteString(h)
}

// ---- JSON ----

// maxJSONDepth bounds JSON nesting (Jackson's default limit is 1000).
const maxJSONDepth = 1000

// parseJSON decodes strict JSON (RFC 8259) keeping object key order, as a
// Java LinkedHashMap-backed parser would. Integers become int64 (doubles
// when too large), other numbers float64.
func parseJSON(data []byte) (any, error) { return parseJSONArrays(data, false) }

// parseJSONArrays is parseJSON; with jsonArrays, arrays become Lists that
// print as JSON (see List.jsonArray), as $input.path's do.
func parseJSONArrays(data []byte, jsonArrays bool) (any, error) {
	p := &jsonParser{data: data, jsonArrays: jsonArrays}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after JSON value")
	}
	return v, nil
}

type jsonParser struct {
	data       []byte
	pos        int
	jsonArrays bool
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return nil, p.errorf("invalid literal")
	}
	p.pos += len(word)
	return v, nil
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nested deeper than %d", maxJSONDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of JSON")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || isDigit(c):
		return p.number()
	}
	return nil, p.errorf("unexpected character %q", p.data[p.pos])
}

// object reads an object; p.pos is at its '{'.
func (p *jsonParser) object(depth int) (any, error) {
	p.pos++
	m := newMap()
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("expected a string key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.pos++
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.put(k, v)
		if more, err := p.separator('}'); !more {
			if err != nil {
				return nil, err
			}
			return m, nil
		}
	}
}

// array reads an array; p.pos is at its '['.
func (p *jsonParser) array(depth int) (any, error) {
	p.pos++
	l := &List{jsonArray: p.jsonArrays}
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return l, nil
	}
	for {
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, v)
		if more, err := p.separator(']'); !more {
			if err != nil {
				return nil, err
			}
			return l, nil
		}
	}
}

// separator reads what follows a member or an element: ',' (more follow)
// or end, which closes the object or array.
func (p *jsonParser) separator(end byte) (more bool, err error) {
	p.ws()
	if p.pos >= len(p.data) {
		return false, p.errorf("unexpected end of JSON")
	}
	switch p.data[p.pos] {
	case ',':
		p.pos++
		return true, nil
	case end:
		p.pos++
		return false, nil
	}
	return false, p.errorf("expected ',' or '%c'", end)
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	isFloat := false
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		isFloat = true
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		isFloat = true
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	s := string(p.data[start:p.pos])
	if !isFloat {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errorf("invalid number")
	}
	return f, nil
}

// str reads a JSON string at p.pos (a '"').
func (p *jsonParser) str() (string, error) {
	p.pos++
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return strings.ToValidUTF8(string(s), "\uFFFD"), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.pos++
	}
	var b []byte
	b = append(b, p.data[start:p.pos]...)
	for {
		if p.pos >= len(p.data) {
			return "", p.errorf("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				return "", p.errorf("unterminated string")
			}
			e := p.data[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A surrogate pair is one character; a lone half is
					// invalid and becomes U+FFFD.
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						if r2, ok := p.hex4(); ok {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								r = d
							} else {
								p.pos = save
								r = utf8.RuneError
							}
						} else {
							return "", p.errorf("invalid \\u escape")
						}
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.errorf("invalid escape \\%c", e)
			}
		default:
			b = append(b, c)
			p.pos++
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

// writeJSON writes v as compact JSON, escaping strings as Jackson does
// ($input.json).
func writeJSON(b *strings.Builder, v any, depth int) error {
	return writeJSONAs(b, v, depth, false)
}

// writeSmartJSON writes v as JSON Smart's JSONArray.toString writes it
// (JSONValue.toJSONString with JSONStyle.NO_COMPRESS): strings escaped for
// the web (see writeJSONString), infinite doubles as null.
func writeSmartJSON(b *strings.Builder, v any, depth int) error {
	return writeJSONAs(b, v, depth, true)
}

// writeJSONAs writes v as compact JSON, doubles as Java prints them, in
// Jackson's style or, with smart, JSON Smart's.
func writeJSONAs(b *strings.Builder, v any, depth int, smart bool) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("value nested too deep to write as JSON: %w", ErrLimit)
	}
	if b.Len() > MaxOutputBytes {
		return fmt.Errorf("JSON over %d bytes: %w", MaxOutputBytes, ErrLimit)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x, smart)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if smart && math.IsInf(x, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(javaDouble(x))
		}
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case *List:
		b.WriteByte('[')
		for i, e := range x.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSONAs(b, e, depth+1, smart); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *Map:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k, smart)
			b.WriteByte(':')
			if err := writeJSONAs(b, x.vals[i], depth+1, smart); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		writeJSONString(b, fmt.Sprint(x), smart)
	}
	return nil
}

// writeJSONString writes s as a JSON string: " and \ escaped, \b \f \n
// \r \t by name, other control characters as \uXXXX. With web, as JSON
// Smart's JStylerObj.ESCAPE4Web: / as \/ too, and U+007F-U+009F and
// U+2000-U+20FF as \uXXXX.
func writeJSONString(b *strings.Builder, s string, web bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '/':
			if web {
				b.WriteString(`\/`)
			} else {
				b.WriteByte('/')
			}
		default:
			if r < 0x20 || web && (r >= 0x7F && r <= 0x9F || r >= 0x2000 && r <= 0x20FF) {
				writeU(b, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// ---- JSONPath ----

// evalJSONPath evaluates the JSONPath subset API Gateway templates use:
// $, .name, ['name'], [n] (negative counts from the end), [*], .*, ..name.
// A path with a wildcard or deep scan yields a list of all matches. found
// is false when a definite path does not exist.
//
// It is not internal/asl's Path, the project's other JSONPath (both stand for
// Jayway JsonPath), because where they would meet they differ:
//   - the values: asl walks *jsonvalue.Object and []any; this walks the
//     template's *Map and *List, whose Java types (JSON Smart's Integer,
//     Long, Double, JSONArray) decide how a result prints, so asl would need
//     the body converted to its model and every result converted back;
//   - a definite path that selects nothing: asl fails (States.Runtime in
//     ASL), $input.path and $input.json render null;
//   - names: here a dot-name runs to the next . or [ and is trimmed; asl
//     refuses a name with a space, parenthesis, comma or quote, as a
//     reference path must;
//   - the selectors: asl adds slices, unions and filters, which API Gateway's
//     $input.path has not been recorded doing here (testdata/aws holds no
//     case), so they stay errors rather than behaviour nobody checked;
//   - a wildcard's or deep scan's matches come back as a JSONArray that
//     prints as JSON Smart prints it, not as a Go slice.
func evalJSONPath(root any, path string) (v any, found bool, err error) {
	p := strings.TrimSpace(path)
	if !strings.HasPrefix(p, "$") {
		return nil, false, fmt.Errorf("invalid JSONPath %q: must start with $", path)
	}
	cur := []any{root}
	definite := true
	i := 1
	for i < len(p) {
		switch {
		case strings.HasPrefix(p[i:], ".."):
			definite = false
			i += 2
			name, n := readName(p[i:])
			if name == "" && !strings.HasPrefix(p[i:], "*") {
				return nil, false, fmt.Errorf("invalid JSONPath %q at %d", path, i)
			}
			if strings.HasPrefix(p[i:], "*") {
				name, n = "*", 1
			}
			i += n
			var next []any
			for _, c := range cur {
				deepScan(c, name, &next, 0)
			}
			cur = next
		case p[i] == '.':
			i++
			if strings.HasPrefix(p[i:], "*") {
				i++
				definite = false
				cur = children(cur)
				continue
			}
			name, n := readName(p[i:])
			if name == "" {
				return nil, false, fmt.Errorf("invalid JSONPath %q at %d", path, i)
			}
			i += n
			cur = member(cur, name)
		case p[i] == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, false, fmt.Errorf("invalid JSONPath %q: missing ]", path)
			}
			sel := strings.TrimSpace(p[i+1 : i+end])
			i += end + 1
			switch {
			case sel == "*":
				definite = false
				cur = children(cur)
			case len(sel) >= 2 && (sel[0] == '\'' || sel[0] == '"') && sel[len(sel)-1] == sel[0]:
				cur = member(cur, sel[1:len(sel)-1])
			default:
				n, err := strconv.Atoi(sel)
				if err != nil {
					return nil, false, fmt.Errorf("invalid JSONPath %q: unsupported selector [%s]", path, sel)
				}
				var next []any
				for _, c := range cur {
					if l, ok := c.(*List); ok {
						k := n
						if k < 0 {
							k += len(l.items)
						}
						if k >= 0 && k < len(l.items) {
							next = append(next, l.items[k])
						}
					}
				}
				cur = next
			}
		default:
			return nil, false, fmt.Errorf("invalid JSONPath %q at %d", path, i)
		}
	}
	if !definite {
		// Jayway JsonPath collects the matches in its provider's array.
		return &List{items: append([]any{}, cur...), jsonArray: true}, true, nil
	}
	if len(cur) == 0 {
		return nil, false, nil
	}
	return cur[0], true, nil
}

func readName(s string) (string, int) {
	n := 0
	for n < len(s) && s[n] != '.' && s[n] != '[' {
		n++
	}
	return strings.TrimSpace(s[:n]), n
}

// member is the values of name in the Maps of cur, kept in cur's own array:
// every cur evalJSONPath holds is a slice of its own.
func member(cur []any, name string) []any {
	next := cur[:0]
	for _, c := range cur {
		if m, ok := c.(*Map); ok {
			if v, ok := m.get(name); ok {
				next = append(next, v)
			}
		}
	}
	return next
}

func children(cur []any) []any {
	var next []any
	for _, c := range cur {
		switch x := c.(type) {
		case *Map:
			next = append(next, x.vals...)
		case *List:
			next = append(next, x.items...)
		}
	}
	return next
}

func deepScan(v any, name string, out *[]any, depth int) {
	if depth > maxJSONDepth {
		return
	}
	switch x := v.(type) {
	case *Map:
		for i, k := range x.keys {
			if name == "*" || k == name {
				*out = append(*out, x.vals[i])
			}
			deepScan(x.vals[i], name, out, depth+1)
		}
	case *List:
		for _, e := range x.items {
			if name == "*" {
				*out = append(*out, e)
			}
			deepScan(e, name, out, depth+1)
		}
	}
}
