package vtl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"plain text",
	"$a $!b ${c} $!{d} $a.b.c $a.b('x', 1)[0] \\$e \\\\$f",
	"#set($a = [1..3])#foreach($i in $a)$i#if($foreach.hasNext),#end#end",
	"#if($a == 1 && !$b || $c >= 2.5)x#elseif($d)y#else z#end",
	"#set($m = {'a': [1, {'b': \"$x\"}]})$m.a[1].b $m.keySet()",
	"#define($d)d#end$d #macro(m $x)$x#end#m('y')",
	"## c\n#* b *# #[[ raw ]]# #{if}(true)t#{end}",
	"$input.json('$.a') $input.path('$')[0] $input.params('q') $util.escapeJavaScript($input.body)",
	"#set($s = 'a,b')$s.split(',') $s.replaceAll('(a)', '$1$1') $s.substring(1)",
	"#set($context.responseOverride.status = 201)",
	"#foreach($i in [1..3])#break#end#stop",
	"\"$a\" #set( $b = \"#if(true)x#end\" )",
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.vtl"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "mapping-templates", "*.vtl"))
	for _, p := range append(paths, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
}

// FuzzParse: Parse never panics, and what it rejects is a *SyntaxError.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse("fuzz", src)
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("Parse returned %T %v, want *SyntaxError", err, err)
		}
	})
}

// FuzzRender: rendering any template that parses, against a JSON and a
// non-JSON body, never panics and fails only with a *RenderError.
func FuzzRender(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse("fuzz", src)
		if err != nil {
			return
		}
		for _, body := range []string{`{"a":[1,"x",{"b":null}],"q":"it's"}`, "a=1&b=2"} {
			env := &Env{
				Request: Request{Body: []byte(body), Headers: map[string]string{"H": "v"}, Query: map[string]string{"q": "1"}},
				Context: map[string]any{"requestId": "r", "identity": map[string]any{"sourceIp": "1.2.3.4"}},
			}
			res, err := tpl.Render(context.Background(), env)
			var re *RenderError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("Render returned %T %v, want *RenderError", err, err)
			}
			if err == nil && len(res.Body) > MaxOutputBytes {
				t.Fatalf("output %d bytes over the cap", len(res.Body))
			}
		}
	})
}
