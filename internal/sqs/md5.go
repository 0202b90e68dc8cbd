package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
)

// md5Hex is MD5OfMessageBody: the hex MD5 of the body's UTF-8 bytes, which
// SDKs check against what they sent.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is MD5OfMessageAttributes as SQS computes it: the
// attributes sorted by name, each encoded as its name, its data type (both
// length-prefixed), a transport byte (1 string, 2 binary, 3 string list, 4
// binary list) and its value (length-prefixed), lengths as 4-byte big
// endian; "" when there are none.
func md5OfAttributes(attrs map[string]MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, n := range names {
		v := attrs[n]
		field([]byte(n))
		field([]byte(v.DataType))
		switch {
		case strings.HasPrefix(v.DataType, "Binary"):
			h.Write([]byte{2})
			field(v.BinaryValue)
		default:
			h.Write([]byte{1})
			if v.StringValue != nil {
				field([]byte(*v.StringValue))
			} else {
				field(nil)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
