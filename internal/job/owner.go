package job

import "strings"

// Ownership: an execution name (the jobId) is "<ownerPrefix>-<key>", where
// ownerPrefix is 16 lowercase hex digits the authorizer derives from the
// caller's identity (internal/auth.OwnerPrefix) and key is the
// Idempotency-Key or the API Gateway request id. A caller may see a job only
// when the job's name starts with the caller's own prefix; any other job is
// answered exactly like a job that does not exist. See docs/ownership.md.
const (
	// OwnerPrefixLen is the length of an owner prefix.
	OwnerPrefixLen = 16
	// MaxExecutionNameLen is Step Functions' limit on execution names.
	MaxExecutionNameLen = 80
	// MaxIdempotencyKeyLen is what the name leaves for the key: 80 - 17.
	MaxIdempotencyKeyLen = MaxExecutionNameLen - OwnerPrefixLen - 1
)

// ValidOwnerPrefix reports whether p has the shape of an owner prefix.
func ValidOwnerPrefix(p string) bool {
	if len(p) != OwnerPrefixLen {
		return false
	}
	for i := range len(p) {
		if c := p[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ExecutionName is the name of an execution the owner starts with key.
func ExecutionName(ownerPrefix, key string) string { return ownerPrefix + "-" + key }

// OwnedBy reports whether the job jobID belongs to the caller whose prefix
// is ownerPrefix. An invalid prefix owns nothing, so a missing authorizer
// context fails closed.
func OwnedBy(jobID, ownerPrefix string) bool {
	return ValidOwnerPrefix(ownerPrefix) && len(jobID) > OwnerPrefixLen+1 &&
		strings.HasPrefix(jobID, ownerPrefix+"-")
}
