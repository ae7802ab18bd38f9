package adminui

import (
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Account pages' own actions that are not forms of their own: disabling
// and enabling an account.

func (h *handler) setAccountDisabled(disabled bool, done string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := readForm(w, r); err != nil {
			return err
		}
		if _, err := h.mgr(r).PatchAccount(h.changeContext(r), id, serviceaccount.AccountPatch{Disabled: &disabled}); err != nil {
			return err
		}
		redirect(w, r, h.base(r)+"/accounts/"+id.String(), done)
		return nil
	}
}
