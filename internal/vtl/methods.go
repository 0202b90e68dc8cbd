package vtl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// call invokes a Java-style method on a runtime value. errNoSuchMethod
// means Velocity would not find the method (the reference is then null);
// any other error is an exception thrown by the method, which fails the
// render as a MethodInvocationException fails it in Velocity.
func (r *renderer) call(recv any, name string, args []any) (any, error) {
	v, err := r.typedCall(recv, name, args)
	if !errors.Is(err, errNoSuchMethod) {
		return v, err
	}
	switch {
	case name == "toString" && len(args) == 0:
		return r.toStr(recv, true, 0)
	case name == "equals" && len(args) == 1:
		return javaEquals(recv, args[0]), nil
	}
	return nil, errNoSuchMethod
}

func (r *renderer) typedCall(recv any, name string, args []any) (any, error) {
	switch x := recv.(type) {
	case string:
		// String methods scan their receiver: charge that work so a loop
		// over a large body stays within MaxBuiltBytes.
		if err := r.charge(len(x)); err != nil {
			return nil, err
		}
		return r.stringMethod(x, name, args)
	case *List:
		return r.listMethod(x, name, args)
	case *Map:
		return r.mapMethod(x, name, args)
	case int64, float64:
		return numberMethod(x, name, args)
	case bool:
		switch {
		case name == "booleanValue" && len(args) == 0:
			return x, nil
		}
	case *entry:
		switch {
		case (name == "getKey") && len(args) == 0:
			return x.k, nil
		case (name == "getValue") && len(args) == 0:
			return x.v, nil
		case name == "setValue" && len(args) == 1:
			old := x.v
			x.v = args[0]
			return old, nil
		}
	case *foreachScope:
		if len(args) == 0 {
			switch name {
			case "hasNext", "getHasNext", "isLast", "getLast":
				v, _ := r.getProp(x, "hasNext")
				if name == "isLast" || name == "getLast" {
					return !v.(bool), nil
				}
				return v, nil
			case "getIndex":
				return int64(x.index), nil
			case "getCount":
				return int64(x.count), nil
			case "isFirst", "getFirst":
				return x.index == 0, nil
			case "getParent":
				if x.parent == nil {
					return nil, nil
				}
				return x.parent, nil
			}
		}
	case *inputObj:
		return r.inputMethod(x, name, args)
	case *utilObj:
		return r.utilMethod(name, args)
	case *blockValue:
		if name == "toString" && len(args) == 0 {
			return r.toStr(x, false, 0)
		}
		return nil, errNoSuchMethod
	}
	return nil, errNoSuchMethod
}

// argInt converts an argument to a Java int, as Velocity would when
// matching an int parameter.
func argInt(v any) (int, bool) {
	i, ok := v.(int64)
	if !ok || i < math.MinInt32 || i > math.MaxInt32 {
		return 0, false
	}
	return int(i), true
}

func npe(method string) error {
	return fmt.Errorf("NullPointerException in %s", method)
}

// utf16Of returns s as Java chars. ASCII strings take the fast path in
// callers; this is for the rest.
func utf16Of(s string) []uint16 { return utf16.Encode([]rune(s)) }

func fromUTF16(u []uint16) string { return string(utf16.Decode(u)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// javaLen is String.length(): the number of UTF-16 code units.
func javaLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return len(utf16Of(s))
}

func javaSubstring(s string, b, e int) (string, error) {
	n := javaLen(s)
	if b < 0 || e > n || b > e {
		return "", fmt.Errorf("StringIndexOutOfBoundsException: begin %d, end %d, length %d", b, e, n)
	}
	if isASCII(s) {
		return s[b:e], nil
	}
	return fromUTF16(utf16Of(s)[b:e]), nil
}

// javaIndexOf is String.indexOf(str, from) in UTF-16 units.
func javaIndexOf(s, sub string, from int) int {
	if from < 0 {
		from = 0
	}
	if isASCII(s) && isASCII(sub) {
		if from > len(s) {
			return -1
		}
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return -1
		}
		return i + from
	}
	u, v := utf16Of(s), utf16Of(sub)
	for i := from; i+len(v) <= len(u); i++ {
		if eqU16(u[i:i+len(v)], v) {
			return i
		}
	}
	return -1
}

