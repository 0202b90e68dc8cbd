package vtl

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Runtime values mirror the Java objects Velocity works with:
//   nil      null
//   string   java.lang.String (and Character)
//   int64    Integer/Long
//   float64  Double
//   bool     Boolean
//   *List    java.util.ArrayList (also arrays, Sets from keySet/values)
//   *Map     java.util.LinkedHashMap with String keys
//   *entry   Map.Entry
// plus the API Gateway objects ($input, $util) and Velocity's $foreach.

// List is a mutable Java-style list.
type List struct {
	items []any
	// jsonArray marks a JSON array read by $input.path: API Gateway's
	// JSONPath (JSON Smart) returns a net.minidev.json.JSONArray, whose
	// toString is compact JSON, not ArrayList's "[a, b]".
	jsonArray bool
}

// Map is an insertion-ordered Java-style map with string keys.
type Map struct {
	keys []string
	vals []any // vals[i] is the value of keys[i]
	// index maps a key to its position once the map has more than
	// mapIndexMin keys. Most maps (a $context, a request body) are small
	// enough that scanning keys is cheaper than building a hash map for
	// every render, which was a third of a request's allocations.
	index map[string]int
	// contextObject marks an object inside $context ($context.identity,
	// $context.requestOverride.header, ...): on API Gateway these print as
	// nothing (recorded on AWS), though their keys and values can be read.
	contextObject bool
}

// mapIndexMin is the size above which a Map keeps an index.
const mapIndexMin = 32

func newMap() *Map { return &Map{} }

// find returns the position of k, or -1.
func (m *Map) find(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range m.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

func (m *Map) get(k string) (any, bool) {
	if i := m.find(k); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// value is the value of k, nil when absent (Java's get).
func (m *Map) value(k string) any {
	v, _ := m.get(k)
	return v
}

func (m *Map) put(k string, v any) any {
	if i := m.find(k); i >= 0 {
		old := m.vals[i]
		m.vals[i] = v
		return old
	}
	if m.keys == nil {
		// Room for a small object's keys at once, rather than growing
		// through 1, 2 and 4.
		m.keys, m.vals = make([]string, 0, 4), make([]any, 0, 4)
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	switch {
	case m.index != nil:
		m.index[k] = len(m.keys) - 1
	case len(m.keys) > mapIndexMin:
		m.reindex()
	}
	return nil
}

func (m *Map) remove(k string) any {
	i := m.find(k)
	if i < 0 {
		return nil
	}
	old := m.vals[i]
	// New arrays, not shifted in place: a loop over the old keys (keySet
	// of a map a template changes as it goes) keeps what it started with.
	m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i:i], m.vals[i+1:]...)
	if m.index != nil {
		m.reindex()
	}
	return old
}

// clear empties m.
func (m *Map) clear() { m.keys, m.vals, m.index = nil, nil, nil }

// reindex rebuilds the index after keys moved, or drops it when the map is
// small again.
func (m *Map) reindex() {
	if len(m.keys) <= mapIndexMin {
		m.index = nil
		return
	}
	m.index = make(map[string]int, len(m.keys))
	for i, k := range m.keys {
		m.index[k] = i
	}
}

// clone is a deep copy of m: its Maps and Lists are new, its strings,
// numbers and booleans shared (they are immutable).
func (m *Map) clone() *Map {
	// The keys are shared, capacity clipped: they are never written in
	// place (put appends, which then copies; remove builds new arrays).
	c := &Map{keys: slices.Clip(m.keys), vals: make([]any, len(m.vals)), contextObject: m.contextObject}
	for i, v := range m.vals {
		c.vals[i] = cloneValue(v)
	}
	c.reindex()
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case *Map:
		return x.clone()
	case *List:
		l := &List{items: make([]any, len(x.items)), jsonArray: x.jsonArray}
		for i, e := range x.items {
			l.items[i] = cloneValue(e)
		}
		return l
	}
	return v
}

