package slsconfig

import (
	"os"
	"testing"
)

// FuzzResolve feeds arbitrary documents to the loader: it may refuse them,
// never panic or hang.
func FuzzResolve(f *testing.F) {
	seed, err := os.ReadFile("testdata/resolve/serverless.yml")
	if err == nil {
		f.Add(string(seed))
	}
	for _, s := range []string{
		"service: s\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n",
		"service: s\ncustom:\n  a: ${opt:stage, self:custom.${env:X, 'y'}}\n  y: ok\n",
		"service: s\ncustom:\n  a: \\\\${self:service} ${AWS::Region} ${file(files/data.json):list.3.four}\n",
		"service: s\nstepFunctions:\n  stateMachines:\n    m:\n      id: M\n      definition: {StartAt: A, States: {A: {Type: Task, Resource: {Fn::GetAtt: [fn, Arn]}, End: true}}}\n      events:\n        - http: {path: /x/{id}, method: get, action: DescribeExecution, cors: true}\n",
		"a: &x [*x]\n",
		"service: ${self:service}\n",
		"service: s\nfunctions:\n  f:\n    handler: x\n    events:\n      - sqs: {arn: arn:aws:sqs:r:1:q, batchSize: 1, functionResponseType: ReportBatchItemFailures}\nresources:\n  Resources:\n    R:\n      Type: AWS::Events::Rule\n      Properties: {EventPattern: {source: [x]}, Targets: [{Id: q, Arn: arn:aws:sqs:r:1:q}]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		svc, err := Parse([]byte(doc), Options{Dir: "testdata/resolve", Env: noEnv})
		if err != nil {
			return
		}
		// The rest of the model must not panic on what resolved.
		l := MapLookup{}
		_, _ = svc.Routes(l)
		_, _ = svc.GatewayResponses(l)
		_, _ = svc.EventRules(l)
		_, _ = svc.QueueSources(l)
		for _, sm := range svc.StateMachines {
			_, _ = svc.Definition(sm.Key, l)
		}
		for _, fn := range svc.Functions {
			_, _ = svc.FunctionEnv(fn.Key, l)
		}
	})
}

// FuzzParseVariables checks the variable syntax parser on any string.
func FuzzParseVariables(f *testing.F) {
	for _, s := range []string{
		"${opt:stage, 'dev'}", "${self:custom.${opt:stage}}", "\\${x:y}", "${file(./a.yml):b.c}",
		"${AWS::Region}-${sls:stage}", "${a:b, \"c\\\"d\"}", "${strToBool(${env:X})}", "$${{}}", "${x(1, ,2)}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := parseVariables(s)
		if err != nil {
			return
		}
		last := 0
		for _, v := range vars {
			if v.whole {
				continue
			}
			if v.start < last || v.end > len(s) || v.start > v.end {
				t.Fatalf("span %d..%d out of order in %q", v.start, v.end, s)
			}
			last = v.end
		}
	})
}
