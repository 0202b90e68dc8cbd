package test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/vtl"
)

// FuzzListJobsRequest renders list-jobs-request.vtl with any query string
// parameters: the Query it asks DynamoDB for is always valid JSON, reads the
// caller's own partition of the owner index (or an index named after the
// error), and a start key, when there is one, is in that partition and
// names one of the caller's jobs. The owner comes from the authorizer only,
// whatever the cursor says.
func FuzzListJobsRequest(f *testing.F) {
	root, err := projectRoot()
	if err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "mapping-templates/list-jobs-request.vtl"))
	if err != nil {
		f.Fatal(err)
	}
	tmpl, err := vtl.Parse("list-jobs-request.vtl", strings.ReplaceAll(string(raw), "${TableName}", "jobs"))
	if err != nil {
		f.Fatal(err)
	}
	cursor := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, seed := range [][3]string{
		{"", "", ""}, {"20", "RUNNING", ""}, {"100", "", cursor("v1|2026-12-06T10:00:00.000000000Z|" + testOwner + "-k")},
		{"1", "SUCCEEDED", cursor("v1|2026-12-06T10:00:00.000000000Z|fedcba9876543210-k")},
		{"0", "x", "@@@"}, {"5", `"}`, cursor(`v1|x"|` + testOwner + `-k"}`)}, {"abc", "", "===="},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, limit, status, cur string) {
		query := map[string]string{}
		for k, v := range map[string]string{"limit": limit, "status": status, "cursor": cur} {
			if v != "" {
				query[k] = v
			}
		}
		res, err := tmpl.Render(context.Background(), &vtl.Env{
			Request: vtl.Request{Query: query},
			Context: map[string]any{"requestTimeEpoch": int64(1795470123456), "authorizer": map[string]any{"ownerPrefix": testOwner}},
		})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		var q struct {
			IndexName string
			Limit     int
			Values    map[string]map[string]string `json:"ExpressionAttributeValues"`
			Start     map[string]map[string]string `json:"ExclusiveStartKey"`
		}
		if err := json.Unmarshal([]byte(res.Body), &q); err != nil {
			t.Fatalf("not JSON for limit=%q status=%q cursor=%q: %v\n%s", limit, status, cur, err, res.Body)
		}
		if got := q.Values[":own"]["S"]; got != testOwner {
			t.Fatalf("owner %q, want the caller's %q", got, testOwner)
		}
		switch q.IndexName {
		case "byOwner", "InvalidLimit", "InvalidStatus", "InvalidCursor":
		default:
			t.Fatalf("index %q", q.IndexName)
		}
		if q.Limit < 1 || q.Limit > 100 {
			t.Fatalf("limit %d", q.Limit)
		}
		if q.Start != nil {
			if q.IndexName != "byOwner" || q.Start["owner"]["S"] != testOwner || !strings.HasPrefix(q.Start["jobId"]["S"], testOwner+"-") {
				t.Fatalf("start key %v outside the caller's jobs (index %s)", q.Start, q.IndexName)
			}
		}
	})
}
