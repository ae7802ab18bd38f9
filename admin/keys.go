package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (h *handler) listKeys(w http.ResponseWriter, r *http.Request) error {
	return listRecords(h, w, r, (*serviceaccount.Manager).ListKeys, func(p serviceaccount.KeyPage) apijson.KeyPage {
		return apijson.NewKeyPage(tenantOf(r), p)
	})
}

// createKey answers with the plaintext key, the only time it is ever
// shown; Cache-Control: no-store keeps it out of every cache on the way.
func (h *handler) createKey(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in serviceaccount.CreateKeyInput
	var p serviceaccount.KeyPatch // the restrictions, absent or null: none
	fields := append([]field{stringField("name", &in.Name), timeField("expiresAt", &in.ExpiresAt)}, restrictionFields(&p)...)
	if _, err := readBody(w, r, true, fields...); err != nil {
		return err
	}
	in.Scopes, in.AllowedCIDRs, in.RateLimit, in.Metadata = deref(p.Scopes), deref(p.AllowedCIDRs), deref(p.RateLimit), deref(p.Metadata)
	created, err := h.mgr(r).CreateKey(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, apijson.NewCreatedKey(tenantOf(r), created))
}

func (h *handler) deleteKey(w http.ResponseWriter, r *http.Request) error {
	return deleteRecord(h, w, r, "keyId", (*serviceaccount.Manager).DeleteKey)
}

// patchKey changes the members the body has (name, disabled, and the
// restrictions, each replaced whole; null removes one), at least one.
func (h *handler) patchKey(w http.ResponseWriter, r *http.Request) error {
	accountID, keyID, err := recordPathIDs(r, "keyId")
	if err != nil {
		return err
	}
	var p serviceaccount.KeyPatch
	fields := append([]field{optionalStringField("name", &p.Name, false), boolField("disabled", &p.Disabled)}, restrictionFields(&p)...)
	if _, err := readBody(w, r, false, fields...); err != nil {
		return err
	}
	if p.Name == nil && p.Disabled == nil && p.Scopes == nil && p.AllowedCIDRs == nil && p.RateLimit == nil && p.Metadata == nil {
		return emptyPatch(fields)
	}
	k, err := h.mgr(r).PatchKey(r.Context(), accountID, keyID, p)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.KeyRevision(k))
	return writeJSON(w, http.StatusOK, apijson.NewAPIKey(tenantOf(r), k))
}

// rotateKey answers 201 with the new key (its plaintext, this once) and
// the old key as now stored. The body is optional; null for name or
// expiresAt means the default, as an absent member does. An absent
// restriction is copied from the old key; null gives the new key none.
func (h *handler) rotateKey(w http.ResponseWriter, r *http.Request) error {
	accountID, keyID, err := recordPathIDs(r, "keyId")
	if err != nil {
		return err
	}
	var in serviceaccount.RotateKeyInput
	var p serviceaccount.KeyPatch
	if _, err := readBody(w, r, true, append([]field{
		optionalStringField("name", &in.Name, true),
		timeField("expiresAt", &in.ExpiresAt),
		integerField("gracePeriodSeconds", &in.GracePeriodSeconds),
	}, restrictionFields(&p)...)...); err != nil {
		return err
	}
	in.Scopes, in.AllowedCIDRs, in.RateLimit, in.Metadata = p.Scopes, p.AllowedCIDRs, p.RateLimit, p.Metadata
	rotated, err := h.mgr(r).RotateKey(r.Context(), accountID, keyID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, apijson.NewRotatedKey(tenantOf(r), rotated))
}

// listAllKeys is the hygiene list: keys of all accounts, by id, filtered.
func (h *handler) listAllKeys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "expiresWithinDays", "unusedForDays":
			if len(q[name]) > 1 {
				return invalidField(name, "must be given at most once")
			}
		case "limit", "cursor":
		default:
			return invalidField(clip(name), "is not a known parameter; allowed: expiresWithinDays, unusedForDays, limit, cursor")
		}
	}
	var p serviceaccount.ListAllKeysParams
	var err error
	if p.ExpiresWithinDays, err = daysParam(q, "expiresWithinDays"); err != nil {
		return err
	}
	if p.UnusedForDays, err = daysParam(q, "unusedForDays"); err != nil {
		return err
	}
	if p.Limit, p.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	page, err := h.mgr(r).ListAllKeys(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewKeyPage(tenantOf(r), page))
}

func daysParam(q map[string][]string, name string) (*int, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	n, valid := digits(v[0])
	if !valid || n > serviceaccount.MaxFilterDays {
		return nil, invalidField(name, fmt.Sprintf("must be an integer from 0 to %d", serviceaccount.MaxFilterDays))
	}
	return &n, nil
}

// digits parses plain decimal digits: no sign, no space, not empty.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
