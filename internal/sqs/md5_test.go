package sqs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expected sums were computed by other implementations of SQS's
// algorithm (LocalStack's tests, and clients that check what AWS sends).
func TestMD5OfAttributes(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := map[string]struct {
		attrs map[string]MessageAttributeValue
		want  string
	}{
		"none": {nil, ""},
		"one number": {map[string]MessageAttributeValue{
			"timestamp": {DataType: "Number", StringValue: str("1493147359900")}}, "235c5c510d26fb653d073faed50ae77c"},
		"one string": {map[string]MessageAttributeValue{
			"SellerName": {DataType: "String", StringValue: str("Example Store")}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		"sorted by name": {map[string]MessageAttributeValue{
			"ordinal":  {DataType: "Number", StringValue: str("1")},
			"category": {DataType: "String", StringValue: str("test")}}, "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, md5OfAttributes(tc.attrs))
		})
	}
}

func TestMD5OfBody(t *testing.T) {
	assert.Equal(t, "5d41402abc4b2a76b9719d911017c592", md5Hex("hello"))
}
