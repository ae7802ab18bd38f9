package secretscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Label says whether a reported token was one of our keys.
type Label string

// The labels GitHub's partner format defines.
const (
	TruePositive  Label = "true_positive"
	FalsePositive Label = "false_positive"
)

// Result is one entry of the answer to a report.
type Result struct {
	// TokenHash is the hex SHA-256 of the token: GitHub matches it to its
	// record without the token travelling back.
	TokenHash string `json:"token_hash"`
	// TokenType echoes the report's type.
	TokenType string `json:"token_type"`
	Label     Label  `json:"label"`
}

// Decider looks a reported token up and acts on it. found is true when the
// token is one of our keys (the caller disables or deletes it, writes the
// audit event and fires the webhook before returning), also when an
// earlier report already disabled it. A Decider must be idempotent: after
// an error the whole report is answered 503, GitHub sends it again, and
// the tokens before the failing one are decided a second time; a token
// reported twice in one body is decided twice. Its error must not contain
// the token.
type Decider func(ctx context.Context, token string, report Report) (found bool, err error)

// TokenHash returns the hex SHA-256 of token, as the answer carries it.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Respond asks decide about every report, in order, and builds the answer:
// one Result per report, an empty (not nil) slice for no reports. It stops
// at the first error, which names the report by index and type.
func Respond(ctx context.Context, reports []Report, decide Decider) ([]Result, error) {
	out := make([]Result, 0, len(reports))
	for i, r := range reports {
		found, err := decide(ctx, r.token, r)
		if err != nil {
			return nil, fmt.Errorf("secretscan: report [%d] of type %.80q: %w", i, r.Type, err)
		}
		label := FalsePositive
		if found {
			label = TruePositive
		}
		out = append(out, Result{TokenHash: TokenHash(r.token), TokenType: r.Type, Label: label})
	}
	return out, nil
}
