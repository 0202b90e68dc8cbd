package jsonata

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// Go values cross into the VM lazily: a map becomes a jsObject, a view that
// converts a field when JavaScript reads it, so an expression that reads
// three fields of a 60 KB input converts three fields. Converted objects and
// arrays are kept, so a field read twice is the same JavaScript object
// (JSONata compares and tracks ancestry by identity). Arrays become real
// JavaScript arrays, because jsonata-js sets properties on arrays it is
// given (keepSingleton); their items are converted lazily in turn.

// Object is an object value read one field at a time and made whole
// (a map[string]any) on demand. asl.Object is one.
type Object interface {
	Field(name string) (any, bool)
	Value() any
}

// OrderedObject is an Object that knows the order of its keys. AWS keeps
// the document order of state data, and JSONata shows it ($keys, $string,
// $each): a map[string]any has none, so the VM sees its keys sorted.
type OrderedObject interface {
	Object
	Keys() []string
}

// fielder is the package's name for Object.
type fielder = Object

// jsObject is the VM's view of a Go map. JavaScript may set and delete
// properties (jsonata-js does not on input objects, but the view must stay
// an ordinary object); those land in extra and never touch the Go map.
type jsObject struct {
	v     *vm
	m     map[string]any
	ord   OrderedObject         // instead of m
	keys  []string              // JavaScript's order, made on first need
	kids  map[string]goja.Value // converted objects and arrays
	extra map[string]goja.Value // properties set from JavaScript
	gone  map[string]bool       // properties deleted from JavaScript
	dirty bool                  // extra or gone is in use
}

var jsObjectType = reflect.TypeOf((*jsObject)(nil))

func (o *jsObject) Get(key string) goja.Value {
	if o.dirty {
		if x, ok := o.extra[key]; ok {
			return x
		}
		if o.gone[key] {
			return nil
		}
	}
	x, ok := o.field(key)
	if !ok {
		return nil
	}
	switch x.(type) {
	case map[string]any, []any, fielder:
		if c, ok := o.kids[key]; ok {
			return c
		}
		c := o.v.toJS(x)
		if o.kids == nil {
			o.kids = make(map[string]goja.Value, 4)
		}
		o.kids[key] = c
		return c
	}
	return o.v.toJS(x)
}

func (o *jsObject) field(key string) (any, bool) {
	if o.ord != nil {
		return o.ord.Field(key)
	}
	x, ok := o.m[key]
	return x, ok
}

func (o *jsObject) Set(key string, val goja.Value) bool {
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
		o.gone = map[string]bool{}
	}
	o.dirty = true
	if !o.Has(key) {
		o.keys = append(o.Keys(), key)
	}
	o.extra[key] = val
	delete(o.gone, key)
	return true
}

func (o *jsObject) Has(key string) bool {
	if o.dirty {
		if _, ok := o.extra[key]; ok {
			return true
		}
		if o.gone[key] {
			return false
		}
	}
	_, ok := o.field(key)
	return ok
}

func (o *jsObject) Delete(key string) bool {
	if !o.Has(key) {
		return true
	}
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
		o.gone = map[string]bool{}
	}
	o.dirty = true
	keys := o.Keys()
	for i, k := range keys {
		if k == key {
			o.keys = append(keys[:i:i], keys[i+1:]...)
			break
		}
	}
	delete(o.extra, key)
	o.gone[key] = true
	return true
}

func (o *jsObject) Keys() []string {
	if o.keys == nil {
		if o.ord != nil {
			o.keys = jsOrder(o.ord.Keys())
		} else {
			o.keys = jsKeyOrder(o.m)
		}
	}
	return o.keys
}

// jsKeyOrder orders a map's keys as a JavaScript object made from them
// would list them: array indices first, ascending, then the other keys in
// the order they were added, here sorted, so what JSONata sees ($keys,
// $string, $each) is deterministic.
func jsKeyOrder(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	indices := 0
	for k := range m {
		keys = append(keys, k)
		if isArrayIndex(k) {
			indices++
		}
	}
	sort.Strings(keys)
	if indices > 0 {
		indicesFirst(keys)
	}
	return keys
}

