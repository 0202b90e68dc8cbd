package sns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// xmlns is the namespace of SNS's answers.
const xmlns = "http://sns.amazonaws.com/doc/2010-03-31/"

// maxRequestBytes bounds a request: a batch of 256 KiB of messages,
// form-encoded, with room to spare.
const maxRequestBytes = 4 << 20

// maxIndex bounds the N of a request's "Name.member.N" parameters.
const maxIndex = 100

type action func(ctx context.Context, form url.Values) (any, error)

// none is the result of an action that answers no Result element.
type none struct{}

func (s *Service) actions() map[string]action {
	return map[string]action{
		"CreateTopic": func(ctx context.Context, f url.Values) (any, error) {
			in := CreateTopicInput{Name: f.Get("Name"), Attributes: parseMap(f, "Attributes", "key", "value")}
			for _, m := range indexed(f, "Tags.member") {
				in.Tags = append(in.Tags, Tag{Key: m.Get("Key"), Value: m.Get("Value")})
			}
			return s.CreateTopic(ctx, in)
		},
		"DeleteTopic": func(ctx context.Context, f url.Values) (any, error) {
			return none{}, s.DeleteTopic(ctx, TopicInput{TopicArn: f.Get("TopicArn")})
		},
		"ListTopics": func(ctx context.Context, f url.Values) (any, error) {
			return s.ListTopics(ctx, ListInput{NextToken: f.Get("NextToken")})
		},
		"GetTopicAttributes": func(ctx context.Context, f url.Values) (any, error) {
			out, err := s.GetTopicAttributes(ctx, TopicInput{TopicArn: f.Get("TopicArn")})
			return xmlAttributes(out.Attributes), err
		},
		"SetTopicAttributes": func(ctx context.Context, f url.Values) (any, error) {
			return none{}, s.SetTopicAttributes(ctx, SetTopicAttributesInput{TopicArn: f.Get("TopicArn"),
				AttributeName: f.Get("AttributeName"), AttributeValue: f.Get("AttributeValue")})
		},
		"Subscribe": func(ctx context.Context, f url.Values) (any, error) {
			return s.Subscribe(ctx, SubscribeInput{TopicArn: f.Get("TopicArn"), Protocol: f.Get("Protocol"),
				Endpoint: f.Get("Endpoint"), Attributes: parseMap(f, "Attributes", "key", "value"),
				ReturnSubscriptionArn: f.Get("ReturnSubscriptionArn") == "true"})
		},
		"Unsubscribe": func(ctx context.Context, f url.Values) (any, error) {
			return none{}, s.Unsubscribe(ctx, SubscriptionInput{SubscriptionArn: f.Get("SubscriptionArn")})
		},
		"GetSubscriptionAttributes": func(ctx context.Context, f url.Values) (any, error) {
			out, err := s.GetSubscriptionAttributes(ctx, SubscriptionInput{SubscriptionArn: f.Get("SubscriptionArn")})
			return xmlAttributes(out.Attributes), err
		},
		"SetSubscriptionAttributes": func(ctx context.Context, f url.Values) (any, error) {
			return none{}, s.SetSubscriptionAttributes(ctx, SetSubscriptionAttributesInput{SubscriptionArn: f.Get("SubscriptionArn"),
				AttributeName: f.Get("AttributeName"), AttributeValue: f.Get("AttributeValue")})
		},
		"ListSubscriptions": func(ctx context.Context, f url.Values) (any, error) {
			return s.ListSubscriptions(ctx, ListInput{NextToken: f.Get("NextToken")})
		},
		"ListSubscriptionsByTopic": func(ctx context.Context, f url.Values) (any, error) {
			return s.ListSubscriptionsByTopic(ctx, ListInput{TopicArn: f.Get("TopicArn"), NextToken: f.Get("NextToken")})
		},
		"Publish": func(ctx context.Context, f url.Values) (any, error) {
			attrs, err := parseMessageAttributes(f)
			if err != nil {
				return nil, err
			}
			return s.Publish(ctx, PublishInput{TopicArn: f.Get("TopicArn"), TargetArn: f.Get("TargetArn"),
				PhoneNumber: f.Get("PhoneNumber"), Message: f.Get("Message"), Subject: f.Get("Subject"),
				MessageStructure: f.Get("MessageStructure"), MessageAttributes: attrs,
				MessageGroupId: f.Get("MessageGroupId"), MessageDeduplicationId: f.Get("MessageDeduplicationId")})
		},
		"PublishBatch": func(ctx context.Context, f url.Values) (any, error) {
			in := PublishBatchInput{TopicArn: f.Get("TopicArn"), PublishBatchRequestEntries: []PublishBatchRequestEntry{}}
			for _, m := range indexed(f, "PublishBatchRequestEntries.member") {
				attrs, err := parseMessageAttributes(m)
				if err != nil {
					return nil, err
				}
				in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, PublishBatchRequestEntry{
					Id: m.Get("Id"), Message: m.Get("Message"), Subject: m.Get("Subject"),
					MessageStructure: m.Get("MessageStructure"), MessageAttributes: attrs,
					MessageGroupId: m.Get("MessageGroupId"), MessageDeduplicationId: m.Get("MessageDeduplicationId")})
			}
			return s.PublishBatch(ctx, in)
		},
	}
}

