package sfnapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// conformanceDir is the AWS-recorded corpus, relative to this package.
const conformanceDir = "../../../shared/conformance/sfn"

// The account the cases run in; expand and normalise need its parts.
const (
	casesRegion    = "us-east-1"
	casesAccountID = "111111111111"
	casesPartition = "aws"
)

type apiCase struct {
	ID    string `json:"id"`
	Steps []struct {
		Step        string          `json:"step"`
		Operation   string          `json:"operation"`
		Args        json.RawMessage `json:"args"`
		ExpectError bool            `json:"expectError"`
		SnapshotKey string          `json:"snapshotKey"`
		ResponseOf  int             `json:"responseOfStep"`
		Until       string          `json:"until"`
	} `json:"steps"`
	Responses map[string]struct {
		Recorded json.RawMessage `json:"recorded"`
		Error    *struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			ClientSide bool   `json:"clientSide"`
		} `json:"error"`
	} `json:"responses"`
}

// apiResult is one call's outcome as the wire returned it.
type apiResult struct {
	status int
	body   map[string]any
}

// apiHarness runs the steps of one API case against a fresh engine.
type apiHarness struct {
	t       *testing.T
	e       *sfn.Engine
	srv     *httptest.Server
	smNames []string
	exNames []string
	lastOp  map[string]map[string]any
	tokens  map[string]int
}

func TestAPICases(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(conformanceDir, "api-cases.json"))
	if os.IsNotExist(err) {
		t.Skipf("conformance corpus not found at %s: skipping", conformanceDir)
	}
	require.NoError(t, err)
	var file struct{ Cases []apiCase }
	require.NoError(t, json.Unmarshal(data, &file))
	require.NotEmpty(t, file.Cases)
	passed := 0
	for _, c := range file.Cases {
		ok := t.Run(c.ID[strings.LastIndex(c.ID, "::")+2:], func(t *testing.T) { runAPICase(t, c) })
		if ok {
			passed++
		}
	}
	t.Logf("API cases: %d/%d pass", passed, len(file.Cases))
	fmt.Printf("API cases: %d/%d pass\n", passed, len(file.Cases))
}

