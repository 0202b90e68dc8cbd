package vtl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJSONRoundTrip(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null],"c":{"d":"e"}}`, `{"b":1,"a":[true,false,null],"c":{"d":"e"}}`},
		{` [ 1 , -2 , 3.5 , 1e2 , -0.0 , 12345678901234567890 ] `, `[1,-2,3.5,100.0,-0.0,1.2345678901234567E19]`},
		{`"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \ud800x"`, `"esc \" \\ / \b \f \n \r \t é 😀 ` + "\uFFFD" + `x"`},
		{`"ctl \u0001 <&>"`, `"ctl \u0001 <&>"`},
		{`{"dup":1,"x":2,"dup":3}`, `{"dup":3,"x":2}`},
	}
	for _, tc := range cases {
		v, err := parseJSON([]byte(tc.in))
		require.NoError(t, err, tc.in)
		var b strings.Builder
		require.NoError(t, writeJSON(&b, v, 0))
		assert.Equal(t, tc.want, b.String(), tc.in)
	}
}

func TestParseJSONRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `.5`, `tru`, `"a`, "\"a\x01\"", `"\x"`, `"\u12"`, `{} {}`, `{'a':1}`, strings.Repeat("[", 1002) + strings.Repeat("]", 1002)} {
		_, err := parseJSON([]byte(in))
		assert.Error(t, err, "%q", in)
	}
}

// FuzzParseJSON: the body parser never panics and accepts exactly what
// encoding/json accepts (within the nesting limit).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\ud83d\ude00"`, `[]`, `-0.5e-3`, `{"a":{"b":{}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, err := parseJSON([]byte(in))
		if strings.Count(in, "[")+strings.Count(in, "{") > maxJSONDepth {
			return
		}
		if valid := json.Valid([]byte(in)); valid != (err == nil) {
			t.Fatalf("parseJSON(%q) error %v, encoding/json valid %v", in, err, valid)
		}
	})
}

func TestEscapeJavaScript(t *testing.T) {
	cases := map[string]string{
		"plain":         "plain",
		"a'b\"c\\d/e":   `a\'b\"c\\d\/e`,
		"\b\f\n\r\t":    `\b\f\n\r\t`,
		"\x00\x07\x1f":  `\u0000\u0007\u001F`,
		"\x7f":          "\x7f",
		"é\u0100\u1234": `\u00E9\u0100\u1234`,
		"😀":             `\uD83D\uDE00`,
		"<script>&":     "<script>&",
	}
	for in, want := range cases {
		assert.Equal(t, want, escapeJavaScript(in), "%q", in)
	}
}

func TestURLCodec(t *testing.T) {
	assert.Equal(t, "a+b%2B%26%3D%2F%3F%25%7E*.-_%C3%A9", javaURLEncode("a b+&=/?%~*.-_é"))
	got, err := javaURLDecode("a+b%2B%26%3D%2F%3F%25%7E*.-_%C3%A9")
	require.NoError(t, err)
	assert.Equal(t, "a b+&=/?%~*.-_é", got)
	for _, bad := range []string{"%", "%4", "%zz", "a%g1"} {
		_, err := javaURLDecode(bad)
		assert.Error(t, err, bad)
	}
}

// What $input.path returns prints as JSON Smart's objects do: a JSON object
// is a LinkedHashMap ({k=v}), a JSON array a JSONArray, whose toString is
// compact JSON with strings escaped for the web. Lists built in the template
// or by $util.parseJson keep Java's "[a, b]".
func TestInputPathPrinting(t *testing.T) {
	body := `{"list": [{"a": "x/y"}, [1, 2.5, 1e7], "q\"\\ \t\u0001\u007f\u0085\u2028é😀", null, true],` +
		` "map": {"l": ["b"], "m": {"k": "v"}}, "empty": []}`
	runRenderCases(t, []renderCase{
		{"array of mixed values", `$input.path('$.list')`, jsonEnv(body),
			`[{"a":"x\/y"},[1,2.5,1.0E7],"q\"\\ \t\u0001\u007F\u0085\u2028é😀",null,true]`},
		{"object holding arrays", `$input.path('$.map')`, jsonEnv(body), `{l=["b"], m={k=v}}`},
		{"element of an array", `$input.path('$.list')[0] $input.path('$.list').get(1)`, jsonEnv(body), `{a=x/y} [1,2.5,1.0E7]`},
		{"empty array", `$input.path('$.empty')`, jsonEnv(body), `[]`},
		{"wildcard result", `$input.path('$.map.*')`, jsonEnv(body), `[["b"],{"k":"v"}]`},
		{"toString and concatenation", `#set($l = $input.path('$.map.l'))#set($s = "$l")$l.toString() $s ${l}x`, jsonEnv(body), `["b"] ["b"] ["b"]x`},
		{"add keeps it an array", `#set($l = $input.path('$.map.l'))#set($d = $l.add('c'))$l`, jsonEnv(body), `["b","c"]`},
		{"template lists stay Java", `#set($l = ['a', {'k': 'v'}])$l $input.path('$.map.l').subList(0, 1)`, jsonEnv(body), `[a, {k=v}] [b]`},
		{"parseJson lists stay Java", `$util.parseJson('[1, {"a": [2]}]')`, nil, `[1, {a=[2]}]`},
	})
}
