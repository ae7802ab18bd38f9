package adminui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestListSearchesByLabelInPagesOf50(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	for i := range 60 {
		label := fmt.Sprintf("Export %02d", i)
		if i%2 == 1 {
			label = fmt.Sprintf("Nightly %02d", i)
		}
		_, err := p.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: label})
		require.NoError(t, err)
	}
	cards := func(body string) []string {
		return regexpAll(`<span class="card-label">([^<]*)</span>`, body)
	}

	// Without a query: pages of 50.
	res := p.get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Len(t, cards(res.body), 50)
	assert.Contains(t, res.body, `<label for="search-q">Search by label</label>`)

	// A search: every match, case ignored, the next page keeping the query.
	res = p.get("/?q=" + url.QueryEscape("  EXPORT "))
	require.Equal(t, http.StatusOK, res.StatusCode)
	got := cards(res.body)
	assert.Len(t, got, 30)
	for _, l := range got {
		assert.True(t, strings.HasPrefix(l, "Export "), l)
	}
	assert.Contains(t, fieldTag(t, res.body, "search-q"), `value="  EXPORT "`, "the query is kept")
	assert.NotContains(t, res.body, "Next page")

	_, err := p.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "export 60"})
	require.NoError(t, err)
	for i := range 25 {
		_, err := p.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: fmt.Sprintf("late export %d", i)})
		require.NoError(t, err)
	}
	res = p.get("/?q=export")
	assert.Len(t, cards(res.body), 50)
	m := regexp.MustCompile(`<p class="pager"><a href="([^"]*)">Next page</a>`).FindStringSubmatch(res.body)
	require.NotNil(t, m)
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	assert.Contains(t, next, "q=export")
	res = p.get(strings.TrimPrefix(next, "/admin/ui"))
	assert.Len(t, cards(res.body), 6)

	// No match, and a query too long: said next to the box.
	res = p.get("/?q=nothing")
	assert.Empty(t, cards(res.body))
	assert.Contains(t, res.body, "No service account's label contains “nothing”.")
	res = p.get("/?q=" + strings.Repeat("x", 101))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "search-q"), "Shorten the search to at most 100 characters")
	assert.Empty(t, cards(res.body))
}
