package asl

import (
	"encoding/json"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeJSONString is DecodeJSON on a string: strings, keys and numbers
// without escapes share the text instead of being copied.
//
// Objects are *jsonvalue.Object, keys in the order of the text.
func DecodeJSONString(s string) (any, error) {
	if v, ok := fastDecode(s, true); ok {
		return v, nil
	}
	return slowDecodeJSON([]byte(s), true)
}

// DecodeCompactJSON is DecodeJSONString, also reporting whether s is
// compact: no whitespace outside strings, no escapes nor invalid UTF-8 in
// strings, no repeated keys. Compact text is exactly what the engine's
// encoder writes for the value, so a caller that has it need not encode
// the value again.
func DecodeCompactJSON(s string) (v any, compact bool, err error) {
	d := fastDecoder{s: s, ordered: true}
	if v, ok := d.decode(); ok {
		return v, !d.altered, nil
	}
	v, err = slowDecodeJSON([]byte(s), true)
	return v, false, err
}

// fastDecode decodes JSON text as encoding/json with UseNumber would, without
// reflection; it gives up (ok false) on any error or very deep nesting, and
// the caller then runs encoding/json for the value or its exact error.
func fastDecode(s string, ordered bool) (any, bool) {
	d := fastDecoder{s: s, ordered: ordered}
	return d.decode()
}

// decode decodes the whole text (see fastDecode).
func (d *fastDecoder) decode() (any, bool) {
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.i != len(d.s) {
		return nil, false
	}
	return v, true
}

// fastMaxDepth bounds the recursion; deeper text goes to encoding/json.
const fastMaxDepth = 500

type fastDecoder struct {
	s string
	i int
	// ordered makes objects *jsonvalue.Object (state data); else they are
	// map[string]any (definitions, which the parser walks as maps).
	ordered bool
	// altered is set when the text is not compact (see DecodeCompactJSON):
	// it has whitespace, an escape or invalid UTF-8, or a repeated key.
	altered bool
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			d.altered = true
		default:
			return
		}
	}
}

func (d *fastDecoder) value(depth int) (any, bool) {
	d.skipSpace()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; c {
	case '{':
		if depth >= fastMaxDepth {
			return nil, false
		}
		return d.object(depth + 1)
	case '[':
		if depth >= fastMaxDepth {
			return nil, false
		}
		return d.array(depth + 1)
	case '"':
		s, ok := d.str()
		return s, ok
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, false
	}
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.s)-d.i < len(lit) || d.s[d.i:d.i+len(lit)] != lit {
		return false
	}
	d.i += len(lit)
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans the JSON number grammar; what follows is checked by the
// caller (a delimiter or the end).
func (d *fastDecoder) number() (any, bool) {
	s, start := d.s, d.i
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return nil, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return nil, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return nil, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	d.i = i
	return json.Number(s[start:i]), true
}

// str decodes a string at d.i (which is '"'). Without escapes or invalid
// UTF-8 the result is a substring of the input.
func (d *fastDecoder) str() (string, bool) {
	s := d.s
	start := d.i + 1
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return s[start:i], true
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return d.strSlow(start)
			}
			i += size
		}
	}
	return "", false
}

// oneCharEscape maps the character after a backslash to the byte it
// stands for, for JSON's one-character escapes; 0 for any other.
var oneCharEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// strSlow decodes a string with escapes or invalid UTF-8 the way
// encoding/json does (invalid bytes and lone surrogates become U+FFFD).
func (d *fastDecoder) strSlow(start int) (string, bool) {
	d.altered = true
	s := d.s
	b := make([]byte, 0, 32)
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b), true
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch e := s[i+1]; {
			case oneCharEscape[e] != 0:
				b = append(b, oneCharEscape[e])
				i += 2
			case e == 'u':
				rr := getu4(s[i:])
				if rr < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[i:])
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return "", false
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func (d *fastDecoder) object(depth int) (any, bool) {
	d.i++ // '{'
	var m map[string]any
	var o *jsonvalue.Object
	if d.ordered {
		o = jsonvalue.NewObject(4)
	} else {
		m = make(map[string]any)
	}
	result := func() any {
		if d.ordered {
			return o
		}
		return m
	}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return result(), true
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		if d.ordered {
			if o.Put(k, v) {
				d.altered = true
			}
		} else {
			m[k] = v
		}
		end, ok := d.afterElem('}')
		if !ok {
			return nil, false
		}
		if end {
			return result(), true
		}
	}
}

// afterElem reads what follows an element of an object or array: a comma,
// more to come, or closing, the end (end is true). ok is false for anything
// else.
func (d *fastDecoder) afterElem(closing byte) (end, ok bool) {
	d.skipSpace()
	if d.i >= len(d.s) {
		return false, false
	}
	switch d.s[d.i] {
	case ',':
		d.i++
		return false, true
	case closing:
		d.i++
		return true, true
	}
	return false, false
}

func (d *fastDecoder) array(depth int) (any, bool) {
	d.i++ // '['
	a := []any{}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		end, ok := d.afterElem(']')
		if !ok {
			return nil, false
		}
		if end {
			return a, true
		}
	}
}
