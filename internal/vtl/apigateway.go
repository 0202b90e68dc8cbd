package vtl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
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
			in.value, in.err = parseJSON(in.req.Body)
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

// parseJSON decodes JSON keeping object key order, as a Java
// LinkedHashMap-backed parser would.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after JSON value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := newMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.put(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			l := &List{}
			for dec.More() {
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %s", s)
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// writeJSON writes v as compact JSON, escaping strings as Jackson does.
func writeJSON(b *strings.Builder, v any, depth int) error {
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
		writeJSONString(b, x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(javaDouble(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case *List:
		b.WriteByte('[')
		for i, e := range x.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e, depth+1); err != nil {
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
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := writeJSON(b, x.m[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		writeJSONString(b, fmt.Sprint(x))
	}
	return nil
}

func writeJSONString(b *strings.Builder, s string) {
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
		default:
			if r < 0x20 {
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
		return &List{items: append([]any{}, cur...)}, true, nil
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

func member(cur []any, name string) []any {
	var next []any
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
			for _, k := range x.keys {
				next = append(next, x.m[k])
			}
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
		for _, k := range x.keys {
			if name == "*" || k == name {
				*out = append(*out, x.m[k])
			}
			deepScan(x.m[k], name, out, depth+1)
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
