package admin

import (
	"net/http"
)

// policy answers GET /policy: the Manager's effective policy, defaults
// filled in, so that a client can tell a refusal before it asks.
func (h *handler) policy(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, newPolicyJSON(h.m.Policy()))
}