// jsOrder orders keys given in insertion order as JavaScript lists them.
func jsOrder(keys []string) []string {
	for _, k := range keys {
		if isArrayIndex(k) {
			keys = append([]string(nil), keys...)
			indicesFirst(keys)
			return keys
		}
	}
	return keys
}

// indicesFirst moves the array indices to the front, ascending, keeping
// the order of the other keys.
func indicesFirst(keys []string) {
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := isArrayIndex(keys[i]), isArrayIndex(keys[j])
		if a && b {
			x, _ := strconv.ParseUint(keys[i], 10, 32)
			y, _ := strconv.ParseUint(keys[j], 10, 32)
			return x < y
		}
		return a && !b
	})
}

// isArrayIndex tells whether k is a canonical array index (0 to 2^32-2),
// which JavaScript lists before other keys.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < 1<<32-1
}

// toJS converts a Go value to a JavaScript one.
func (v *vm) toJS(x any) goja.Value {
	switch t := x.(type) {
	case undefined:
		return goja.Undefined()
	case nil:
		return goja.Null()
	case bool:
		return v.rt.ToValue(t)
	case string:
		return v.rt.ToValue(t)
	case json.Number:
		return v.rt.ToValue(numberFloat(t))
	case float64:
		return v.rt.ToValue(t)
	case int:
		return v.rt.ToValue(t)
	case int64:
		return v.rt.ToValue(t)
	case []any:
		vals := make([]any, len(t))
		for i, e := range t {
			vals[i] = v.toJS(e)
		}
		return v.rt.NewArray(vals...)
	case map[string]any:
		return v.rt.NewDynamicObject(&jsObject{v: v, m: t})
	case OrderedObject:
		return v.rt.NewDynamicObject(&jsObject{v: v, ord: t})
	case fielder:
		return v.toJS(t.Value())
	}
	return v.rt.ToValue(x)
}

// numberFloat is the double JavaScript's JSON.parse makes of n (±Inf past
// its range, as JSON.parse gives).
func numberFloat(n json.Number) float64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0
	}
	return f
}

var errTooDeep = errors.New("jsonata: the result is nested too deeply")

// fromJS converts a JavaScript value back to a Go one.
func (v *vm) fromJS(val goja.Value, depth int) (any, error) {
	if val == nil || goja.IsUndefined(val) {
		return Undefined, nil
	}
	if goja.IsNull(val) {
		return nil, nil
	}
	o, ok := val.(*goja.Object)
	if !ok {
		switch t := val.Export().(type) {
		case bool:
			return t, nil
		case string:
			return t, nil
		case int64:
			return json.Number(strconv.FormatInt(t, 10)), nil
		case float64:
			return number(t), nil
		}
		return Undefined, nil
	}
	if depth > MaxResultDepth {
		return nil, errTooDeep
	}
	if o.ExportType() == jsObjectType {
		if d := o.Export().(*jsObject); !d.dirty {
			var x any = d.m
			if d.ord != nil {
				x = d.ord
			}
			if c, ok := canon(x, 0); ok {
				return c, nil
			}
		}
	}
	if _, isFn := goja.AssertFunction(o); isFn || isJSONataFunction(o) {
		return Function{}, nil
	}
	if o.ClassName() == "Array" {
		n := int(o.Get("length").ToInteger())
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			e, err := v.fromJS(o.Get(strconv.Itoa(i)), depth+1)
			if err != nil {
				return nil, err
			}
			if e == Undefined {
				continue
			}
			out = append(out, e)
		}
		return out, nil
	}
	keys := o.Keys()
	out := jsonvalue.NewObject(len(keys))
	for _, k := range keys {
		e, err := v.fromJS(o.Get(k), depth+1)
		if err != nil {
			return nil, err
		}
		if e == Undefined {
			continue
		}
		out.Set(k, e)
	}
	return out, nil
}

// canonObject is canon of an ordered object: the same object when nothing
// changes, else a copy in the same order.
func canonObject(t *jsonvalue.Object, depth int) (any, bool) {
	var out *jsonvalue.Object
	for i := range t.Len() {
		k, e := t.At(i)
		if !utf8.ValidString(k) {
			return nil, false
		}
		c, ok := canon(e, depth+1)
		if !ok {
			return nil, false
		}
		if out == nil && !same(c, e) {
			out = jsonvalue.NewObject(t.Len())
			for j := range i {
				out.Set(t.At(j))
			}
		}
		if out != nil && c != Undefined {
			out.Set(k, c)
		}
	}
	if out == nil {
		return t, true
	}
	return out, true
}

