package vtl_test

import (
	"context"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/vtl"
)

// Rendering a request template the way the local API Gateway does: parse
// once, render per request with the body, parameters and $context.
func ExampleTemplate_Render() {
	tpl, err := vtl.Parse("start.vtl", `#set($body = $util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'"))
{"input": "$body", "name": "$context.requestId"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tpl.Render(context.Background(), &vtl.Env{
		Request: vtl.Request{Body: []byte(`{"city": "Saint-Malo", "note": "it's"}`)},
		Context: map[string]any{"requestId": "req-1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Body)
	// Output: {"input": "{\"city\":\"Saint-Malo\",\"note\":\"it's\"}", "name": "req-1"}
}

// A syntax error names the template, line and column.
func ExampleParse_syntaxError() {
	_, err := vtl.Parse("bad.vtl", "ok\n#if($a == )\n#end")
	fmt.Println(err)
	// Output: bad.vtl:2:11: unexpected ")" in expression
}

// $context.responseOverride comes back in the Result.
func ExampleResult() {
	tpl, _ := vtl.Parse("resp.vtl", `#set($context.responseOverride.status = 404)#set($context.responseOverride.header.X-Reason = "gone"){"message": "not found"}`)
	res, _ := tpl.Render(context.Background(), &vtl.Env{})
	fmt.Println(res.Status, res.Headers["X-Reason"], res.Body)
	// Output: 404 gone {"message": "not found"}
}