// markContextObjects marks every Map below m (not m itself) as a $context
// object.
func markContextObjects(m *Map, depth int) {
	if depth > maxJSONDepth {
		return
	}
	for _, k := range m.keys {
		switch x := m.value(k).(type) {
		case *Map:
			x.contextObject = true
			markContextObjects(x, depth+1)
		case *List:
			for _, e := range x.items {
				if em, ok := e.(*Map); ok {
					em.contextObject = true
					markContextObjects(em, depth+1)
				}
			}
		}
	}
}

type entry struct {
	k string
	v any
}

// blockValue is the value of a #define'd reference: rendering it renders the
// block in the context current at that time.
type blockValue struct{ body []node }

// sortedMap builds a Map from x, its keys sorted since a Go map has no
// order, and each value converted by conv.
func sortedMap[V any](x map[string]V, conv func(V) any) *Map {
	// Sized up front: a $context is converted for every template a request
	// renders, and growing the map and key list was most of that cost.
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m := &Map{keys: keys, vals: make([]any, len(keys))}
	for i, k := range keys {
		m.vals[i] = conv(x[k])
	}
	m.reindex()
	return m
}

// fromGo converts Go values (as decoded from JSON or given in Env.Context)
// into runtime values. Go maps have no order, so keys are sorted.
func fromGo(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, *List, *Map:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case map[string]any:
		if x == nil {
			return nil
		}
		return sortedMap(x, fromGo)
	case map[string]string:
		if x == nil {
			return nil
		}
		return sortedMap(x, func(s string) any { return s })
	case []any:
		l := &List{items: make([]any, len(x))}
		for i, e := range x {
			l.items[i] = fromGo(e)
		}
		return l
	case []string:
		l := &List{items: make([]any, len(x))}
		for i, e := range x {
			l.items[i] = e
		}
		return l
	case json.Number:
		if v, err := parseJSON([]byte(x)); err == nil {
			return v
		}
		return x.String()
	case interface{ String() string }:
		return x.String()
	}
	return fromReflect(reflect.ValueOf(v))
}

// fromReflect converts the remaining Go kinds: sized numbers, and maps and
// slices of other element types (map[string]int, []map[string]any, ...).
func fromReflect(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return float64(u)
		}
		return int64(u)
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return fromGo(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil
		}
		l := &List{items: make([]any, rv.Len())}
		for i := range l.items {
			l.items[i] = fromGo(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		keys := make([]string, 0, rv.Len())
		vals := map[string]any{}
		iter := rv.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			keys = append(keys, k)
			vals[k] = iter.Value().Interface()
		}
		sort.Strings(keys)
		m := newMap()
		for _, k := range keys {
			m.put(k, fromGo(vals[k]))
		}
		return m
	}
	if rv.IsValid() && rv.CanInterface() {
		return fmt.Sprint(rv.Interface())
	}
	return nil
}

// javaDouble formats f as Java's Double.toString does.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// isNumber reports whether v is an Integer/Long or Double.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// maxEqualsDepth bounds javaEquals on nested (possibly cyclic) collections;
// Java would overflow its stack there.
const maxEqualsDepth = 100

// javaEquals is Java's Object.equals for runtime values.
func javaEquals(a, b any) bool { return javaEqualsDepth(a, b, 0) }

func javaEqualsDepth(a, b any, depth int) bool {
	if depth > maxEqualsDepth {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !javaEqualsDepth(x.items[i], y.items[i], depth+1) {
				return false
			}
		}
		return true
	case *Map:
		y, ok := b.(*Map)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.get(k)
			if !ok || !javaEqualsDepth(x.value(k), yv, depth+1) {
				return false
			}
		}
		return true
	case *entry:
		y, ok := b.(*entry)
		return ok && x.k == y.k && javaEqualsDepth(x.v, y.v, depth+1)
	}
	return a == b
}

// sameClass approximates Java's "one class is assignable from the other",
// which Velocity 1.7's == uses before falling back to toString comparison.
func sameClass(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	case *List:
		_, ok := b.(*List)
		return ok
	case *Map:
		_, ok := b.(*Map)
		return ok
	case *entry:
		_, ok := b.(*entry)
		return ok
	}
	return false
}
