// Package secretscan answers leak reports in GitHub's secret-scanning
// partner format, so a key of ours pushed to a public repository is
// disabled within seconds of GitHub finding it.
//
// # The exchange
//
// GitHub finds strings matching our key format ([KeyPattern]) and POSTs
// them as a JSON array of {"token","type","url","source"}, signed with
// ECDSA P-256 over SHA-256 of the raw body: the key's identifier in
// Github-Public-Key-Identifier, the base64 ASN.1 signature in
// Github-Public-Key-Signature. The public keys come in GitHub's
// {"public_keys":[{"key_identifier","key","is_current"}]} shape, from a
// file ([ParsePublicKeys], [StaticKeys]) or fetched and cached from a URL
// ([RemoteKeys]). A key that is no longer current still verifies until it
// is removed from that list, since reports signed just before a rotation
// may still be in flight.
//
// The answer is a JSON array of {"token_hash","token_type","label"}: the
// hex SHA-256 of each token, the reported type, and true_positive when the
// token was one of our live keys. It never contains the token.
//
// # What a caller supplies
//
// [NewHandler] verifies, parses and answers; the application supplies a
// [Decider] that looks each token up and acts on it (disable or delete
// the key, write the audit event, fire the webhook). [NewManagerDecider]
// is that Decider for a serviceaccount.Manager: it calls
// Manager.ReportLeakedKey, which disables (or, by the tenant's policy,
// deletes) the key in its own tenant with audit event key.leaked, in one
// unit of work, before the report is answered. An unsigned or badly
// signed report reaches no Decider and gets 401 with a body that does not
// say what was wrong; the reason goes to the log. Tokens reach neither
// errors nor logs: a [Report] prints without its token.
package secretscan
