package sns

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/sqs"
)

// FuzzHandler feeds arbitrary form bodies to every action: the service
// must answer 200 or an error of its own, in well-formed XML, and never
// panic.
func FuzzHandler(f *testing.F) {
	queues := sqs.New(sqs.Config{})
	_, _ = queues.CreateQueue(context.Background(), sqs.CreateQueueInput{QueueName: "q"})
	svc := New(Config{Queues: queues})
	_, _ = svc.CreateTopic(context.Background(), CreateTopicInput{Name: "t"})
	var names []string
	for name := range svc.actions() {
		names = append(names, name)
	}
	sort.Strings(names)
	topic := url.QueryEscape("arn:aws:sns:us-east-1:000000000000:t")
	seeds := []string{
		"Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x&Tags.member.1.Key=a&Tags.member.1.Value=b",
		"TopicArn=" + topic + "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true",
		"TopicArn=" + topic + "&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=AAE%3D",
		"TopicArn=" + topic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=y",
		"TopicArn=" + topic + "&Message=%7B%22default%22%3A1%7D&MessageStructure=json",
		"NextToken=zz", "%zz", "",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	h := svc.Handler()
	f.Fuzz(func(t *testing.T, op uint8, form string) {
		name := names[int(op)%len(names)]
		body := "Action=" + name + "&" + form
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("%s: status %d: %s", name, rec.Code, rec.Body)
		}
		d := xml.NewDecoder(strings.NewReader(rec.Body.String()))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%s: not well-formed XML (%v): %s", name, err, rec.Body)
				}
				break
			}
		}
	})
}
