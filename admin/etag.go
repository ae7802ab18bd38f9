package admin

import (
	"net/http"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Optimistic concurrency: GET of an account, key or permission (and the
// 200 answer of a change to one) carries an ETag, a strong validator made
// from the record's revision (see serviceaccount.AccountRevision); PUT,
// PATCH and DELETE honour If-Match, compared by the Manager inside the
// change's transaction, and answer 412 precondition_failed when no tag
// matches. A key's ETag does not change when the key is used.

func setETag(w http.ResponseWriter, revision string) {
	w.Header().Set("ETag", `"`+revision+`"`)
}

// withIfMatch carries the request's If-Match to the Manager. "*" is met
// by any existing record, so it adds no condition (a missing record is 404
// anyway). Weak tags never match (If-Match compares strongly, RFC 9110
// 13.1.1), nor does anything that is not a quoted tag: such a request gets
// 412, never an unconditional write.
func withIfMatch(r *http.Request) *http.Request {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return r
	}
	var revs []string
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				return r
			}
			if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
				revs = append(revs, tag[1:len(tag)-1])
			}
		}
	}
	return r.WithContext(serviceaccount.IfRevision(r.Context(), revs...))
}

func (h *handler) getKey(w http.ResponseWriter, r *http.Request) error {
	return getRecord(h, w, r, "keyId", (*serviceaccount.Manager).Key, serviceaccount.KeyRevision, func(k apikey.Key) apijson.APIKey {
		return apijson.NewAPIKey(tenantOf(r), k)
	})
}

func (h *handler) getPermission(w http.ResponseWriter, r *http.Request) error {
	return getRecord(h, w, r, "permissionId", (*serviceaccount.Manager).Permission, serviceaccount.PermissionRevision, apijson.NewPermission)
}
