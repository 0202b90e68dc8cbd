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
