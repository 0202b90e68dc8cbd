package localaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LoopbackDynamoDB trims the per-request work of a DynamoDB client of a
// store this process runs on loopback (dynalite), which checks neither
// signatures nor checksums: under load the SDK's hashing and checks were a
// good share of the local runtime's CPU. Requests stay well-formed and
// signed, with UNSIGNED-PAYLOAD as the payload hash (SigV4's own sentinel)
// instead of the body's SHA-256. Clients of DynamoDB itself, or of an
// emulator the user points the runtime at, keep the SDK's defaults.
func LoopbackDynamoDB(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions[:len(o.APIOptions):len(o.APIOptions)],
		v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	// The response's CRC32 guards against corruption in transit; loopback
	// has no transit to guard.
	o.DisableValidateResponseChecksum = true
}

// LoopbackS3 trims the per-request work of an S3 client of a store this
// process runs on loopback (gofakes3), for the same reason and within the
// same bounds as LoopbackDynamoDB: the payload is not hashed for the
// signature (UNSIGNED-PAYLOAD, which S3 accepts too), checksums are
// computed and validated only where an operation requires them (what the
// SDK did before 2025; PutObject does not), and no body waits for a
// "100 Continue" first, a round trip that spares a remote server a large
// upload it would refuse.
func LoopbackS3(o *s3.Options) {
	o.APIOptions = append(o.APIOptions[:len(o.APIOptions):len(o.APIOptions)],
		v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	o.ContinueHeaderThresholdBytes = -1
}
