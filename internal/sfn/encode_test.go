package sfn

import (
	"encoding/json"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`{"b":1,"a":[true,false,null,"x\"y\\z\n\t\u0001<&>"],"c":{"d":1.5e10,"e":-0}}`,
		`"\u2028 ünï"`, `[]`, `{}`, `12345678901234567890`, `null`,
	} {
		v, err := asl.DecodeJSON([]byte(text))
		require.NoError(t, err)
		got := marshalValue(v)
		var a, b any
		require.NoError(t, json.Unmarshal([]byte(got), &a), got)
		require.NoError(t, json.Unmarshal([]byte(text), &b))
		assert.Equal(t, b, a, text)
	}
	assert.Equal(t, `"a\ufffdb"`, marshalValue("a\xffb"))
	assert.Equal(t, `{"a":1,"b":[2]}`, marshalValue(map[string]any{"b": []any{json.Number("2")}, "a": 1}))
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x"]}`, `"\u0000"`, `[null,true]`, `"\xff"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := asl.DecodeJSON([]byte(s))
		if err != nil {
			v = s // any string must encode too
		}
		out := marshalValue(v)
		if !json.Valid([]byte(out)) {
			t.Fatalf("invalid JSON %q from %q", out, s)
		}
	})
}

// Compact text, as DecodeCompactJSON reports it, is what marshalValue
// writes for the value: a task's output is then the history's text of it.
func TestCompactTextIsMarshalValue(t *testing.T) {
	for _, text := range []string{
		"{\"jobId\":\"j\",\"status\":\"RUNNING\",\"n\":-1.5e+3,\"a\":[true,false,null,{}],\"u\":\"ünï😀\u2028\"}",
		`"x"`, `0`, `null`, `[]`, `{"a":{"b":[1,[2]]}}`, "\"\u2028<&>\"",
	} {
		v, compact, err := asl.DecodeCompactJSON(text)
		require.NoError(t, err)
		require.True(t, compact, text)
		assert.Equal(t, text, marshalValue(v))
	}
}

func FuzzCompactTextIsMarshalValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x"]}`, `{"a":1,"a":2}`, `"\u00e9"`, `[null, true]`, "\"\xff\"", `-0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, compact, err := asl.DecodeCompactJSON(s)
		if err != nil || !compact {
			return
		}
		if got := marshalValue(v); got != s {
			t.Fatalf("compact %q encodes as %q", s, got)
		}
	})
}

// sameValue: the same object or equal scalars, never arrays or maps.
func TestSameValue(t *testing.T) {
	o := jsonvalue.NewObject(0)
	arr := []any{json.Number("1")}
	cases := []struct {
		name string
		a, b any
		want bool
	}{
		{"same object", o, o, true},
		{"another object", o, jsonvalue.NewObject(0), false},
		{"equal strings", "x", "x", true},
		{"string and number", "1", json.Number("1"), false},
		{"equal numbers", json.Number("1"), json.Number("1"), true},
		{"nils", nil, nil, true},
		{"nil and object", nil, o, false},
		{"bools", true, true, true},
		{"arrays", arr, arr, false},
		{"string and array", "x", arr, false},
		{"maps", map[string]any{}, map[string]any{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, sameValue(c.a, c.b))
		})
	}
}
