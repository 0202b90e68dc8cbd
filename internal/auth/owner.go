package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// OwnerPrefixLen is the length of an owner prefix: 16 hex digits, 64 bits.
// An execution name is "<prefix>-<key>", so 80 - 17 = 63 characters remain
// for the idempotency key or request id (docs/ownership.md).
const OwnerPrefixLen = 16

// OwnerPrefix is the short, stable, opaque name of a caller that starts
// every execution name the caller creates: the first 16 hex digits of
// HMAC-SHA256(key, issuer NUL subject). API Gateway's templates compare it
// with the execution name (VTL has no hash function, so the authorizer
// computes it and hands it over in the context).
//
// The issuer is part of the input because sub is unique only per issuer.
// key may be empty (the prefix is then a plain keyed-by-nothing hash of a
// public identity); a secret key keeps callers from linking prefixes to
// subjects. Changing the key changes every prefix: existing jobs then belong
// to nobody.
func OwnerPrefix(key []byte, issuer, subject string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(issuer)) // hash writes never fail
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return hex.EncodeToString(m.Sum(nil))[:OwnerPrefixLen]
}
