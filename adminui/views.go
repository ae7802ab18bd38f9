package adminui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The views hold what the templates print, already formatted, so that the
// templates only lay it out.

// layout is what every page shares.
type layout struct {
	Base   string // escaped mount prefix, no trailing slash
	Title  string
	Notice string // the outcome of the change that redirected here
	// LogoutURL is Config.LogoutURL: where the header's "Log out" posts.
	LogoutURL string
	// Tenant is the tenant the page acts on; Tenants the switcher's
	// links, empty when the administrator may see only one tenant.
	Tenant  string
	Tenants []tenantLink
}

type accountView struct {
	ID          string
	Label       string
	Description string
	URL         string
	Disabled    *timeView // when the account was disabled; nil while enabled
}

func newAccountView(base string, a serviceaccount.Account, now time.Time, loc *time.Location) accountView {
	return accountView{
		ID: a.ID.String(), Label: a.Label, Description: a.Description, URL: base + "/accounts/" + a.ID.String(),
		Disabled: newTimeView(a.DisabledAt, now, loc),
	}
}

type keyView struct {
	ID         string
	Hint       string
	Name       string
	CreatedAt  *timeView
	LastUsedAt *timeView
	ExpiresAt  *timeView
	Expired    bool
	Disabled   bool
	Replaced   bool // rotated: a newer key replaces it, this one lives out its grace
	// CanRotate: rotation needs a key that is enabled, unexpired and not
	// replaced yet.
	CanRotate bool
	URL       string // the key's address; actions are under it
	DeleteURL string
	// Title names the key in a confirmation: its name and hint, or the
	// hint alone.
	Title string
	// Restrictions summarizes the key's restrictions for its row;
	// Restrict holds them as the dialogs' fields do.
	Restrictions []string
	Restrict     restrictionForm
}

func newKeyView(accountURL string, k apikey.Key, now time.Time, loc *time.Location) keyView {
	v := keyView{
		ID:         k.ID.String(),
		Hint:       k.Hint,
		Name:       k.Name,
		CreatedAt:  newTimeView(&k.CreatedAt, now, loc),
		LastUsedAt: newTimeView(k.LastUsedAt, now, loc),
		ExpiresAt:  newTimeView(k.ExpiresAt, now, loc),
		Expired:    k.Expired(now),
		Disabled:   k.Disabled(),
		Replaced:   k.ReplacedBy != nil,
		URL:        accountURL + "/keys/" + k.ID.String(),
	}
	v.CanRotate = !v.Expired && !v.Disabled && !v.Replaced
	v.Restrictions = summarize(k)
	v.Restrict = restrictionFormOf(k).withPeriods("", nil)
	v.DeleteURL = v.URL + "/delete"
	v.Title = k.Hint
	if k.Name != "" {
		v.Title = "“" + k.Name + "” (" + k.Hint + ")"
	}
	return v
}

type permissionView struct {
	ID       string
	Resource string // "study tekenradar", as the seed shows it
	Action   string
	Limiter  string // canonical JSON, "" for none
	// LimiterKeys are the keys the action's limiter may use; empty when
	// the action takes no limiter, and then there is nothing to edit.
	LimiterKeys []string
	LimiterHint string
	LimiterURL  string
	DeleteURL   string
}

func (c catalogView) newPermissionView(accountURL string, p permission.Permission) permissionView {
	v := permissionView{
		ID:          p.ID.String(),
		Resource:    p.ResourceType + " " + p.ResourceKey,
		Action:      p.Action,
		LimiterKeys: c.limiterKeys(p.ResourceType, p.Action),
		LimiterHint: limiterHint(c.limiterKeys(p.ResourceType, p.Action)),
		LimiterURL:  accountURL + "/permissions/" + p.ID.String() + "/limiter",
		DeleteURL:   accountURL + "/permissions/" + p.ID.String() + "/delete",
	}
	if p.Limiter != nil {
		v.Limiter = p.Limiter.String()
	}
	return v
}

