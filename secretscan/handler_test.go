package secretscan_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

// syncBuffer collects log lines from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	gh      signer
	srv     *httptest.Server
	logs    *syncBuffer
	mu      sync.Mutex
	decided []string
	known   map[string]bool
	fail    error
}

func newFixture(t *testing.T, keys func(signer) secretscan.KeySource) *fixture {
	t.Helper()
	f := &fixture{gh: newSigner(t, "gh-1"), logs: &syncBuffer{}, known: map[string]bool{}}
	if keys == nil {
		keys = func(s signer) secretscan.KeySource { return staticKeys(t, s) }
	}
	h, err := secretscan.NewHandler(secretscan.HandlerConfig{
		Keys: keys(f.gh),
		Decide: func(_ context.Context, tok string, _ secretscan.Report) (bool, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.fail != nil {
				return false, f.fail
			}
			f.decided = append(f.decided, tok)
			return f.known[tok], nil
		},
		MaxBodyBytes: 4096,
		Logger:       slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) post(t *testing.T, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (f *fixture) signed(t *testing.T, s signer, body []byte) http.Header {
	return http.Header{
		"Github-Public-Key-Identifier": {s.id},
		"Github-Public-Key-Signature":  {s.sign(t, body)},
		"Content-Type":                 {"application/json"},
	}
}

func reportBody(tokens ...string) []byte {
	var parts []string
	for _, tok := range tokens {
		parts = append(parts, `{"token":"`+tok+`","type":"serviceaccounts_api_key","url":"https://github.com/o/r/blob/c/.env","source":"content"}`)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func TestASignedReportIsAnsweredWithHashesAndLabels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	leaked, stranger := token, "sa_notOneOfOursAtAll"
	f.known[leaked] = true
	body := reportBody(leaked, stranger)

	status, answer := f.post(t, body, f.signed(t, f.gh, body))
	require.Equal(t, http.StatusOK, status, answer)
	var results []secretscan.Result
	require.NoError(t, json.Unmarshal([]byte(answer), &results))
	require.Equal(t, []secretscan.Result{
		{TokenHash: secretscan.TokenHash(leaked), TokenType: "serviceaccounts_api_key", Label: secretscan.TruePositive},
		{TokenHash: secretscan.TokenHash(stranger), TokenType: "serviceaccounts_api_key", Label: secretscan.FalsePositive},
	}, results)
	require.Equal(t, []string{leaked, stranger}, f.decided)
	require.NotContains(t, answer, leaked)
	require.NotContains(t, f.logs.String(), leaked)
	require.Contains(t, f.logs.String(), `"true_positives":1`)
}

func TestABadOrMissingSignatureIs401AndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.known[token] = true
	body := reportBody(token)
	stranger := newSigner(t, "gh-1")
	tests := map[string]http.Header{
		"no headers":        {},
		"no signature":      {"Github-Public-Key-Identifier": {"gh-1"}},
		"no key id":         {"Github-Public-Key-Signature": {f.gh.sign(t, body)}},
		"unknown key id":    {"Github-Public-Key-Identifier": {"gh-9"}, "Github-Public-Key-Signature": {f.gh.sign(t, body)}},
		"garbage signature": {"Github-Public-Key-Identifier": {"gh-1"}, "Github-Public-Key-Signature": {"bm90IGEgc2lnbmF0dXJl"}},
		"another key":       f.signed(t, stranger, body),
		"another body":      f.signed(t, f.gh, reportBody("sa_other")),
	}
	var answers []string
	for name, h := range tests {
		status, answer := f.post(t, body, h)
		require.Equal(t, http.StatusUnauthorized, status, name)
		answers = append(answers, answer)
		require.NotContains(t, answer, token, name)
	}
	require.Empty(t, f.decided, "an unverified report must reach no Decider")
	for _, a := range answers[1:] {
		require.Equal(t, answers[0], a, "every refusal must look the same")
	}
	require.Contains(t, answers[0], `"code":"invalid_signature"`)
	require.Contains(t, answers[0], `"type":"urn:serviceaccounts:problem:invalid_signature"`)
	require.NotContains(t, f.logs.String(), token)
	require.Contains(t, f.logs.String(), "report refused")
}

func TestTheHandlerRefusesOtherMethodsLargeBodiesAndMalformedReports(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	resp, err := http.Get(f.srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "POST", resp.Header.Get("Allow"))

	big := reportBody(strings.Repeat("a", 5000))
	status, answer := f.post(t, big, f.signed(t, f.gh, big))
	require.Equal(t, http.StatusRequestEntityTooLarge, status, answer)
	require.Contains(t, answer, `"code":"body_too_large"`)

	bad := []byte(`[{"token":"` + token + `"}]`)
	status, answer = f.post(t, bad, f.signed(t, f.gh, bad))
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, answer, `[0].type is missing`)
	require.NotContains(t, answer, token)
	require.Empty(t, f.decided)
}

func TestAFailingDeciderOrMissingKeysIs503SoGitHubRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.fail = errors.New("database is down")
	body := reportBody(token)
	status, answer := f.post(t, body, f.signed(t, f.gh, body))
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, answer, `"code":"unavailable"`)
	require.NotContains(t, answer, "database")
	require.Contains(t, f.logs.String(), "database is down")
	require.NotContains(t, f.logs.String(), token)

	g := newFixture(t, func(signer) secretscan.KeySource { return noKeys{} })
	status, _ = g.post(t, body, g.signed(t, g.gh, body))
	require.Equal(t, http.StatusServiceUnavailable, status)
}

type noKeys struct{}

func (noKeys) PublicKey(context.Context, string) (*ecdsa.PublicKey, error) {
	return nil, secretscan.ErrKeysUnavailable
}

func TestNewHandlerNeedsKeysAndADecider(t *testing.T) {
	t.Parallel()
	_, err := secretscan.NewHandler(secretscan.HandlerConfig{})
	require.Error(t, err)
	_, err = secretscan.NewHandler(secretscan.HandlerConfig{Keys: noKeys{}})
	require.Error(t, err)
}
