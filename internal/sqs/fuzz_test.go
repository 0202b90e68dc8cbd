package sqs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// FuzzHandler feeds arbitrary bodies to every action: the service must
// answer 200 with a JSON body, or an error of its own with a __type, and
// never panic.
func FuzzHandler(f *testing.F) {
	svc := New(Config{})
	var names []string
	for name := range svc.actions() {
		names = append(names, name)
	}
	sort.Strings(names)
	url := "http://localhost/000000000000/q"
	seeds := []string{
		`{"QueueName":"q","Attributes":{"VisibilityTimeout":"5","RedrivePolicy":"{\"deadLetterTargetArn\":\"x\",\"maxReceiveCount\":1}"}}`,
		`{"QueueUrl":"` + url + `","MessageBody":"hi","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AAE="}}}`,
		`{"QueueUrl":"` + url + `","Entries":[{"Id":"a","MessageBody":"x","DelaySeconds":3}]}`,
		`{"QueueUrl":"` + url + `","MaxNumberOfMessages":10,"AttributeNames":["All"],"MessageAttributeNames":["a.*"]}`,
		`{"QueueUrl":"` + url + `","ReceiptHandle":"bm9wZQ","VisibilityTimeout":-1}`,
		`{"QueueUrl":7}`, `[]`, ``, `{"MaxResults":0,"NextToken":"zz"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	h := svc.Handler()
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := names[int(op)%len(names)]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+name)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if ctx.Err() != nil && rec.Body.Len() == 0 {
			return // a long poll the deadline ended
		}
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("%s: status %d: %s", name, rec.Code, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s: not a JSON object: %q", name, rec.Body)
		}
		if rec.Code != http.StatusOK && v["__type"] == nil {
			t.Fatalf("%s: error without __type: %s", name, rec.Body)
		}
	})
}
