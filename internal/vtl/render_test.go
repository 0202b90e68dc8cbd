package vtl

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type renderCase struct {
	name string
	src  string
	env  *Env
	want string
}

func runRenderCases(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.name, tc.src)
			require.NoError(t, err)
			res, err := tpl.Render(context.Background(), tc.env)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Body)
		})
	}
}

func jsonEnv(body string) *Env { return &Env{Request: Request{Body: []byte(body)}} }

// Velocity 1.7 whitespace: a directive's closing ')' and #else/#end eat the
// blanks and one newline after them; #set also eats the blanks before it
// when they start a token; nothing else is trimmed.
func TestWhitespace(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"set line vanishes", "a\n#set($x = 1)\nb", nil, "a\nb"},
		{"set keeps indentation after text", "a\n  #set($x = 1)\nb", nil, "a\n  b"},
		{"set eats indentation after directive", "#set($x = 1)\n  #set($y = 2)\nb", nil, "b"},
		{"if block lines vanish", "a\n#if(true)\nyes\n#end\nb", nil, "a\nyes\nb"},
		{"indented if keeps indentation", "a\n  #if(true)\n  yes\n  #end\nb", nil, "a\n    yes\n  b"},
		{"else line vanishes", "#if(false)\nno\n#else\nyes\n#end\n", nil, "yes\n"},
		{"elseif", "#if(false)\na\n#elseif(true)\nb\n#else\nc\n#end\n", nil, "b\n"},
		{"inline directives keep text", "x #if(true)y#end z", nil, "x y z"},
		{"trailing blanks before newline eaten", "#set($a = 1)   \nb", nil, "b"},
		{"blanks then text not eaten", "#if(true)  x#end", nil, "  x"},
		{"foreach lines", "#foreach($i in [1..2])\n$i\n#end\n", nil, "1\n2\n"},
		{"crlf", "#set($a = 1)\r\nb#if(true)\r\nc#end\r\nd", nil, "bcd"},
		{"line comment eats its newline", "a ## note\nb", nil, "a b"},
		{"block comment keeps newline", "a #* x\ny *#\nb", nil, "a \nb"},
		{"braced directives", "#{if}(true)x#{else}y#{end}", nil, "x"},
		{"unparsed block", "#[[ $a #if ]]#", nil, " $a #if "},
	})
}

func TestReferences(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"null renders empty", "[$foo][$!foo][${foo}][$!{foo}][$foo.bar()]", nil, "[][][][][]"},
		{"set and print", "#set($a = 'x')$a ${a}y $!a", nil, "x xy x"},
		{"dollar not a reference", "$ $1 $. $! 5$", nil, "$ $1 $. $! 5$"},
		{"hash not a directive", "#hashtag #fff # #1", nil, "#hashtag #fff # #1"},
		{"hyphen is part of a name", "#set($a = 'x')$a-b|${a}-b", nil, "|x-b"},
		{"dot without identifier ends reference", "#set($a = 'x')$a. $a.1", nil, "x. x.1"},
		{"escaped defined", "#set($a = 'x')\\$a \\\\$a", nil, "$a \\x"},
		{"escaped undefined", "\\$nope", nil, "\\$nope"},
		{"escaped directive", "\\#if(true) \\#set", nil, "#if(true) #set"},
		{"property chain on map", "#set($m = {'a': {'b': 'c'}})$m.a.b $m['a']['b']", nil, "c c"},
		{"index list", "#set($l = ['a', 'b', 'c'])$l[0]$l[2]$l[-1]", nil, "acc"},
		{"method then index", "#set($s = 'a,b')$s.split(',')[1]", nil, "b"},
		{"getter property", "#set($s = 'abc')$s.empty $s.bytes", nil, "false "},
		{"unknown method is null", "#set($s = 'abc')[$s.nope()][$s.size()]", nil, "[][]"},
		{"map put prints previous value", "#set($m = {})$m.put('a', 1)$m.put('a', 2)$m", nil, "1{a=2}"},
	})
}