// isJSONataFunction tells a lambda or a defined function, which jsonata-js
// makes as objects with a marker.
func isJSONataFunction(o *goja.Object) bool {
	for _, mark := range [...]string{"_jsonata_lambda", "_jsonata_function"} {
		if m := o.Get(mark); m != nil && m.ToBoolean() {
			return true
		}
	}
	return false
}

// number is a JavaScript number as a result: nil where JSON.stringify
// writes null (NaN, the infinities).
func number(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return Number(f)
}

// canon returns x as it comes back from a trip into the VM and out:
// numbers as JavaScript writes them, undefined fields and items dropped.
// It copies only what changes. ok is false for what it cannot vouch for
// (invalid UTF-8, which the VM would replace, and unknown types).
func canon(x any, depth int) (any, bool) {
	switch t := x.(type) {
	case nil, bool, undefined:
		return t, true
	case string:
		return t, utf8.ValidString(t)
	case json.Number:
		if canonicalInt(string(t)) {
			return t, true
		}
		c := number(numberFloat(t))
		if n, ok := c.(json.Number); ok && n == t {
			return t, true
		}
		return c, true
	case float64:
		return number(t), true
	case int:
		return number(float64(t)), true
	case int64:
		return number(float64(t)), true
	case *jsonvalue.Object:
		if depth >= MaxResultDepth {
			return nil, false
		}
		return canonObject(t, depth)
	case OrderedObject:
		// Read through its fields: Value may be the object itself.
		if depth >= MaxResultDepth {
			return nil, false
		}
		out := make(map[string]any, len(t.Keys()))
		for _, k := range t.Keys() {
			e, _ := t.Field(k)
			c, ok := canon(e, depth+1)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			if c != Undefined {
				out[k] = c
			}
		}
		return out, true
	case fielder:
		return canon(t.Value(), depth)
	}
	if depth >= MaxResultDepth {
		return nil, false
	}
	switch t := x.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			if !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := canon(e, depth+1)
			if !ok {
				return nil, false
			}
			if out == nil && !same(c, e) {
				out = make(map[string]any, len(t))
				for k2, e2 := range t {
					out[k2] = e2
				}
			}
			if out != nil {
				if c == Undefined {
					delete(out, k)
				} else {
					out[k] = c
				}
			}
		}
		if out != nil {
			return out, true
		}
		return t, true
	case []any:
		var out []any
		for i, e := range t {
			c, ok := canon(e, depth+1)
			if !ok {
				return nil, false
			}
			if out == nil && !same(c, e) {
				out = make([]any, i, len(t))
				copy(out, t[:i])
			}
			if out != nil && c != Undefined {
				out = append(out, c)
			}
		}
		if out != nil {
			return out, true
		}
		return t, true
	}
	return nil, false
}

// same tells whether canon left e as it was (then it returned e itself);
// Undefined never stays.
func same(c, e any) bool {
	if c == Undefined {
		return false
	}
	switch ct := c.(type) {
	case *jsonvalue.Object:
		et, ok := e.(*jsonvalue.Object)
		return ok && ct == et
	case map[string]any:
		et, ok := e.(map[string]any)
		return ok && reflect.ValueOf(ct).UnsafePointer() == reflect.ValueOf(et).UnsafePointer()
	case []any:
		et, ok := e.([]any)
		return ok && len(ct) == len(et) && (len(ct) == 0 || &ct[0] == &et[0])
	case json.Number:
		et, ok := e.(json.Number)
		return ok && et == ct
	case string, bool, nil:
		return c == e
	}
	return false
}

// canonicalInt tells whether s is an integer JavaScript writes the same:
// no sign but a minus, no leading zero, no -0, and exact in a double.
func canonicalInt(s string) bool {
	if s == "0" {
		return true
	}
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if len(s)-i < 1 || len(s)-i > 15 || s[i] == '0' {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