// indexed collects the parameters "prefix.N.rest" by N, in N's order,
// each as its own values keyed by rest. N runs from 1 to maxIndex; other
// Ns are ignored.
func indexed(f url.Values, prefix string) []url.Values {
	byN := map[int]url.Values{}
	for k, vs := range f {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || n > maxIndex || num != strconv.Itoa(n) {
			continue
		}
		if byN[n] == nil {
			byN[n] = url.Values{}
		}
		byN[n][field] = vs
	}
	var out []url.Values
	for n := 1; n <= maxIndex; n++ {
		if v, ok := byN[n]; ok {
			out = append(out, v)
		}
	}
	return out
}

// parseMap reads a map parameter: name.entry.N.<key> and name.entry.N.<value>.
func parseMap(f url.Values, name, key, value string) map[string]string {
	var out map[string]string
	for _, e := range indexed(f, name+".entry") {
		if out == nil {
			out = map[string]string{}
		}
		out[e.Get(key)] = e.Get(value)
	}
	return out
}

// parseMessageAttributes reads MessageAttributes.entry.N.Name and
// .Value.DataType, .Value.StringValue, .Value.BinaryValue (base64).
func parseMessageAttributes(f url.Values) (map[string]MessageAttributeValue, error) {
	var out map[string]MessageAttributeValue
	for _, e := range indexed(f, "MessageAttributes.entry") {
		v := MessageAttributeValue{DataType: e.Get("Value.DataType")}
		if e.Has("Value.StringValue") {
			sv := e.Get("Value.StringValue")
			v.StringValue = &sv
		}
		if e.Has("Value.BinaryValue") {
			b, err := base64.StdEncoding.DecodeString(e.Get("Value.BinaryValue"))
			if err != nil {
				return nil, errorf(CodeInvalidParameterValue, "The message attribute '%s' has a BinaryValue that is not base64.", e.Get("Name"))
			}
			v.BinaryValue = b
		}
		if out == nil {
			out = map[string]MessageAttributeValue{}
		}
		out[e.Get("Name")] = v
	}
	return out, nil
}

type xmlEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// attributesResult is an attribute map as the XML answers carry it.
type attributesResult struct {
	Entries []xmlEntry `xml:"Attributes>entry"`
}

func xmlAttributes(m map[string]string) attributesResult {
	var out attributesResult
	for k, v := range m {
		out.Entries = append(out.Entries, xmlEntry{k, v})
	}
	return out
}

// Handler serves SNS's query protocol: Action and its parameters
// form-encoded in a POST body (or a GET's query, as the notifications'
// UnsubscribeURL uses), answers <ActionResponse> in SNS's namespace, errors
// as <ErrorResponse>.
func (s *Service) Handler() http.Handler {
	actions := s.actions()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newID()
		w.Header().Set("x-amzn-RequestId", id)
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		if err := r.ParseForm(); err != nil {
			writeError(w, id, errorf(CodeInvalidParameter, "The request could not be parsed: %v", err))
			return
		}
		name := r.Form.Get("Action")
		if name == "" {
			writeError(w, id, errorf(CodeMissingAction, "Missing Action"))
			return
		}
		act := actions[name]
		if act == nil {
			writeError(w, id, errorf(CodeInvalidAction, "The action %s is not valid for this web service.", name))
			return
		}
		out, err := act(r.Context(), r.Form)
		if err != nil {
			writeError(w, id, err)
			return
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, name, xmlns)
		if _, empty := out.(none); !empty {
			enc := xml.NewEncoder(&b)
			if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: name + "Result"}}); err != nil {
				writeError(w, id, errorf(CodeInternalError, "encoding the response: %v", err))
				return
			}
		}
		fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, id, name)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(b.Bytes())
	})
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, id string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(CodeInternalError, "%v", err)
	}
	resp := errorResponse{Xmlns: xmlns, RequestID: id}
	resp.Error.Type = "Sender"
	if !e.sender {
		resp.Error.Type = "Receiver"
	}
	resp.Error.Code, resp.Error.Message = e.code, e.message
	b, _ := xml.Marshal(resp)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}
