package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CallbackSignatureHeader carries a callback's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256>". The HMAC is keyed with the
// stage's callback secret and taken over "<t>.<body>", so the timestamp
// cannot be changed without breaking it (docs/callbacks.md).
const CallbackSignatureHeader = "Stepjobs-Signature"

// DefaultCallbackTolerance is how far a callback's timestamp may be from
// the receiver's clock, either way, before VerifyCallback refuses it as a
// replay.
const DefaultCallbackTolerance = 5 * time.Minute

// MaxCallbackBody is the largest callback body VerifyCallbackRequest reads.
const MaxCallbackBody = 1 << 20

// Errors VerifyCallback answers, matched with errors.Is; the error itself
// says more (which field, how old).
var (
	// ErrCallbackUnsigned: no signature header.
	ErrCallbackUnsigned = errors.New("callback: no " + CallbackSignatureHeader + " header")
	// ErrCallbackMalformed: the header is not t=<seconds>,v1=<hex>.
	ErrCallbackMalformed = errors.New("callback: malformed signature header")
	// ErrCallbackExpired: the timestamp is outside the tolerance window
	// (a replay, or a clock far off).
	ErrCallbackExpired = errors.New("callback: timestamp outside the tolerance window")
	// ErrCallbackBadSignature: no v1 signature matches the body with this
	// secret.
	ErrCallbackBadSignature = errors.New("callback: signature does not match")
)

// Callback is the body the API POSTs to a job's callbackUrl when the job
// reaches a final status.
type Callback struct {
	JobID string `json:"jobId"`
	// Status is SUCCEEDED, FAILED, ABORTED or TIMED_OUT.
	Status string `json:"status"`
	// Error and Cause are the failure's, when there is one.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Result is where a SUCCEEDED job's result is (bucket, key, records,
	// bytes); download it with Client.Result.
	Result json.RawMessage `json:"result,omitempty"`
}

// SignCallback is the CallbackSignatureHeader value for body sent at t
// with secret. The notifier signs with it; receivers need only
// VerifyCallback.
func SignCallback(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(callbackMAC(secret, ts, body))
}

func callbackMAC(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyCallback checks header (the CallbackSignatureHeader value) against
// body with secret: the timestamp must be within tolerance of now (0 means
// DefaultCallbackTolerance) and one of its v1 signatures must match, compared
// in constant time. Several v1 values are allowed so that a secret can be
// rotated. Check the signature before trusting anything in the body, and
// treat a callback as a hint that may come more than once (delivery is at
// least once): the job id and status are the idempotency key.
func VerifyCallback(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrCallbackUnsigned
	}
	if tolerance <= 0 {
		tolerance = DefaultCallbackTolerance
	}
	ts, sigs, err := parseCallbackSignature(header)
	if err != nil {
		return err
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // checked by the parser
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)", ErrCallbackExpired,
			time.Unix(sec, 0).UTC().Format(time.RFC3339), age.Round(time.Second), tolerance)
	}
	want := callbackMAC(secret, ts, body)
	ok := false
	for _, s := range sigs {
		// Every candidate is compared, so the time taken does not say which.
		ok = hmac.Equal(want, s) || ok
	}
	if !ok {
		return ErrCallbackBadSignature
	}
	return nil
}

// parseCallbackSignature splits "t=<digits>,v1=<64 hex>[,v1=...]"; other
// keys are ignored, for schemes added later.
func parseCallbackSignature(header string) (string, [][]byte, error) {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrCallbackMalformed, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one t", ErrCallbackMalformed)
			}
			if v == "" || len(v) > 12 || strings.Trim(v, "0123456789") != "" {
				return "", nil, fmt.Errorf("%w: t=%q is not unix seconds", ErrCallbackMalformed, v)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex digits", ErrCallbackMalformed, 2*sha256.Size)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t", ErrCallbackMalformed)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1", ErrCallbackMalformed)
	}
	return ts, sigs, nil
}

// VerifyCallbackRequest reads r's body (at most MaxCallbackBody bytes),
// verifies its signature with secret as VerifyCallback does at the current
// time, and decodes it. A receiver answers 2xx once it has the callback;
// anything else is retried.
func VerifyCallbackRequest(r *http.Request, secret []byte, tolerance time.Duration) (Callback, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBody+1))
	if err != nil {
		return Callback{}, fmt.Errorf("callback: read body: %w", err)
	}
	if len(body) > MaxCallbackBody {
		return Callback{}, fmt.Errorf("callback: body over %d bytes", MaxCallbackBody)
	}
	if err := VerifyCallback(secret, r.Header.Get(CallbackSignatureHeader), body, time.Now(), tolerance); err != nil {
		return Callback{}, err
	}
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return Callback{}, fmt.Errorf("callback: decode body: %w", err)
	}
	return cb, nil
}
