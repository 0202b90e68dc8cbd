package apigw

import (
	"fmt"
	"mime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// mediaType answers what mime.ParseMediaType took as the media type (the
// part before ';' when the parameters do not parse).
func TestMediaTypeAsMime(t *testing.T) {
	reference := func(v string) string {
		v = strings.TrimSpace(v)
		if v == "" {
			return ""
		}
		mt, _, err := mime.ParseMediaType(v)
		if err != nil {
			mt, _, _ = strings.Cut(v, ";")
		}
		return strings.ToLower(strings.TrimSpace(mt))
	}
	for _, v := range []string{
		"", " ", "application/json", "Application/JSON", " application/json ; charset=utf-8",
		"application/json;charset=utf-8;", "application/json; charset", "text/plain; a=\"b", ";", " ; x=y",
		"application/x-amz-json-1.0", "*/*", "text/*;q=0.8", "bad type", "application/json\t", "\xff/json", "ÄPP/JSON",
	} {
		assert.Equal(t, reference(v), mediaType(v), "%q", v)
	}
}

// traceID is API Gateway's X-Amzn-Trace-Id as the gateway made it with
// fmt.Sprintf.
func TestTraceID(t *testing.T) {
	reference := func(epoch int64, requestID string) string {
		id := strings.ReplaceAll(requestID, "-", "")
		for len(id) < 24 {
			id += "0"
		}
		return fmt.Sprintf("Root=1-%08x-%s", epoch, id[:24])
	}
	tests := []struct {
		epoch int64
		id    string
	}{
		{1795435190, "11111111-2222-4333-8444-555555555555"},
		{0, "req-1"},
		{15, ""},
		{1 << 40, "abcdefabcdefabcdefabcdefabcdef"},
		{-5, "x-y"},
	}
	for _, tc := range tests {
		assert.Equal(t, reference(tc.epoch, tc.id), traceID(tc.epoch, tc.id), "%d %q", tc.epoch, tc.id)
	}
}