func javaLastIndexOf(s, sub string, from int) int {
	u, v := utf16Of(s), utf16Of(sub)
	start := len(u) - len(v)
	if from < start {
		start = from
	}
	for i := start; i >= 0; i-- {
		if eqU16(u[i:i+len(v)], v) {
			return i
		}
	}
	return -1
}

func eqU16(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// javaTrim is String.trim(): strips chars <= ' ' from both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

func javaHash(s string) int64 {
	var h int32
	for _, c := range utf16Of(s) {
		h = 31*h + int32(c)
	}
	return int64(h)
}

func (r *renderer) stringMethod(s, name string, args []any) (any, error) {
	str := func(i int) (string, bool, error) {
		if i >= len(args) {
			return "", false, nil
		}
		switch a := args[i].(type) {
		case nil:
			return "", false, npe("String." + name)
		case string:
			return a, true, nil
		}
		return "", false, nil
	}
	n := len(args)
	switch name {
	case "length":
		if n == 0 {
			return int64(javaLen(s)), nil
		}
	case "isEmpty":
		if n == 0 {
			return s == "", nil
		}
	case "toString", "intern":
		if n == 0 {
			return s, nil
		}
	case "hashCode":
		if n == 0 {
			return javaHash(s), nil
		}
	case "toLowerCase":
		if n == 0 {
			return strings.ToLower(s), nil
		}
	case "toUpperCase":
		if n == 0 {
			return strings.ToUpper(s), nil
		}
	case "trim":
		if n == 0 {
			return javaTrim(s), nil
		}
	case "charAt":
		if i, ok := argInt(arg(args, 0)); ok && n == 1 {
			if i < 0 || i >= javaLen(s) {
				return nil, fmt.Errorf("StringIndexOutOfBoundsException: index %d, length %d", i, javaLen(s))
			}
			return javaSubstring(s, i, i+1)
		}
	case "substring":
		b, ok := argInt(arg(args, 0))
		if !ok {
			break
		}
		switch n {
		case 1:
			return javaSubstring(s, b, javaLen(s))
		case 2:
			if e, ok := argInt(args[1]); ok {
				return javaSubstring(s, b, e)
			}
		}
	case "indexOf", "lastIndexOf":
		sub, ok, err := str(0)
		if err != nil || !ok {
			return nil, orNoMethod(err)
		}
		from := math.MaxInt32
		if name == "indexOf" {
			from = 0
		}
		if n == 2 {
			f, ok := argInt(args[1])
			if !ok {
				break
			}
			from = f
		} else if n != 1 {
			break
		}
		if name == "indexOf" {
			return int64(javaIndexOf(s, sub, from)), nil
		}
		return int64(javaLastIndexOf(s, sub, from)), nil
	case "contains", "startsWith", "endsWith", "concat", "equalsIgnoreCase", "compareTo", "compareToIgnoreCase", "matches", "split":
		if name == "equalsIgnoreCase" && n == 1 && args[0] == nil {
			return false, nil
		}
		a, ok, err := str(0)
		if err != nil || !ok {
			return nil, orNoMethod(err)
		}
		switch {
		case name == "contains" && n == 1:
			return strings.Contains(s, a), nil
		case name == "startsWith" && n == 1:
			return strings.HasPrefix(s, a), nil
		case name == "startsWith" && n == 2:
			off, ok := argInt(args[1])
			if !ok {
				break
			}
			if off < 0 || off > javaLen(s) {
				return false, nil
			}
			rest, _ := javaSubstring(s, off, javaLen(s))
			return strings.HasPrefix(rest, a), nil
		case name == "endsWith" && n == 1:
			return strings.HasSuffix(s, a), nil
		case name == "concat" && n == 1:
			if len(s)+len(a) > MaxOutputBytes {
				return nil, fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit)
			}
			return s + a, nil
		case name == "equalsIgnoreCase" && n == 1:
			return strings.EqualFold(s, a), nil
		case name == "compareTo" && n == 1:
			return int64(javaCompare(s, a)), nil
		case name == "compareToIgnoreCase" && n == 1:
			return int64(javaCompare(strings.ToLower(strings.ToUpper(s)), strings.ToLower(strings.ToUpper(a)))), nil
		case name == "matches" && n == 1:
			re, err := r.regex(a)
			if err != nil {
				return nil, err
			}
			return re.matchesAll(s), nil
		case name == "split" && (n == 1 || n == 2):
			limit := 0
			if n == 2 {
				l, ok := argInt(args[1])
				if !ok {
					break
				}
				limit = l
			}
			re, err := r.regex(a)
			if err != nil {
				return nil, err
			}
			parts := re.split(s, limit)
			l := &List{items: make([]any, len(parts))}
			for i, p := range parts {
				l.items[i] = p
			}
			return l, nil
		}
	case "replace", "replaceAll", "replaceFirst":
		if n != 2 {
			break
		}
		a, ok, err := str(0)
		if err != nil || !ok {
			return nil, orNoMethod(err)
		}
		b, ok, err := str(1)
		if err != nil || !ok {
			return nil, orNoMethod(err)
		}
		var out string
		switch name {
		case "replace":
			n := strings.Count(s, a)
			if len(s)+n*(len(b)-len(a)) > MaxOutputBytes {
				return nil, fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit)
			}
			out = strings.ReplaceAll(s, a, b)
		default:
			re, err := r.regex(a)
			if err != nil {
				return nil, err
			}
			out, err = re.replace(s, b, name == "replaceAll")
			if err != nil {
				return nil, err
			}
		}
		if len(out) > MaxOutputBytes {
			return nil, fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit)
		}
		return out, nil
	case "equals":
		if n == 1 {
			return javaEquals(s, args[0]), nil
		}
	}
	return nil, errNoSuchMethod
}

