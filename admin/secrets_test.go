package admin_test

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// hashForms are the ways a key's hash could be written out.
func hashForms(plaintext string) []string {
	h := apikey.HashKey(plaintext)
	b := h.Bytes()
	return []string{
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	}
}

func TestThePlaintextKeyAppearsOnlyInTheCreateResponse(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	e.bodies = nil // the fixture's own create responses are not under test

	created := e.expect(e.do("POST", f.accountPath+"/api-keys", `{"expiresAt":"2030-01-01T00:00:00Z"}`), http.StatusCreated)
	plaintext := created["key"].(string)
	require.True(t, strings.HasPrefix(plaintext, "sa_"))
	createBody := e.bodies[len(e.bodies)-1]

	// Everything else the API can answer, successes and errors alike.
	e.do("GET", "/admin/service-accounts", "")
	e.do("GET", f.accountPath, "")
	e.do("PUT", f.accountPath, `{"label":"renamed"}`)
	e.do("GET", f.accountPath+"/api-keys", "")
	e.do("GET", f.otherAccountPath+"/api-keys", "")
	e.do("GET", f.accountPath+"/permissions", "")
	e.do("GET", "/admin/catalog", "")
	e.do("POST", f.accountPath+"/api-keys", `{"expiresAt":"yesterday"}`)
	e.do("DELETE", f.otherAccountPath+"/api-keys/"+created["id"].(string), "")
	e.do("PATCH", f.accountPath+"/api-keys", "")
	e.do("DELETE", f.accountPath+"/api-keys/"+created["id"].(string), "")
	e.do("GET", f.accountPath+"/api-keys", "")
	e.do("DELETE", f.accountPath, "")

	assert.Contains(t, createBody, `"key":"`+plaintext+`"`)
	keys := []string{plaintext, f.plainA, f.plainB}
	for i, body := range e.bodies {
		if body != createBody {
			for _, k := range keys {
				assert.NotContains(t, body, k, "response %d shows a key", i)
				assert.NotContains(t, body, k[len(k)-20:], "response %d shows part of a key", i)
			}
		}
		for _, k := range keys {
			for _, form := range hashForms(k) {
				assert.NotContains(t, body, form, "response %d shows a key hash", i)
			}
		}
	}
	for _, k := range keys {
		assert.NotContains(t, e.logs.String(), k)
		for _, form := range hashForms(k) {
			assert.NotContains(t, e.logs.String(), form)
		}
	}
}
