package adminclient_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
)

func TestNewValidatesTheBaseURLAndToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, url, token, want string }{
		{"Relative", "/admin", testToken, "scheme http or https"},
		{"OtherScheme", "ftp://example.com/admin", testToken, "scheme http or https"},
		{"NoHost", "http:///admin", testToken, "no host"},
		{"UserInfo", "https://admin:" + testToken + "@example.com/admin", testToken, "user information"},
		{"Query", "https://example.com/admin?x=1", testToken, "query"},
		{"EmptyQuery", "https://example.com/admin?", testToken, "query"},
		{"Fragment", "https://example.com/admin#x", testToken, "fragment"},
		{"Unparsable", "http://[::1/" + testToken, testToken, "does not parse"},
		{"EmptyToken", "https://example.com/admin", "", "Token is empty"},
		{"LineBreakInToken", "https://example.com/admin", "a\nb", "line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := adminclient.New(tc.url, adminclient.Config{Token: tc.token})
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), testToken)
		})
	}

	c, err := adminclient.New("https://example.com/admin/", adminclient.Config{Token: testToken})
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/admin", c.BaseURL())
}

func TestTokenIsNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := adminclient.Config{Token: testToken, HTTPClient: http.DefaultClient, UserAgent: "ops"}
	c, err := adminclient.New("https://example.com/admin", cfg)
	require.NoError(t, err)
	type holder struct {
		Cfg    adminclient.Config
		Client *adminclient.Client
	}
	for _, v := range []any{cfg, &cfg, c, *c, holder{cfg, c}, &holder{cfg, c}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, testToken, verb)
		}
	}
	assert.Equal(t, `adminclient.Client{BaseURL:"https://example.com/admin", Token:[redacted]}`, c.String())
	assert.Contains(t, cfg.String(), "Token:[redacted]")
	assert.Contains(t, adminclient.Config{}.String(), `Token:""`)
}