func runAPICase(t *testing.T, c apiCase) {
	reg := sfn.NewRegistry()
	// The idempotency case keeps its execution RUNNING with an SQS callback
	// task: a mock invoker that blocks until the execution stops.
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage.waitForTaskToken", sfn.InvokerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	e := sfn.New(sfn.Config{Region: casesRegion, AccountID: casesAccountID, Partition: casesPartition, Clock: sfn.NewFakeClock(time.Unix(1700000000, 0)), Invokers: reg})
	srv := httptest.NewServer(Handler(e))
	defer srv.Close()
	h := &apiHarness{t: t, e: e, srv: srv, lastOp: map[string]map[string]any{}, tokens: map[string]int{}}
	results := map[int]apiResult{}
	for i, st := range c.Steps {
		switch st.Step {
		case "call":
			results[i] = h.call(st.Operation, h.expand(string(st.Args)))
			if !st.ExpectError {
				require.Equal(t, 200, results[i].status, "step %d %s: %v", i, st.Operation, results[i].body)
			}
		case "wait":
			h.wait(st.Until)
		case "record":
			res := results[st.ResponseOf]
			want := c.Responses[st.SnapshotKey]
			if want.Error != nil {
				require.NotEqual(t, 200, res.status, "%s: want error %s", st.SnapshotKey, want.Error.Code)
				got, _ := res.body["__type"].(string)
				if want.Error.ClientSide {
					// boto3 refused it before sending; the server must refuse too.
					assert.Equal(t, codeValidationException, got, st.SnapshotKey)
					continue
				}
				assert.Equal(t, want.Error.Code, got, st.SnapshotKey)
				if !strings.Contains(want.Error.Message, "nonexistent_arn") && !strings.Contains(want.Error.Message, "invalid_execution_arn") &&
					!strings.Contains(want.Error.Message, "<invalid_token") && !strings.Contains(want.Error.Message, "<resource:") {
					assert.Equal(t, want.Error.Message, h.normalise(res.body["message"].(string)), st.SnapshotKey)
				}
				assert.Equal(t, 400, res.status, st.SnapshotKey)
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal(want.Recorded, &rec); err != nil {
				// A recorded error string (boto3's text): compare the code.
				var s string
				require.NoError(t, json.Unmarshal(want.Recorded, &s))
				code := regexp.MustCompile(`\((\w+)\)`).FindStringSubmatch(s)
				require.Len(t, code, 2)
				assert.Equal(t, code[1], res.body["__type"], st.SnapshotKey)
				continue
			}
			delete(rec, "ResponseMetadata")
			if strings.Contains(string(want.Recorded), "<resource:") {
				// Names were replaced by resource placeholders: compare keys only.
				assert.Equal(t, sortedKeysOf(rec), sortedKeysOf(res.body), st.SnapshotKey)
				continue
			}
			got := h.normaliseResponse(res.body)
			wantJSON, _ := json.Marshal(rec)
			gotJSON, _ := json.Marshal(got)
			assert.JSONEq(t, string(wantJSON), string(gotJSON), st.SnapshotKey)
		}
	}
}

func sortedKeysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var symbolRe = regexp.MustCompile(`\$\{(\w+)(?::(\d+))?\}|<random>|<fixture:\w+>|<response:(\w+)>`)

// expand replaces the corpus' symbols with this run's values.
func (h *apiHarness) expand(args string) string {
	return symbolRe.ReplaceAllStringFunc(args, func(m string) string {
		sub := symbolRe.FindStringSubmatch(m)
		idx := 0
		fmt.Sscan(sub[2], &idx)
		switch {
		case m == "<random>":
			return "rnd" + sfn.NewUUID()[:8]
		case strings.HasPrefix(m, "<fixture:"):
			return "https://sqs.us-east-1.amazonaws.com/111111111111/queue"
		case sub[3] != "":
			for _, res := range h.lastOp {
				if v, ok := res[sub[3]].(string); ok {
					return v
				}
			}
			return ""
		}
		switch sub[1] {
		case "stateMachineName":
			for len(h.smNames) <= idx {
				h.smNames = append(h.smNames, fmt.Sprintf("confsm%d-%s", len(h.smNames), sfn.NewUUID()[:8]))
			}
			return h.smNames[idx]
		case "stateMachineArn":
			return h.stateMachineARN(h.smNames[idx])
		case "executionName":
			for len(h.exNames) <= idx {
				h.exNames = append(h.exNames, fmt.Sprintf("exec.%d-(punct)_%s", len(h.exNames), sfn.NewUUID()[:8]))
			}
			return h.exNames[idx]
		case "executionArn":
			return h.executionARN(h.smNames[0], h.exNames[idx])
		case "roleArn":
			return h.roleARN()
		case "accountId":
			return casesAccountID
		case "partition":
			return casesPartition
		case "region":
			return casesRegion
		}
		return m
	})
}

// stateMachineARN and executionARN build the ARNs the engine gives the
// cases' names (in the cases' account).
func (h *apiHarness) stateMachineARN(name string) string {
	return "arn:" + casesPartition + ":states:" + casesRegion + ":" + casesAccountID + ":stateMachine:" + name
}

func (h *apiHarness) executionARN(smName, name string) string {
	return "arn:" + casesPartition + ":states:" + casesRegion + ":" + casesAccountID + ":execution:" + smName + ":" + name
}

func (h *apiHarness) call(op, args string) apiResult {
	var body bytes.Buffer
	var a map[string]any
	require.NoError(h.t, json.Unmarshal([]byte(args), &a))
	if def, ok := a["definition"].(map[string]any); ok {
		b, _ := json.Marshal(def)
		a["definition"] = string(b)
	}
	require.NoError(h.t, json.NewEncoder(&body).Encode(a))
	req, err := http.NewRequest(http.MethodPost, h.srv.URL, &body)
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	var out map[string]any
	require.NoError(h.t, json.Unmarshal(raw, &out), "%s", raw)
	if resp.StatusCode == 200 {
		h.lastOp[op] = out
		if arn, ok := out["executionArn"].(string); ok && op == "StartExecution" {
			name := arn[strings.LastIndex(arn, ":")+1:]
			if !contains(h.exNames, name) {
				h.exNames = append(h.exNames, name)
			}
		}
	}
	return apiResult{status: resp.StatusCode, body: out}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// wait implements the corpus' wait conditions against the last execution.
func (h *apiHarness) wait(until string) {
	if len(h.exNames) == 0 {
		return
	}
	arn := h.executionARN(h.smNames[0], h.exNames[len(h.exNames)-1])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch until {
	case "execution_success", "execution_terminated", "execution_aborted", "list_execution_status":
		_, err := h.e.Wait(ctx, arn)
		require.NoError(h.t, err)
	case "execution_started":
		// StartExecution returns after ExecutionStarted is recorded.
	case "on_execution_events":
		// Wait until the engine has nothing left to do without the clock.
		require.NoError(h.t, h.e.WaitIdle(ctx))
	}
}

// normalise applies the corpus' text replacements to a string.
// roleARN is the role the corpus' <roleArn> stands for: a role ARN, which
// CreateStateMachine requires (see checkRoleARN); normalise turns it back
// into the snapshots' placeholder.
func (h *apiHarness) roleARN() string {
	return "arn:" + casesPartition + ":iam::" + casesAccountID + ":role/snf_role"
}

func (h *apiHarness) normalise(s string) string {
	type repl struct{ from, to string }
	rs := []repl{{h.roleARN(), "snf_role_arn"}}
	for i, n := range h.exNames {
		rs = append(rs, repl{n, fmt.Sprintf("<ExecArnPart_%didx>", i)})
	}
	for i, n := range h.smNames {
		rs = append(rs, repl{n, fmt.Sprintf("<ArnPart_%didx>", i)})
	}
	sort.SliceStable(rs, func(i, j int) bool { return len(rs[i].from) > len(rs[j].from) })
	for _, r := range rs {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	s = strings.ReplaceAll(s, casesRegion, "<region>")
	return strings.ReplaceAll(s, "arn:aws:", "arn:<partition>:")
}

var dateKeys = map[string]bool{"startDate": true, "stopDate": true, "creationDate": true, "updateDate": true}

// normaliseResponse applies the snapshot normalisation to a response.
func (h *apiHarness) normaliseResponse(body map[string]any) any {
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, val := range x {
				out[k] = walk(val, k)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, val := range x {
				out[i] = walk(val, "")
			}
			return out
		case string:
			if key == "nextToken" {
				if _, ok := h.tokens[x]; !ok {
					h.tokens[x] = len(h.tokens) + 1
				}
				return fmt.Sprintf("<next-token:%d>", h.tokens[x])
			}
		}
		switch x := v.(type) {
		case float64:
			if strings.Contains(strings.ToLower(key), "timestamp") {
				return "timestamp"
			}
			if dateKeys[key] {
				return "datetime"
			}
		case string:
			x = h.normalise(x)
			if strings.HasPrefix(x, "{") {
				var parsed any
				if json.Unmarshal([]byte(x), &parsed) == nil {
					return parsed
				}
			}
			return x
		}
		return v
	}
	out := walk(body, "")
	if !reflect.DeepEqual(out, nil) {
		return out
	}
	return body
}