func TestSetSemantics(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"null rhs leaves value", "#set($a = 1)#set($a = $nope)$a", nil, "1"},
		{"property set on map", "#set($m = {})#set($m.k = 'v')$m", nil, "{k=v}"},
		{"index set on map and list", "#set($m = {})#set($m['k'] = 1)#set($l = [1, 2])#set($l[1] = 'x')$m $l", nil, "{k=1} [1, x]"},
		{"set on null base ignored", "#set($n.k = 1)[$n]", nil, "[]"},
		{"rhs expression", "#set($a = 2 + 3 * 4)$a", nil, "14"},
	})
}

func TestLiterals(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"double quoted interpolates", "#set($n = 'w')#set($s = \"hi $n ${n}!\")$s", nil, "hi w w!"},
		{"single quoted does not", "#set($n = 'w')#set($s = 'hi $n')$s", nil, "hi $n"},
		{"doubled quotes", "#set($s = \"a\"\"b\")#set($t = 'c''d')$s $t", nil, "a\"b c'd"},
		{"backslash kept", "#set($s = \"a\\'b\\n\")$s", nil, "a\\'b\\n"},
		{"directive inside string", "#set($s = \"#if(true)y#end\")$s", nil, "y"},
		{"ints and floats", "#set($a = 3)#set($b = 2.50)#set($c = -4)$a $b $c", nil, "3 2.5 -4"},
		{"float java format", "#set($a = 1.0)#set($b = 10000000.0)#set($c = 0.0001)$a $b $c", nil, "1.0 1.0E7 1.0E-4"},
		{"booleans", "#set($t = true)#set($f = false)$t $f", nil, "true false"},
		{"list", "#set($l = [1, 'a', [2], {'k': true}])$l $l.size()", nil, "[1, a, [2], {k=true}] 4"},
		{"range up and down", "#set($u = [1..3])#set($d = [2..-1])$u $d", nil, "[1, 2, 3] [2, 1, 0, -1]"},
		{"range with refs", "#set($n = 3)#foreach($i in [1..$n])$i#end", nil, "123"},
		{"map keeps order", "#set($m = {'z': 1, 'a': 2, \"m\": 3})$m", nil, "{z=1, a=2, m=3}"},
		{"empty collections", "#set($l = [])#set($m = {})$l $m", nil, "[] {}"},
		{"null inside collections", "#set($l = [$nope, 1])$l", nil, "[null, 1]"},
	})
}

func TestOperators(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"integer arithmetic", "#set($a = 7 / 2)#set($b = 7 % 3)#set($c = -7 / 2)$a $b $c", nil, "3 1 -3"},
		{"float arithmetic", "#set($a = 7 / 2.0)#set($b = 1 + 0.5)$a $b", nil, "3.5 1.5"},
		{"division by zero is null", "#set($a = 1)#set($a = 1 / 0)$a", nil, "1"},
		{"string concatenation", "#set($a = 'x' + 1)#set($b = 1 + 'x')$a $b", nil, "x1 1x"},
		{"precedence", "#set($a = 1 + 2 * 3 - 4 / 2)$a", nil, "5"},
		{"parentheses", "#set($a = (1 + 2) * 3)$a", nil, "9"},
		{"comparisons", "#if(1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3)ok#end", nil, "ok"},
		{"word operators", "#if(1 lt 2 and not false or false)ok#end#if(1 eq 1 && 1 ne 2 && 2 gt 1 && 2 ge 2 && 1 le 1)!#end", nil, "ok!"},
		{"number equality across types", "#if(1 == 1.0)a#end#if('1' == 1)b#end#if('a' != 'b')c#end", nil, "abc"},
		{"null equality", "#if($x == $y)a#end#if($x != 1)b#end#if(!$x)c#end", nil, "abc"},
		{"null equals empty string", "#if($x == '')a#end#if('' == $x)b#end#if($x != \"\")c#end#if($x == ' ')d#end#if($x == 'null')e#end", nil, "ab"},
		{"tostring equality", "#if('true' == true)a#end#if(['a'] == '[a]')b#end", nil, "ab"},
		{"compare non numbers is false", "#if('b' > 'a')x#else y#end", nil, " y"},
		{"truthiness", "#if('')a#end#if(0)b#end#if([])c#end#if($nope)d#end#if(false)e#end", nil, "abc"},
		{"not", "#if(!true)a#else b#end#if(!$nope)c#end", nil, " bc"},
		{"short circuit", "#if(true || $x.explode())a#end#if(false && $x.explode())b#end", nil, "a"},
		{"unary minus", "#set($a = 3)#set($b = -$a)$b", nil, "-3"},
	})
}