func orNoMethod(err error) error {
	if err != nil {
		return err
	}
	return errNoSuchMethod
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// javaCompare is String.compareTo: UTF-16 code unit order.
func javaCompare(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return asciiCompare(a, b)
	}
	u, v := utf16Of(a), utf16Of(b)
	for i := 0; i < len(u) && i < len(v); i++ {
		if u[i] != v[i] {
			return int(u[i]) - int(v[i])
		}
	}
	return len(u) - len(v)
}

func asciiCompare(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return len(a) - len(b)
}

func (r *renderer) listMethod(l *List, name string, args []any) (any, error) {
	n := len(args)
	switch name {
	case "size":
		if n == 0 {
			return int64(len(l.items)), nil
		}
	case "isEmpty":
		if n == 0 {
			return len(l.items) == 0, nil
		}
	case "get":
		if i, ok := argInt(arg(args, 0)); ok && n == 1 {
			if i < 0 || i >= len(l.items) {
				return nil, fmt.Errorf("IndexOutOfBoundsException: Index: %d, Size: %d", i, len(l.items))
			}
			return l.items[i], nil
		}
	case "contains":
		if n == 1 {
			return listIndex(l, args[0]) >= 0, nil
		}
	case "indexOf":
		if n == 1 {
			return int64(listIndex(l, args[0])), nil
		}
	case "add":
		switch n {
		case 1:
			if len(l.items) >= MaxLoopIterations {
				return nil, fmt.Errorf("list over %d elements: %w", MaxLoopIterations, ErrLimit)
			}
			l.items = append(l.items, args[0])
			return true, nil
		case 2:
			i, ok := argInt(args[0])
			if !ok {
				break
			}
			if i < 0 || i > len(l.items) {
				return nil, fmt.Errorf("IndexOutOfBoundsException: Index: %d, Size: %d", i, len(l.items))
			}
			l.items = append(l.items[:i], append([]any{args[1]}, l.items[i:]...)...)
			return nil, nil
		}
	case "addAll":
		if o, ok := arg(args, 0).(*List); ok && n == 1 {
			if len(l.items)+len(o.items) > MaxLoopIterations {
				return nil, fmt.Errorf("list over %d elements: %w", MaxLoopIterations, ErrLimit)
			}
			l.items = append(l.items, o.items...)
			return len(o.items) > 0, nil
		}
	case "set":
		if i, ok := argInt(arg(args, 0)); ok && n == 2 {
			if i < 0 || i >= len(l.items) {
				return nil, fmt.Errorf("IndexOutOfBoundsException: Index: %d, Size: %d", i, len(l.items))
			}
			old := l.items[i]
			l.items[i] = args[1]
			return old, nil
		}
	case "remove":
		if n != 1 {
			break
		}
		if i, ok := argInt(args[0]); ok {
			if i < 0 || i >= len(l.items) {
				return nil, fmt.Errorf("IndexOutOfBoundsException: Index: %d, Size: %d", i, len(l.items))
			}
			old := l.items[i]
			l.items = append(l.items[:i:i], l.items[i+1:]...)
			return old, nil
		}
		if i := listIndex(l, args[0]); i >= 0 {
			l.items = append(l.items[:i:i], l.items[i+1:]...)
			return true, nil
		}
		return false, nil
	case "clear":
		if n == 0 {
			l.items = nil
			return nil, nil
		}
	case "subList":
		a, ok1 := argInt(arg(args, 0))
		b, ok2 := argInt(arg(args, 1))
		if ok1 && ok2 && n == 2 {
			if a < 0 || b > len(l.items) || a > b {
				return nil, fmt.Errorf("IndexOutOfBoundsException: fromIndex %d, toIndex %d, size %d", a, b, len(l.items))
			}
			return &List{items: append([]any(nil), l.items[a:b]...)}, nil
		}
	}
	return nil, errNoSuchMethod
}

