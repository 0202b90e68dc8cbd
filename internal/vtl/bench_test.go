package vtl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pluginStartExecution is serverless-step-functions' default request
// template after Fn::Sub (see testdata/golden/plugin-default-start-execution).
const pluginStartExecution = `
#set( $body = $util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'") )
{"input": "$body", "name": "$context.requestId", "stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:jobs"}`

func startEnv(i int) *Env {
	return &Env{
		Request: Request{
			Body:    []byte(fmt.Sprintf(`{"records": %d, "seed": 42, "note": "it's job %d", "tags": ["a", "b", "c"]}`, i, i)),
			Headers: map[string]string{"Content-Type": "application/json", "Idempotency-Key": fmt.Sprintf("key-%d", i)},
		},
		Context: map[string]any{"requestId": fmt.Sprintf("req-%d", i), "stage": "dev", "httpMethod": "POST"},
	}
}

func BenchmarkRenderStartExecution(b *testing.B) {
	tpl, err := Parse("start", pluginStartExecution)
	require.NoError(b, err)
	env := startEnv(1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(ctx, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderStartExecutionParallel(b *testing.B) {
	tpl, err := Parse("start", pluginStartExecution)
	require.NoError(b, err)
	env := startEnv(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tpl.Render(context.Background(), env); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkParseLambdaProxyTemplate(b *testing.B) {
	src := mustRead(b, "testdata/plugin-lambda-proxy-json.vtl")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("proxy", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderLambdaProxyTemplate(b *testing.B) {
	tpl, err := Parse("proxy", mustRead(b, "testdata/plugin-lambda-proxy-json.vtl"))
	require.NoError(b, err)
	env := proxyEnv(`{"a":1}`, map[string]string{"Content-Type": "application/json", "Accept": "*/*"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(context.Background(), env); err != nil {
			b.Fatal(err)
		}
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	tpl, err := readFileString(path)
	require.NoError(tb, err)
	return tpl
}

// One parsed template rendered from many goroutines gives each its own
// answer: run with -race to check there is no shared mutable state.
func TestConcurrentRender(t *testing.T) {
	tpl, err := Parse("start", pluginStartExecution+`
#set($context.responseOverride.status = $input.path('$.records'))
#set($l = [])#set($d = $l.add($context.requestId))$l`)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				n := i*100 + j
				res, err := tpl.Render(context.Background(), startEnv(n))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, n, res.Status)
				assert.Contains(t, res.Body, fmt.Sprintf(`"name": "req-%d"`, n))
				assert.True(t, strings.HasSuffix(res.Body, fmt.Sprintf("[req-%d]", n)), res.Body)
			}
		})
	}
	wg.Wait()
}
