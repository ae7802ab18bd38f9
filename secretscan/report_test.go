package secretscan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

const token = "sa_T0kenThatMustNeverBePrinted0123456789abcdefghijklm"

func TestParseReportsReadsGitHubsShape(t *testing.T) {
	t.Parallel()
	reports, err := secretscan.ParseReports([]byte(`[
		{"token":"` + token + `","type":"serviceaccounts_api_key","url":"https://github.com/o/r/blob/c/f","source":"content","extra":1},
		{"token":"x","type":"t"}
	]`))
	require.NoError(t, err)
	require.Len(t, reports, 2)
	require.Equal(t, token, reports[0].Token())
	require.Equal(t, "serviceaccounts_api_key", reports[0].Type)
	require.Equal(t, "https://github.com/o/r/blob/c/f", reports[0].URL)
	require.Equal(t, "content", reports[0].Source)
	require.Equal(t, "", reports[1].URL)

	empty, err := secretscan.ParseReports([]byte(" [] "))
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestParseReportsNamesTheProblemWithoutTheToken(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"must be a JSON array":      `{"token":"` + token + `","type":"t"}`,
		"array":                     ``,
		"not valid JSON":            `[{"token":"` + token + `","type":"t"}`,
		"[0] must be an object":     `[null]`,
		"[1] must be an object":     `[{"token":"a","type":"t"},"` + token + `"]`,
		"[0] must be an object who": `[{"token":"` + token + `","type":7}]`,
		"[0].token is missing":      `[{"type":"t"}]`,
		"[0].token is missing or":   `[{"token":"","type":"t"}]`,
		"[0].type is missing":       `[{"token":"` + token + `"}]`,
		"[0].type is missing or":    `[{"token":"` + token + `","type":""}]`,
		"[0] must be an":            `[{"token":["` + token + `"],"type":"t"}]`,
	}
	for says, body := range tests {
		_, err := secretscan.ParseReports([]byte(body))
		require.ErrorIs(t, err, secretscan.ErrMalformedReport, body)
		require.ErrorContains(t, err, says, body)
		require.NotContains(t, err.Error(), token)
	}
}

func TestAReportNeverPrintsItsToken(t *testing.T) {
	t.Parallel()
	reports, err := secretscan.ParseReports([]byte(`[{"token":"` + token + `","type":"t","url":"u","source":"s"}]`))
	require.NoError(t, err)
	r := reports[0]
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, r), fmt.Sprintf(verb, reports), fmt.Sprintf(verb, &r))
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("report", "report", r, "reports", reports)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("report", "report", r)
	out = append(out, logs.String())
	for _, s := range out {
		require.NotContains(t, s, token)
		require.NotContains(t, s, fmt.Sprintf("%x", token))
	}
	require.Contains(t, logs.String(), `"url":"u"`)
}

func TestRespondLabelsHashesAndEchoesTheType(t *testing.T) {
	t.Parallel()
	reports, err := secretscan.ParseReports([]byte(`[{"token":"abc","type":"ours"},{"token":"other","type":"theirs"}]`))
	require.NoError(t, err)
	var seen []string
	results, err := secretscan.Respond(context.Background(), reports, func(_ context.Context, tok string, r secretscan.Report) (bool, error) {
		require.Equal(t, r.Token(), tok)
		seen = append(seen, tok)
		return tok == "abc", nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"abc", "other"}, seen)
	require.Equal(t, []secretscan.Result{
		// SHA-256("abc") from FIPS 180-2's test vectors.
		{TokenHash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TokenType: "ours", Label: secretscan.TruePositive},
		{TokenHash: secretscan.TokenHash("other"), TokenType: "theirs", Label: secretscan.FalsePositive},
	}, results)

	none, err := secretscan.Respond(context.Background(), nil, nil)
	require.NoError(t, err)
	require.NotNil(t, none)
	require.Empty(t, none)
}

func TestRespondStopsAtTheFirstErrorWithoutTheToken(t *testing.T) {
	t.Parallel()
	reports, err := secretscan.ParseReports([]byte(`[{"token":"` + token + `","type":"ours"}]`))
	require.NoError(t, err)
	boom := errors.New("store down")
	_, err = secretscan.Respond(context.Background(), reports, func(context.Context, string, secretscan.Report) (bool, error) {
		return false, boom
	})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, `report [0] of type "ours"`)
	require.NotContains(t, err.Error(), token)
}
