package admin

import "github.com/seed-c7fc2061/serviceaccounts/serviceaccount"

// Pages of keys and permissions: {"items":[…],"nextCursor":string|null},
// as accounts' pages are.

func newKeyPageJSON(page serviceaccount.KeyPage) keyPageJSON {
	out := keyPageJSON{Items: make([]keyJSON, len(page.Items))}
	for i, k := range page.Items {
		out.Items[i] = newKeyJSON(k)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out
}

type permissionPageJSON struct {
	Items      []permissionJSON `json:"items"`
	NextCursor *string          `json:"nextCursor"`
}

func newPermissionPageJSON(page serviceaccount.PermissionPage) permissionPageJSON {
	out := permissionPageJSON{Items: make([]permissionJSON, len(page.Items))}
	for i, p := range page.Items {
		out.Items[i] = newPermissionJSON(p)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out
}