// catalogView is the Manager's catalog as the add-permission form needs it,
// in Go for the server-rendered form and as JSON for the script that
// narrows the form to the chosen type and action.
type catalogView struct {
	Types []typeView
	JSON  string
}

type typeView struct {
	ID          string       `json:"id"`
	DisplayName string       `json:"displayName"`
	Keys        []string     `json:"keys"`
	OpenKeys    bool         `json:"openKeys"`
	KeyHint     string       `json:"keyHint"`
	Actions     []actionView `json:"actions"`
}

type actionView struct {
	ID          string   `json:"id"`
	Label       string   `json:"label"`
	LimiterKeys []string `json:"limiterKeys"`
	LimiterHint string   `json:"limiterHint"`
}

func newCatalogView(types []permission.ResourceType) catalogView {
	var c catalogView
	for _, rt := range types {
		tv := typeView{ID: rt.ID, DisplayName: rt.DisplayName, Keys: rt.Keys, OpenKeys: rt.OpenKeys, KeyHint: keyHint(rt)}
		if tv.DisplayName == "" {
			tv.DisplayName = rt.ID
		}
		for _, a := range rt.Actions {
			av := actionView{ID: a.ID, Label: a.ID, LimiterKeys: a.LimiterKeys, LimiterHint: limiterHint(a.LimiterKeys)}
			if a.ID == permission.Any {
				av.Label = "* (all actions)"
			}
			tv.Actions = append(tv.Actions, av)
		}
		c.Types = append(c.Types, tv)
	}
	b, err := json.Marshal(c.Types)
	if err != nil {
		panic(err) // only strings and bools
	}
	c.JSON = string(b)
	return c
}

// keyHint tells, in the seed's words, what the resource key of a type may be.
func keyHint(rt permission.ResourceType) string {
	name := strings.ToLower(rt.DisplayName)
	if name == "" {
		name = rt.ID
	}
	hasAny := slices.Contains(rt.Keys, permission.Any)
	switch {
	case rt.OpenKeys && hasAny:
		return fmt.Sprintf("Enter a %s key, or use \"*\" for all.", name)
	case rt.OpenKeys:
		return fmt.Sprintf("Enter a %s key.", name)
	case len(rt.Keys) == 1 && hasAny:
		return fmt.Sprintf("Only * is available (applies to all %s).", name)
	default:
		return "Select a resource ID."
	}
}

func limiterHint(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return fmt.Sprintf("Optional. JSON that restricts this permission, using %s; for example [{\"%s\": \"value\"}].",
		strings.Join(keys, ", "), keys[0])
}

func (c catalogView) typeByID(id string) (typeView, bool) {
	for _, t := range c.Types {
		if t.ID == id {
			return t, true
		}
	}
	return typeView{}, false
}

func (c catalogView) limiterKeys(typeID, action string) []string {
	t, _ := c.typeByID(typeID)
	for _, a := range t.Actions {
		if a.ID == action {
			return a.LimiterKeys
		}
	}
	return nil
}

// limiterActions lists the actions of t that take a limiter, so the form
// without JavaScript shows the Limiter field only where it can apply and
// says for which actions.
func (t typeView) limiterActions() []string {
	var ids []string
	for _, a := range t.Actions {
		if len(a.LimiterKeys) > 0 {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// layout is what every page's header needs. r is nil for an error page,
// which shows no switcher: listing tenants could be what failed.
func (h *handler) layout(r *http.Request, base, title, notice string) layout {
	l := layout{Base: base, Title: title, Notice: notice, LogoutURL: h.opts.LogoutURL}
	if r == nil {
		return l
	}
	l.Tenant = h.mgr(r).TenantID()
	links, err := h.tenantLinks(r)
	if err != nil {
		// The page still works in its own tenant; only the switcher is missing.
		h.log().ErrorContext(r.Context(), "adminui: list tenants for the switcher", "error", err.Error())
	}
	l.Tenants = links
	return l
}