func listIndex(l *List, v any) int {
	for i, e := range l.items {
		if javaEquals(e, v) {
			return i
		}
	}
	return -1
}

func (r *renderer) mapKey(v any) (string, error) {
	return r.toStr(v, true, 0)
}

func (r *renderer) mapMethod(m *Map, name string, args []any) (any, error) {
	n := len(args)
	switch name {
	case "size":
		if n == 0 {
			return int64(len(m.keys)), nil
		}
	case "isEmpty":
		if n == 0 {
			return len(m.keys) == 0, nil
		}
	case "get", "containsKey", "remove":
		if n != 1 {
			break
		}
		k, err := r.mapKey(args[0])
		if err != nil {
			return nil, err
		}
		switch name {
		case "get":
			v, _ := m.get(k)
			return v, nil
		case "containsKey":
			_, ok := m.get(k)
			return ok, nil
		default:
			return m.remove(k), nil
		}
	case "getOrDefault":
		if n == 2 {
			k, err := r.mapKey(args[0])
			if err != nil {
				return nil, err
			}
			if v, ok := m.get(k); ok {
				return v, nil
			}
			return args[1], nil
		}
	case "containsValue":
		if n == 1 {
			for _, k := range m.keys {
				if javaEquals(m.value(k), args[0]) {
					return true, nil
				}
			}
			return false, nil
		}
	case "put":
		if n == 2 {
			k, err := r.mapKey(args[0])
			if err != nil {
				return nil, err
			}
			return m.put(k, args[1]), nil
		}
	case "putAll":
		if o, ok := arg(args, 0).(*Map); ok && n == 1 {
			for _, k := range o.keys {
				m.put(k, o.value(k))
			}
			return nil, nil
		}
	case "keySet":
		if n == 0 {
			l := &List{items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.items[i] = k
			}
			return l, nil
		}
	case "values":
		if n == 0 {
			l := &List{items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.items[i] = m.value(k)
			}
			return l, nil
		}
	case "entrySet":
		if n == 0 {
			l := &List{items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.items[i] = &entry{k: k, v: m.value(k)}
			}
			return l, nil
		}
	case "clear":
		if n == 0 {
			m.clear()
			return nil, nil
		}
	}
	return nil, errNoSuchMethod
}

func numberMethod(v any, name string, args []any) (any, error) {
	if len(args) != 0 {
		if name == "compareTo" && len(args) == 1 && isNumber(args[0]) {
			return int64(compareNumbers(v, args[0])), nil
		}
		return nil, errNoSuchMethod
	}
	switch name {
	case "intValue":
		if i, ok := v.(int64); ok {
			return int64(int32(i)), nil
		}
		return int64(int32(javaD2I(toFloat(v)))), nil
	case "longValue":
		if i, ok := v.(int64); ok {
			return i, nil
		}
		return javaD2I(toFloat(v)), nil
	case "doubleValue", "floatValue":
		return toFloat(v), nil
	case "isNaN":
		if f, ok := v.(float64); ok {
			return math.IsNaN(f), nil
		}
	case "isInfinite":
		if f, ok := v.(float64); ok {
			return math.IsInf(f, 0), nil
		}
	case "toString":
		if i, ok := v.(int64); ok {
			return strconv.FormatInt(i, 10), nil
		}
		return javaDouble(toFloat(v)), nil
	}
	return nil, errNoSuchMethod
}

// javaD2I converts a double to long as Java's (long) cast does.
func javaD2I(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