func TestForeach(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"scope variables", "#foreach($x in ['a', 'b', 'c'])$foreach.index$foreach.count$velocityCount$x#if($foreach.hasNext),#end#end", nil, "011a,122b,233c"},
		{"first and last", "#foreach($x in [1, 2])$foreach.first$foreach.last #end", nil, "truefalse falsetrue "},
		{"break", "#foreach($x in [1..5])#if($x == 3)#break#end$x#end", nil, "12"},
		{"nested parent", "#foreach($a in [1, 2])#foreach($b in ['x'])$foreach.parent.count$b#end#end", nil, "1x2x"},
		{"map iterates values", "#set($m = {'a': 1, 'b': 2})#foreach($v in $m)$v#end", nil, "12"},
		{"keySet", "#set($m = {'a': 1, 'b': 2})#foreach($k in $m.keySet())$k=$m.get($k);#end", nil, "a=1;b=2;"},
		{"entrySet", "#set($m = {'a': 1})#foreach($e in $m.entrySet())$e.key:$e.value $e#end", nil, "a:1 a=1"},
		{"null and non-iterables skipped", "#foreach($x in $nope)a#end#foreach($x in 'str')b#end#foreach($x in 3)c#end.", nil, "."},
		{"loop variable restored", "#set($x = 'out')#foreach($x in [1])$x#end$x", nil, "1out"},
		{"loop variable removed", "#foreach($y in [1])#end[$y]", nil, "[]"},
		{"set inside loop is global", "#foreach($x in [1, 2])#set($last = $x)#end$last", nil, "2"},
		{"null element", "#foreach($x in [1, $nope, 3])[$x]#end", nil, "[1][][3]"},
		{"stop", "a#foreach($x in [1, 2])$x#stop#end b", nil, "a1"},
		{"foreach over list mutated in body", "#set($l = [1, 2])#foreach($x in $l)#set($d = $l.add(9))$x#end $l.size()", nil, "12 4"},
	})
}

func TestDefineAndMacro(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"define is lazy", "#define($b)v=$v#end#set($v = 1)$b#set($v = 2)$b", nil, "v=1v=2"},
		// The blank after a reference starts a token, so #set swallows it.
		{"set eats blank after reference", "#set($v = 1)$v #set($v = 2)$v", nil, "12"},
		{"define in string", "#define($b)x\"y#end#set($s = \"[$b]\")$s", nil, "[x\"y]"},
		{"macro", "#macro(greet $who)hi $who#end#greet('bob') #greet(\"ann\")", nil, "hi bob hi ann"},
		{"macro args restored", "#set($who = 'outer')#macro(m $who)$who#end#m('in') $who", nil, "in outer"},
		{"unknown macro printed", "#nope('x') #nope", nil, "#nope('x') #nope"},
		{"malformed unknown macro is text", "#tag(a b) #x(", nil, "#tag(a b) #x("},
	})
}

