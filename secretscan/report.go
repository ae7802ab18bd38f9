package secretscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// ErrMalformedReport is wrapped by every error of [ParseReports]; the
// message says what is wrong and never quotes a token.
var ErrMalformedReport = errors.New("secretscan: malformed report")

// Report is one match GitHub reports. Its token is unexported and left out
// of every printed form (fmt, slog), so logging a Report cannot leak it.
type Report struct {
	token string
	// Type is the secret type GitHub registered for the match; the answer
	// echoes it.
	Type string
	// URL is where the match was found (a commit, an issue comment…).
	URL string
	// Source names where GitHub found it ("content", "commit", "npm"…).
	Source string
}

// Token returns the reported secret itself.
func (r Report) Token() string { return r.token }

// String describes the report without its token.
func (r Report) String() string {
	return fmt.Sprintf("{type:%q url:%q source:%q}", r.Type, r.URL, r.Source)
}

// Format prints String for every verb, so %+v and %#v cannot reach the
// token field either.
func (r Report) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue logs the report without its token.
func (r Report) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", r.Type), slog.String("url", r.URL), slog.String("source", r.Source))
}

// wireReport is the JSON shape; only ParseReports sees the token in it.
type wireReport struct {
	Token  *string `json:"token"`
	Type   *string `json:"type"`
	URL    *string `json:"url"`
	Source *string `json:"source"`
}

// ParseReports reads a report body: a JSON array (possibly empty) of
// objects, each with a non-empty string token and type; url and source
// are optional strings and unknown members are ignored, as GitHub may add
// some. Only verified bodies should reach it.
func ParseReports(body []byte) ([]Report, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, fmt.Errorf("%w: the body must be a JSON array", ErrMalformedReport)
	}
	var wire []json.RawMessage
	if err := json.Unmarshal(trimmed, &wire); err != nil {
		return nil, fmt.Errorf("%w: the body is not valid JSON", ErrMalformedReport)
	}
	out := make([]Report, 0, len(wire))
	for i, raw := range wire {
		var w wireReport
		if bytes.TrimSpace(raw)[0] != '{' || json.Unmarshal(raw, &w) != nil {
			// encoding/json's messages can quote the value; ours name the field.
			return nil, fmt.Errorf("%w: [%d] must be an object whose token, type, url and source are strings", ErrMalformedReport, i)
		}
		switch {
		case w.Token == nil || *w.Token == "":
			return nil, fmt.Errorf("%w: [%d].token is missing or empty", ErrMalformedReport, i)
		case w.Type == nil || *w.Type == "":
			return nil, fmt.Errorf("%w: [%d].type is missing or empty", ErrMalformedReport, i)
		}
		out = append(out, Report{token: *w.Token, Type: *w.Type, URL: deref(w.URL), Source: deref(w.Source)})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
