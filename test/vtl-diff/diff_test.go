// Package vtldiff compares internal/vtl with velocityjs, the engine
// serverless-offline uses, on a corpus of templates. It needs node and the
// velocityjs npm package, pinned in package.json (the project's node_modules,
// or VELOCITYJS_DIR=/dir/with/node_modules), and fails without them, as the
// stack tests fail without osls. velocityjs is not API
// Gateway: the cases where it differs from Velocity 1.7 / API Gateway are
// listed in knownDifferences with the reason, and only new differences fail.
package vtldiff

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/vtl"
	"github.com/stretchr/testify/require"
)

type diffCase struct {
	Name           string            `json:"name"`
	Template       string            `json:"template"`
	Body           string            `json:"body,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Query          map[string]string `json:"query,omitempty"`
	Path           map[string]string `json:"path,omitempty"`
	Context        map[string]any    `json:"context,omitempty"`
	StageVariables map[string]string `json:"stageVariables,omitempty"`
}

type jsResult struct {
	Name   string  `json:"name"`
	Output *string `json:"output"`
	Error  string  `json:"error"`
}

// knownDifferences maps a case to why velocityjs (with serverless-offline's
// shims) prints something else than Velocity 1.7 as API Gateway runs it.
var knownDifferences = map[string]string{
	"set after set":           "Velocity 1.7's SET_DIRECTIVE token takes the blanks before #set when they start a token; velocityjs prints them",
	"set after reference":     "same rule: the blank after a reference is part of the #set token in Velocity 1.7",
	"comments":                "Velocity 1.7 keeps the newline after *#; velocityjs drops a line holding only a block comment",
	"foreach break":           "velocityjs finishes the current iteration after #break; Velocity stops at once",
	"doubled quotes":          "Velocity 1.7 reads \"\" inside a string as one quote; velocityjs cannot parse it",
	"braced directives":       "velocityjs fails on #{else}",
	"truthiness":              "Velocity 1.7's #if is false only for null and false; velocityjs uses JavaScript falsiness ('' and 0)",
	"integer division":        "JavaScript divides 7/2 as 3.5; Velocity's integer division gives 3",
	"float print":             "JavaScript prints 1.0 as 1 and 1e7 as 10000000; Java prints 1.0 and 1.0E7",
	"string concat null":      "Velocity concatenates the literal text of a null operand; velocityjs writes undefined",
	"comparison strings":      "velocityjs compares strings with <; Velocity 1.7 compares numbers only",
	"set null keeps value":    "velocityjs assigns null/undefined; Velocity 1.7 leaves the variable unchanged",
	"escape undefined":        "velocityjs prints \\$nope as $nope; Velocity 1.7 keeps the backslash when $nope is null",
	"map methods":             "JavaScript objects have no containsKey (serverless-offline adds no Map shims)",
	"map integer keys":        "velocityjs cannot parse a map literal with an integer key",
	"list add prints":         "velocityjs's push returns the new length; Java's add returns true",
	"length utf16":            "velocityjs has no length() method on strings (JavaScript length is a property)",
	"index negative":          "velocityjs does not count negative indexes from the end",
	"replace all occurrences": "Java's String.replace replaces every occurrence, JavaScript's the first",
	"replaceAll regex":        "velocityjs calls JavaScript's replaceAll, which takes a string pattern literally; Java's replaceAll is a regex",
	"aws quote fix":           "same: replaceAll(\"\\\\'\", \"'\") is a regex in Java, so \\' becomes '; in JavaScript it stays",
	"split regex":             "JavaScript's split takes the string literally",
	"split trailing empties":  "Java's split drops trailing empty strings, JavaScript's keeps them",
	"macro call literal":      "velocityjs renders a call to an undefined macro as nothing; Velocity prints it",
	"escapeJavaScript":        "velocityjs cannot parse the doubled quote in the argument",
}

var corpus = []diffCase{
	{Name: "text only", Template: "plain {\"json\": true}\nline 2\n"},
	{Name: "set line", Template: "a\n#set($x = 1)\nb $x\n"},
	{Name: "set indented after text", Template: "a\n  #set($x = 1)\nb\n"},
	{Name: "set after set", Template: "#set($x = 1)\n  #set($y = 2)\n$x$y\n"},
	{Name: "set after reference", Template: "#set($v = 1)$v #set($v = 2)$v"},
	{Name: "if lines", Template: "a\n#if(true)\nyes\n#else\nno\n#end\nb\n"},
	{Name: "if indented", Template: "a\n  #if(true)\n  yes\n  #end\nb\n"},
	{Name: "elseif", Template: "#set($n = 2)\n#if($n == 1)\none\n#elseif($n == 2)\ntwo\n#else\nmany\n#end\n"},
	{Name: "foreach json", Template: "[\n#foreach($i in [1, 2, 3])\n  $i#if($foreach.hasNext),#end\n#end\n]\n"},
	{Name: "foreach scope", Template: "#foreach($x in ['a', 'b'])$foreach.index$foreach.count$velocityCount$x #end"},
	{Name: "foreach break", Template: "#foreach($x in [1, 2, 3, 4])#if($x == 3)#break#end$x#end"},
	{Name: "foreach restores variable", Template: "#set($x = 'out')#foreach($x in [1])$x#end$x"},
	{Name: "nested foreach", Template: "#foreach($a in [1, 2])#foreach($b in ['x', 'y'])$a$b #end#end"},
	{Name: "quiet and null", Template: "[$nope][$!nope][${nope}][$!{nope}][$nope.a.b]"},
	{Name: "escape undefined", Template: "\\$nope"},
	{Name: "escape defined", Template: "#set($a = 1)\\$a"},
	{Name: "dollar alone", Template: "cost: $ 5 and $! and $.x"},
	{Name: "hash alone", Template: "#hashtag #fff # #1"},
	{Name: "hyphen in name", Template: "#set($a = 'x')$a-b"},
	{Name: "comments", Template: "a ## line\nb #* block *# c\n#* multi\nline *#\nd"},
	{Name: "unparsed", Template: "#[[ $a #if(true) ]]#"},
	{Name: "string interpolation", Template: "#set($n = 'w')#set($s = \"hi $n ${n}!\")#set($t = 'hi $n')$s|$t"},
	{Name: "doubled quotes", Template: "#set($s = \"a\"\"b\")$s"},
	{Name: "integer arithmetic", Template: "#set($a = 2 + 3 * 4)#set($b = 10 - 4)#set($c = 7 % 3)$a $b $c"},
	{Name: "integer division", Template: "#set($a = 7 / 2)$a"},
	{Name: "float print", Template: "#set($a = 1.0)#set($b = 10000000.0)$a $b"},
	{Name: "string concat", Template: "#set($a = 'x' + 1)$a"},
	{Name: "string concat null", Template: "#set($a = 'x' + $nope)$a"},
	{Name: "comparisons", Template: "#if(1 < 2 && 2 <= 2 && !(3 < 2) || false)ok#end"},
	{Name: "comparison strings", Template: "#if('b' > 'a')gt#else not#end"},
	{Name: "word operators", Template: "#if(1 lt 2 and not false)ok#end"},
	{Name: "equals across types", Template: "#if('1' == 1)eq#else ne#end"},
	{Name: "truthiness", Template: "#if('')a#end#if(0)b#end#if($nope)c#end#if(false)d#end"},
	{Name: "set null keeps value", Template: "#set($a = 1)#set($a = $nope)$a"},
	{Name: "list print", Template: "#set($l = [1, 'a', true])$l $l.size() $l.get(1) $l[0]"},
	{Name: "range", Template: "#foreach($i in [1..4])$i#end"},
	{Name: "range descending", Template: "#foreach($i in [2..-1])$i #end"},
	{Name: "map print", Template: "#set($m = {'a': 1, 'b': 'x'})$m"},
	{Name: "map methods", Template: "#set($m = {'a': 1, 'b': 2})$m.size() $m.get('a') $m.a $m.containsKey('b') #foreach($k in $m.keySet())$k#end"},
	{Name: "map integer keys", Template: "#set($m = {1: 'one'})$m.get(1)"},
	{Name: "map put", Template: "#set($m = {})#set($d = $m.put('k', 'v'))$m.k"},
	{Name: "list add prints", Template: "#set($l = [])$l.add('x')"},
	{Name: "string methods", Template: "#set($s = ' Hello World ')$s.trim() $s.toLowerCase() $s.toUpperCase() $s.indexOf('o') $s.substring(1, 6) $s.contains('World') $s.startsWith(' H') $s.endsWith('d ')"},
	{Name: "replace all occurrences", Template: "#set($s = 'foo')$s.replace('o', '0')"},
	{Name: "size on string", Template: "#set($s = 'abc')$s.size()"},
	{Name: "length utf16", Template: "#set($s = 'héllo')$s.length()"},
	{Name: "unknown method null", Template: "#set($s = 'abc')[$s.nope()]"},
	{Name: "index negative", Template: "#set($l = [1, 2, 3])$l[-1]"},
	{Name: "replaceAll regex", Template: "#set($s = 'a.b.c')$s.replaceAll('\\.', '-')"},
	{Name: "aws quote fix", Template: "#set($s = \"it\\'s\")$s.replaceAll(\"\\\\'\", \"'\")"},
	{Name: "split regex", Template: "#set($s = 'a1b22c')#set($p = $s.split('[0-9]+'))$p.size()"},
	{Name: "split trailing empties", Template: "#set($s = 'a,b,,')#set($p = $s.split(','))$p.size()"},
	{Name: "define", Template: "#define($b)v=$v#end#set($v = 1)$b#set($v = 2)$b"},
	{Name: "macro", Template: "#macro(greet $who)hi $who#end#greet('bob')"},
	{Name: "macro call literal", Template: "#nope('x')"},
	{Name: "braced directives", Template: "#{if}(true)x#{else}y#{end}"},
	{Name: "input json", Template: "{\"a\": $input.json('$.a'), \"all\": $input.json('$')}", Body: `{"a":{"b":[1,2]}}`},
	{Name: "input path", Template: "#set($r = $input.path('$'))$r.a.b.size() $input.path('$.a.b[1]')", Body: `{"a":{"b":[1,2]}}`},
	{Name: "input params", Template: "$input.params('id') $input.params('q') $input.params('h')", Path: map[string]string{"id": "7"}, Query: map[string]string{"q": "s"}, Headers: map[string]string{"h": "v"}},
	{Name: "context", Template: "$context.requestId $context.identity.sourceIp [$context.authorizer.principalId]", Context: map[string]any{"requestId": "r-1", "identity": map[string]any{"sourceIp": "1.2.3.4"}}},
	{Name: "empty body json", Template: "$input.json('$')"},
	{Name: "escapeJavaScript", Template: "$util.escapeJavaScript(\"a'b\"\"c/d é\")"},
	{Name: "stage variables", Template: "$stageVariables.env", StageVariables: map[string]string{"env": "dev"}},
}

func TestDifferentialVelocityjs(t *testing.T) {
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node not found: the velocityjs differential test needs node")
	check := exec.Command(node, "-e", "const p=require('path');require.resolve('velocityjs',{paths:[process.env.VELOCITYJS_DIR||p.join(process.cwd(),'..','..')]})")
	checked, err := check.CombinedOutput()
	require.NoError(t, err, "velocityjs is not installed: run `make node_modules` (npm ci; package.json pins it)\n%s", checked)
	cases := append([]diffCase{}, corpus...)
	cases = append(cases, projectTemplates(t)...)

	in, err := json.Marshal(cases)
	require.NoError(t, err)
	cmd := exec.Command(node, "render.cjs")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "render.cjs: %s", stderr.String())
	var results []jsResult
	require.NoError(t, json.Unmarshal(out, &results))
	require.Len(t, results, len(cases))

	same, known := 0, 0
	for i, c := range cases {
		got, goErr := renderGo(c)
		js := results[i]
		jsOut := "ERROR: " + js.Error
		if js.Output != nil {
			jsOut = *js.Output
		}
		if goErr != nil {
			got = "ERROR: " + goErr.Error()
		}
		reason, isKnown := knownDifferences[c.Name]
		switch {
		case got == jsOut:
			same++
			if isKnown {
				t.Logf("%s: now agrees with velocityjs; the known difference (%s) may be stale", c.Name, reason)
			}
		case isKnown:
			known++
			t.Logf("%s: known difference (%s)\n  vtl:        %q\n  velocityjs: %q", c.Name, reason, got, jsOut)
		case strings.HasPrefix(c.Name, "project "):
			// The project's templates use replaceAll and escapeJavaScript,
			// which velocityjs gets wrong; report without failing.
			known++
			t.Logf("%s: differs\n  vtl:        %q\n  velocityjs: %q", c.Name, got, jsOut)
		default:
			t.Errorf("%s: vtl and velocityjs differ\n  template:   %q\n  vtl:        %q\n  velocityjs: %q", c.Name, c.Template, got, jsOut)
		}
	}
	t.Logf("%d cases: %d identical, %d known differences", len(cases), same, known)
}

func renderGo(c diffCase) (string, error) {
	tpl, err := vtl.Parse(c.Name, c.Template)
	if err != nil {
		return "", err
	}
	res, err := tpl.Render(context.Background(), &vtl.Env{
		Request:        vtl.Request{Body: []byte(c.Body), Headers: c.Headers, Query: c.Query, Path: c.Path},
		Context:        c.Context,
		StageVariables: c.StageVariables,
	})
	if err != nil {
		return "", err
	}
	return res.Body, nil
}

func projectTemplates(t *testing.T) []diffCase {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "mapping-templates", "*.vtl"))
	var cases []diffCase
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		cases = append(cases, diffCase{
			Name:     "project " + filepath.Base(p),
			Template: string(src),
			Body:     `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:jobs:job-1","startDate":1.7E9,"name":"job-1","status":"RUNNING","input":"{}"}`,
			Headers:  map[string]string{"Idempotency-Key": "key-1"},
			Context:  map[string]any{"requestId": "req-1"},
		})
	}
	return cases
}