func TestStringMethods(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"length and case", "#set($s = ' Hello ')$s.length() $s.trim() $s.toLowerCase()$s.toUpperCase()", nil, "7 Hello  hello  HELLO "},
		{"substring", "#set($s = 'abcdef')$s.substring(2) $s.substring(1, 3)", nil, "cdef bc"},
		{"index", "#set($s = 'abcabc')$s.indexOf('c') $s.indexOf('c', 3) $s.lastIndexOf('a') $s.indexOf('z')", nil, "2 5 3 -1"},
		{"predicates", "#set($s = 'abc')$s.contains('b') $s.startsWith('ab') $s.endsWith('bc') $s.isEmpty() $s.equals('abc') $s.equalsIgnoreCase('ABC')", nil, "true true true false true true"},
		{"replace is literal", "#set($s = 'a.b.c')$s.replace('.', '-')", nil, "a-b-c"},
		{"replaceAll is a regex", "#set($s = 'a.b.c')$s.replaceAll('.', '-')", nil, "-----"},
		{"replaceAll groups", "#set($s = 'john smith')$s.replaceAll('(\\w+) (\\w+)', '$2, $1')", nil, "smith, john"},
		{"replaceAll escaped dollar", "#set($s = 'a')$s.replaceAll('a', '\\$1')", nil, "$1"},
		{"java posix classes", "#set($s = 'a1_B!')$s.replaceAll('\\p{Alpha}', 'x') $s.replaceAll('[\\p{Digit}_]', '#') $s.replaceAll('\\P{Alnum}', '')", nil, "x1_x! a##B! a1B"},
		{"replaceFirst", "#set($s = 'aaa')$s.replaceFirst('a', 'b')", nil, "baa"},
		{"aws quote fix", "#set($s = \"it\\'s\")$s.replaceAll(\"\\\\'\", \"'\")", nil, "it's"},
		{"split drops trailing empties", "#set($s = 'a,b,,c,,')#set($p = $s.split(','))$p.size() $p[2]|", nil, "4 |"},
		{"split regex and limit", "#set($s = 'a1b22c')#set($t = 'a=b=c')#set($p = $s.split('[0-9]+'))#set($q = $t.split('=', 2))$p.size()$p[2] $q.size()$q[1]", nil, "3c 2b=c"},
		{"split keeps leading empty", "#set($s = ',a')#set($p = $s.split(','))$p.size()", nil, "2"},
		{"matches is whole string", "#set($s = 'abc123')$s.matches('[a-z]+') $s.matches('[a-z]+[0-9]+')", nil, "false true"},
		{"charAt and concat", "#set($s = 'héllo')$s.charAt(1)$s.concat('!') $s.length()", nil, "éhéllo! 5"},
		{"utf16 length", "#set($s = '😀')$s.length()", nil, "2"},
		{"compareTo and hashCode", "#set($s = 'b')$s.compareTo('a') $s.hashCode() 'ab'.hashCode()", nil, "1 98 'ab'.hashCode()"},
	})
}

