// Package callback delivers a job's completion callback: when an execution
// reaches a final status, the notifier POSTs {jobId, status, error?, cause?,
// result?} to the callbackUrl of the job's request, signed with the stage's
// secret (client.SignCallback), retrying with backoff.
//
// A callback target is the caller's choice, so the notifier is a request
// forger in waiting: Policy refuses URLs that are not https and hosts in
// private, loopback, link-local and other non-public ranges, and checks the
// addresses again when it connects (every address the name resolves to,
// then dials the checked one), so a name that resolves to a public address
// at start and a private one at delivery (DNS rebinding) gets nowhere.
//
// docs/callbacks.md says why a Lambda behind the status change rule rather
// than EventBridge API destinations.
package callback
