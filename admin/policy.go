package admin

import (
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
)

// policy answers GET /policy: the Manager's effective policy, defaults
// filled in, so that a client can tell a refusal before it asks.
func (h *handler) policy(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apijson.NewPolicy(h.m.Policy()))
}