func TestCollectionMethods(t *testing.T) {
	runRenderCases(t, []renderCase{
		{"list basics", "#set($l = ['a', 'b'])$l.size() $l.get(1) $l.isEmpty() $l.contains('a') $l.indexOf('b')", nil, "2 b false true 1"},
		{"list add prints true", "#set($l = [])$l.add('x')#set($d = $l.add('y'))$l", nil, "true[x, y]"},
		{"list quiet add", "#set($l = [])$!l.add('x')$l", nil, "true[x]"},
		{"cyclic lists compare and print", "#set($a = [])#set($b = [$a])#set($d = $a.add($b))#if($a == $b)eq#else ne#end $a.contains($a) #set($d = $a.add($a))$a.size()", nil, " ne false2"},
		{"list remove set sublist", "#set($l = [1, 2, 3, 4])#set($d = $l.remove(0))#set($d = $l.set(0, 9))$l $l.subList(1, 3)", nil, "[9, 3, 4] [3, 4]"},
		{"map basics", "#set($m = {'a': 1})$m.size() $m.get('a') $m.containsKey('a') $m.containsKey('b') $m.isEmpty() $m.values()", nil, "1 1 true false false [1]"},
		{"map missing key", "#set($m = {'a': 1})[$m.get('b')][$m.b]", nil, "[][]"},
		{"map remove and putAll", "#set($m = {'a': 1})#set($d = $m.putAll({'b': 2}))#set($d = $m.remove('a'))$m", nil, "{b=2}"},
		{"map integer keys", "#set($m = {1: 'one'})$m.get(1) $m", nil, "one {1=one}"},
		{"number methods", "#set($f = 2.7)$f.intValue() 5.toString()", nil, "2 5.toString()"},
	})
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
	}{
		{"#if(true)\nx", 1, 1},
		{"ok\n  #set($a = )", 2, 13},
		{"#foreach($x $l)#end", 1, 13},
		{"#end", 1, 1},
		{"a\n#else", 2, 1},
		{"$a.b('x'", 1, 9},
		{"#set($a = 'unterminated)", 1, 11},
		{"#* never closed", 1, 1},
		{"${a", 1, 1},
		{"#set($a = [1, 2)", 1, 16},
		// Velocity 1.7 calls methods on references only, not on literals.
		{"#set($n = 'Ab'.toLowerCase())", 1, 15},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			_, err := Parse("tpl.vtl", tc.src)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "tpl.vtl", se.Template)
			assert.Equal(t, tc.line, se.Line, "line of %v", err)
			assert.Equal(t, tc.col, se.Col, "column of %v", err)
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		body string
		is   error
	}{
		{"substring out of range", "#set($s = 'abc')\n$s.substring(5)", "", nil},
		{"list get out of range", "#set($l = [])$l.get(0)", "", nil},
		{"index out of range", "#set($l = [1])$l[3]", "", nil},
		{"bad regex", "#set($s = 'a')$s.replaceAll('(', 'x')", "", nil},
		{"java-only regex", "#set($s = 'a')$s.matches('(?=a)a')", "", ErrUnsupported},
		{"bad group reference", "#set($s = 'a')$s.replaceAll('a', '$2')", "", nil},
		{"invalid json body", "$input.json('$')", "{not json", ErrInvalidJSONBody},
		{"invalid json body path", "$input.path('$.a')", "[1,", ErrInvalidJSONBody},
		{"parseJson invalid", "$util.parseJson('{')", "", nil},
		{"urlDecode invalid", "$util.urlDecode('%zz')", "", nil},
		{"base64Decode invalid", "$util.base64Decode('@@@')", "", nil},
		{"contains null", "#set($s = 'a')$s.contains($nope)", "", nil},
		{"parse directive", "#parse('x.vtl')", "", ErrUnsupported},
		{"huge range", "#foreach($i in [1..100000000])#end", "", ErrLimit},
		{"loop cap", "#foreach($i in [1..99999])#foreach($j in [1..99])#end#end", "", ErrLimit},
		{"recursive define", "#define($b)$b#end$b", "", ErrLimit},
		{"recursive macro", "#macro(m)#m()#end#m()", "", ErrLimit},
		{"output cap", "#set($s = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')#foreach($i in [1..99999])#foreach($j in [1..9])$s#end#end", "", ErrLimit},
		{"quadratic string building", "#set($l = [])#foreach($i in [1..99999])#set($d = $l.add('xxxxxxxxxx'))#set($s = \"$l\")#end", "", ErrLimit},
		{"replace blow-up", "#set($s = 'abcdefghijklmnopqrstuvwxyz')#foreach($i in [1..4])#set($s = $s.replace('', $s))#end", "", ErrLimit},
		{"scanning a large string in a loop", "#set($s = 'x')#foreach($i in [1..20])#set($s = \"$s$s\")#end#foreach($i in [1..9999])#if($s.contains('y'))#end#end", "", ErrLimit},
		{"string doubling", "#set($s = 'x')#foreach($i in [1..64])#set($s = \"$s$s\")#end", "", ErrLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.name, tc.src)
			require.NoError(t, err)
			_, err = tpl.Render(context.Background(), jsonEnv(tc.body))
			var re *RenderError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.name, re.Template)
			if tc.is != nil {
				assert.True(t, errors.Is(err, tc.is), "want %v, got %v", tc.is, err)
			}
		})
	}
}

func TestRuntimeErrorPosition(t *testing.T) {
	tpl, err := Parse("pos.vtl", "line one\n  $s.substring(9)")
	require.NoError(t, err)
	env := &Env{}
	_, err = tpl.Render(context.Background(), env)
	assert.NoError(t, err, "null receiver is not an error")

	tpl, err = Parse("pos.vtl", "#set($s = 'abc')\n  $s.substring(9)")
	require.NoError(t, err)
	_, err = tpl.Render(context.Background(), env)
	var re *RenderError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 2, re.Line)
	assert.Equal(t, 5, re.Col)
}

