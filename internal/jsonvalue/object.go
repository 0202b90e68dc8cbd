// Package jsonvalue holds the JSON object that keeps its keys in order.
// Step Functions keeps the key order of objects in state data, and JSONata
// makes it visible ($keys, $string, $each), so the engine's values carry
// objects as *Object rather than Go maps, which forget it. The other JSON
// values stay plain Go values: []any, string, json.Number, bool and nil.
//
// An Object is built once (NewObject, Set) and then only read: values are
// shared between states and goroutines and never modified in place.
package jsonvalue

import (
	"encoding/json"
	"slices"
)

// indexAbove is the size from which an object keeps a map from key to
// position; smaller ones are searched in order, which is faster.
const indexAbove = 12

// Object is a JSON object with its keys in order.
type Object struct {
	members []member
	index   map[string]int
	// inline holds the members of small objects, the most common: one
	// allocation makes such an object whole.
	inline [inlineMembers]member
}

type member struct {
	key string
	val any
}

// inlineMembers is how many members an object holds without a second
// allocation.
const inlineMembers = 4

// NewObject returns an empty object with room for n members.
func NewObject(n int) *Object {
	o := &Object{}
	if n <= inlineMembers {
		o.members = o.inline[:0]
	} else {
		o.members = make([]member, 0, n)
	}
	return o
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// Keys returns the keys in order, in a new slice.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	keys := make([]string, len(o.members))
	for i := range o.members {
		keys[i] = o.members[i].key
	}
	return keys
}

// At returns the i-th member.
func (o *Object) At(i int) (string, any) { return o.members[i].key, o.members[i].val }

// find returns the position of k, or -1.
func (o *Object) find(k string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].key == k {
			return i
		}
	}
	return -1
}

// Get returns the value of k.
func (o *Object) Get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.members[i].val, true
	}
	return nil, false
}

// Field is Get: with Value, it lets the JSONata evaluator (and the asl
// package's lazy objects) read an Object one field at a time.
func (o *Object) Field(k string) (any, bool) { return o.Get(k) }

// Value returns the object itself: it is already whole.
func (o *Object) Value() any { return o }

// Has reports whether k is a member.
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set sets k to v: a new key goes last, an existing one keeps its place
// (as JSON.parse and Java's LinkedHashMap treat a repeated key). Only
// while the object is being built.
func (o *Object) Set(k string, v any) { o.Put(k, v) }

// Put is Set, reporting whether k was a member already (its value
// replaced): a decoder then knows the text had a repeated key.
func (o *Object) Put(k string, v any) (replaced bool) {
	if i := o.find(k); i >= 0 {
		o.members[i].val = v
		return true
	}
	o.members = append(o.members, member{k, v})
	switch {
	case o.index != nil:
		o.index[k] = len(o.members) - 1
	case len(o.members) > indexAbove:
		o.index = make(map[string]int, len(o.members)*2)
		for i := range o.members {
			o.index[o.members[i].key] = i
		}
	}
	return false
}

// With returns a copy of o with k set to v (o is not modified).
func (o *Object) With(k string, v any) *Object {
	c := NewObject(o.Len() + 1)
	for _, m := range o.members {
		c.Set(m.key, m.val)
	}
	c.Set(k, v)
	return c
}

// FromMap makes an object of a Go map, its keys sorted (a map has no
// order to keep). Nested maps are converted too.
func FromMap(m map[string]any) *Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := NewObject(len(keys))
	for _, k := range keys {
		o.Set(k, Normalize(m[k]))
	}
	return o
}

// Normalize returns v with every map[string]any in it made an *Object
// (sorted keys), so that values built by Go code mix with decoded ones.
func Normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return FromMap(x)
	case []any:
		var out []any
		for i, e := range x {
			n := Normalize(e)
			if out == nil {
				if isSame(n, e) {
					continue
				}
				out = make([]any, len(x))
				copy(out, x[:i])
			}
			out[i] = n
		}
		if out == nil {
			return x
		}
		return out
	}
	return v
}

// isSame tells whether Normalize left e as it was (only maps change).
func isSame(n, e any) bool {
	_, wasMap := e.(map[string]any)
	if wasMap {
		return false
	}
	if a, ok := e.([]any); ok {
		b, _ := n.([]any)
		return len(a) == 0 || len(b) > 0 && &a[0] == &b[0]
	}
	return true
}

// ToMap returns the object as a Go map (nested objects too): for code that
// needs a map, such as encoding/json of a Go struct field.
func (o *Object) ToMap() map[string]any {
	m := make(map[string]any, o.Len())
	for _, e := range o.members {
		m[e.key] = ToPlain(e.val)
	}
	return m
}

// ToPlain returns v with every *Object made a map[string]any (inside
// maps too).
func ToPlain(v any) any {
	switch x := v.(type) {
	case *Object:
		return x.ToMap()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = ToPlain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ToPlain(e)
		}
		return out
	}
	return v
}

// MarshalJSON writes the object with its keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o.members {
		if i > 0 {
			b = append(b, ',')
		}
		kb, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b = append(b, kb...)
		b = append(b, ':')
		vb, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}