func TestRenderHonoursContextCancel(t *testing.T) {
	tpl, err := Parse("loop", "#foreach($i in [1..99999])#foreach($j in [1..9])#end#end")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tpl.Render(ctx, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestContextConversion(t *testing.T) {
	type claims map[string]string
	env := &Env{Context: map[string]any{
		"n8":     int8(-3),
		"u":      uint64(7),
		"f32":    float32(1.5),
		"num":    json.Number("12"),
		"claims": claims{"sub": "u1", "email": "a@b"},
		"list":   []map[string]any{{"a": 1}},
		"ptr":    new(int),
		"nilMap": map[string]any(nil),
	}}
	// The maps inside $context print as nothing, as on API Gateway; their
	// contents are read one by one.
	tpl, err := Parse("ctx", "$context.n8 $context.u $context.f32 $context.num [$context.claims] $context.claims.keySet() $context.claims.sub $context.list.size() $context.list[0].a [$context.ptr] [$context.nilMap]")
	require.NoError(t, err)
	res, err := tpl.Render(context.Background(), env)
	require.NoError(t, err)
	assert.Equal(t, "-3 7 1.5 12 [] [email, sub] u1 1 1 [0] []", res.Body)
	assert.NotContains(t, env.Context, "responseOverride", "Render must not modify Env.Context")
}

// Maps API Gateway puts in $context print as nothing (recorded on AWS:
// $context.identity and $context.requestOverride.header printed ""); a map a
// template sets there is its own and prints as a map, also in the next
// template of the same request.
func TestContextObjectsPrintEmpty(t *testing.T) {
	env := &Env{Context: map[string]any{
		"identity":        map[string]any{"sourceIp": "1.2.3.4"},
		"requestOverride": map[string]any{"header": map[string]any{}},
	}}
	tpl, err := Parse("ctx", `[$context.identity][$context.identity.sourceIp][$context.requestOverride.header][$context.responseOverride][$context.responseOverride.header]`+
		`#set($context.mine = {"a": 1})#set($context.requestOverride.header.x = "y")[$context.mine][$context.requestOverride.header.x]`)
	require.NoError(t, err)
	res, ctxMap, err := tpl.render(context.Background(), env, nil)
	require.NoError(t, err)
	assert.Equal(t, "[][1.2.3.4][][][][{a=1}][y]", res.Body)
	next, err := Parse("next", `[$context.mine][$context.identity]`)
	require.NoError(t, err)
	res, _, err = next.render(context.Background(), &Env{}, ctxMap)
	require.NoError(t, err)
	assert.Equal(t, "[{a=1}][]", res.Body)
}

// A prepared Context renders as the map it was made from, and each render
// has its own copy: what one template sets in $context, the next render of
// the same Context does not see.
func TestPreparedContext(t *testing.T) {
	goCtx := map[string]any{
		"requestId": "r-1",
		"identity":  map[string]any{"sourceIp": "1.2.3.4", "user": ""},
		"list":      []any{"a", map[string]any{"b": int64(2)}},
		"n":         7,
	}
	prepared := NewContext(goCtx)
	tests := []struct {
		name string
		src  string
	}{
		{"reads", `$context.requestId [$context.identity] $context.identity.sourceIp $context.identity.keySet() $context.list.size() $context.list[1].b $context.n $context.keySet()`},
		{"responseOverride", `#set($context.responseOverride.status = 201)#set($context.responseOverride.header.X = "y")[$context.responseOverride.status]`},
		{"changes", `#set($d = $context.identity.put("sourceIp", "9.9.9.9"))#set($d = $context.list.add(3))#set($d = $context.list[1].put("b", 5))#set($context.requestId = "x")#set($d = $context.remove("n"))$context.identity.sourceIp $context.list $context.requestId $context.keySet()`},
		{"after changes", `$context.identity.sourceIp $context.list.size() $context.list[1].b $context.requestId $context.keySet() [$context.responseOverride.status]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.name, tc.src)
			require.NoError(t, err)
			want, err := tpl.Render(context.Background(), &Env{Context: goCtx})
			require.NoError(t, err)
			got, err := tpl.Render(context.Background(), &Env{Prepared: prepared, Context: map[string]any{"ignored": true}})
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}
