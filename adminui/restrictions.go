package adminui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Key restrictions in the create, rotate and edit dialogs. They are plain
// text fields (one scope, network or metadata member a line) so that the
// forms work without JavaScript and the input is shown again as typed when
// the Manager refuses it.

const dialogEditRestrictions = "edit-restrictions"

// restrictionFieldNames are the form fields of the restrictions, for
// readForm; all optional, as the create form may leave them out.
var restrictionFieldNames = []string{"scopes?", "allowedCidrs?", "rateLimit?", "ratePeriod?", "metadata?"}

// ratePeriods are the periods a rate limit is counted over, as offered.
var ratePeriods = []struct {
	seconds int64
	label   string
}{
	{1, "second"},
	{60, "minute"},
	{3600, "hour"},
	{86400, "day"},
}

type periodOption struct {
	Seconds  int64
	Label    string
	Selected bool
}

// restrictionForm is a key's restrictions as the form's fields hold them.
// Prefix makes the element ids unique per dialog; Errors are keyed by the
// field names (scopes, allowedCidrs, rateLimit, metadata).
type restrictionForm struct {
	Prefix     string
	Scopes     string
	CIDRs      string
	RateLimit  string
	RatePeriod string
	Metadata   string
	Periods    []periodOption
	Errors     fieldErrors
}

func (f restrictionForm) Err(name string) string { return f.Errors[name] }

// withPeriods fills the period choices, the form's own selected (a
// minute by default).
func (f restrictionForm) withPeriods(prefix string, errs fieldErrors) restrictionForm {
	f.Prefix = prefix
	if f.RatePeriod == "" {
		f.RatePeriod = "60"
	}
	f.Periods = nil
	for _, p := range ratePeriods {
		f.Periods = append(f.Periods, periodOption{Seconds: p.seconds, Label: p.label, Selected: strconv.FormatInt(p.seconds, 10) == f.RatePeriod})
	}
	f.Errors = errs
	return f
}

// restrictionFormOf shows a stored key's restrictions in the fields.
func restrictionFormOf(k apikey.Key) restrictionForm {
	var f restrictionForm
	var lines []string
	for _, s := range k.Scopes {
		lines = append(lines, s.ResourceType+":"+s.ResourceKey+":"+s.Action)
	}
	f.Scopes = strings.Join(lines, "\n")
	lines = nil
	for _, p := range k.AllowedCIDRs {
		lines = append(lines, p.String())
	}
	f.CIDRs = strings.Join(lines, "\n")
	if k.RateLimit != nil {
		f.RateLimit = strconv.Itoa(k.RateLimit.Limit)
		f.RatePeriod = strconv.FormatInt(int64(k.RateLimit.Period/time.Second), 10)
	}
	f.Metadata = metadataText(k.Metadata)
	return f
}

// metadataText writes metadata as name=value lines, in name order. A
// string that would read back as another type (true, 3) or that starts
// with a quote is written in JSON quotes, so that saving the form
// unchanged keeps every value's type.
func metadataText(m metadata.Map) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(n)
		b.WriteByte('=')
		switch v := m[n].(type) {
		case string:
			if _, isString := parseMetadataValue(v).(string); !isString || strings.HasPrefix(v, `"`) {
				q, _ := json.Marshal(v)
				b.Write(q)
			} else {
				b.WriteString(v)
			}
		default:
			q, _ := json.Marshal(v)
			b.Write(q)
		}
	}
	return b.String()
}

// parseMetadataValue reads a value as typed: true and false are booleans,
// a JSON number is a number, a JSON string in double quotes is that
// string, and anything else is the text itself.
func parseMetadataValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if json.Unmarshal([]byte(s), &str) == nil {
			return str
		}
		return s
	}
	if s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		var f float64
		if json.Unmarshal([]byte(s), &f) == nil {
			return f
		}
	}
	return s
}

// restrictionInput is what the fields ask for: each nil for none.
type restrictionInput struct {
	scopes    []apikey.Scope
	cidrs     []string
	rateLimit *apikey.RateLimit
	metadata  metadata.Map
}

// lines splits a text field into its non-empty lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// restrictionsFrom reads the restriction fields of a form. Errors about
// the text's shape are returned in full sentences keyed by field; the
// Manager checks the rest (the catalog, the networks, the bounds).
func restrictionsFrom(v url.Values) (restrictionForm, restrictionInput, fieldErrors) {
	f := restrictionForm{Scopes: v.Get("scopes"), CIDRs: v.Get("allowedCidrs"), RateLimit: strings.TrimSpace(v.Get("rateLimit")),
		RatePeriod: v.Get("ratePeriod"), Metadata: v.Get("metadata")}
	var in restrictionInput
	errs := fieldErrors{}
	for i, l := range lines(f.Scopes) {
		parts := strings.Split(l, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			errs["scopes"] = fmt.Sprintf("Write scope %d (%q) as type:key:action, such as survey:intake:read, one a line; * matches any key or action.", i+1, truncate(l, 60))
			break
		}
		in.scopes = append(in.scopes, apikey.Scope{ResourceType: strings.TrimSpace(parts[0]), ResourceKey: strings.TrimSpace(parts[1]), Action: strings.TrimSpace(parts[2])})
	}
	in.cidrs = lines(f.CIDRs)
	if f.RateLimit != "" {
		n, err := strconv.Atoi(f.RateLimit)
		period, perr := strconv.ParseInt(f.RatePeriod, 10, 64)
		switch {
		case err != nil || n < 1 || n > apikey.MaxRateLimit:
			errs["rateLimit"] = fmt.Sprintf("Enter the number of requests as a whole number from 1 to %d, or leave it empty for no limit.", apikey.MaxRateLimit)
		case perr != nil || !knownPeriod(period):
			errs["rateLimit"] = "Choose the period the requests are counted over: a second, a minute, an hour or a day."
		default:
			in.rateLimit = &apikey.RateLimit{Limit: n, Period: time.Duration(period) * time.Second}
		}
	}
	for _, l := range lines(f.Metadata) {
		name, value, ok := strings.Cut(l, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			errs["metadata"] = fmt.Sprintf("Write %q as name=value, such as environment=staging, one a line.", truncate(l, 60))
			break
		}
		if in.metadata == nil {
			in.metadata = metadata.Map{}
		}
		if _, dup := in.metadata[name]; dup {
			errs["metadata"] = fmt.Sprintf("The name %q appears twice; keep one line for it.", truncate(name, 60))
			break
		}
		in.metadata[name] = parseMetadataValue(strings.TrimSpace(value))
	}
	return f, in, errs
}

func knownPeriod(seconds int64) bool {
	for _, p := range ratePeriods {
		if p.seconds == seconds {
			return true
		}
	}
	return false
}

// restrictionAdvice turns the Manager's message about a restriction
// (scopes[1].action, allowedCidrs[0], rateLimit.limit, metadata.env) into
// a sentence for the field that holds it, naming the line at fault.
func restrictionAdvice(field, msg string) (string, string) {
	switch {
	case strings.HasPrefix(field, "scopes["):
		i, sub := indexOf(field)
		return "scopes", fmt.Sprintf("Scope %d: %s", i+1, fieldAdvice(strings.TrimPrefix(sub, "."), msg))
	case field == "scopes":
		return "scopes", fmt.Sprintf("List 1 to %d scopes, or leave the field empty for none.", apikey.MaxScopes)
	case strings.HasPrefix(field, "allowedCidrs["):
		i, _ := indexOf(field)
		return "allowedCidrs", sentence(fmt.Sprintf("network %d %s", i+1, msg))
	case field == "allowedCidrs":
		return "allowedCidrs", fmt.Sprintf("List 1 to %d networks, or leave the field empty for any.", apikey.MaxAllowedCIDRs)
	case strings.HasPrefix(field, "rateLimit"):
		return "rateLimit", sentence("the rate limit " + msg)
	case strings.HasPrefix(field, "metadata."):
		name := strings.TrimPrefix(field, "metadata.")
		if strings.HasPrefix(msg, "must") {
			return "metadata", sentence(fmt.Sprintf("the value of %q %s", name, msg))
		}
		return "metadata", sentence(fmt.Sprintf("%q: %s", name, msg))
	case field == "metadata":
		return "metadata", sentence("the metadata " + msg)
	}
	return "", ""
}

// indexOf reads "name[i]rest" as i and rest.
func indexOf(field string) (int, string) {
	open := strings.IndexByte(field, '[')
	closing := strings.IndexByte(field, ']')
	if open < 0 || closing < open {
		return 0, ""
	}
	i, _ := strconv.Atoi(field[open+1 : closing])
	return i, field[closing+1:]
}

// summarize is the compact list a key row shows of its restrictions;
// Edit restrictions shows them in full.
func summarize(k apikey.Key) []string {
	var out []string
	if n := len(k.Scopes); n > 0 {
		if n == 1 {
			s := k.Scopes[0]
			out = append(out, "Scope "+s.ResourceType+":"+s.ResourceKey+":"+s.Action)
		} else {
			out = append(out, fmt.Sprintf("%d scopes", n))
		}
	}
	if n := len(k.AllowedCIDRs); n > 0 {
		if n == 1 {
			out = append(out, "From "+k.AllowedCIDRs[0].String())
		} else {
			out = append(out, fmt.Sprintf("From %d networks", n))
		}
	}
	if rl := k.RateLimit; rl != nil {
		out = append(out, fmt.Sprintf("%d per %s", rl.Limit, periodName(rl.Period)))
	}
	if n := len(k.Metadata); n > 0 {
		out = append(out, fmt.Sprintf("%d metadata", n))
	}
	return out
}

func periodName(d time.Duration) string {
	for _, p := range ratePeriods {
		if time.Duration(p.seconds)*time.Second == d {
			return p.label
		}
	}
	return days(d)
}

// editRestrictions replaces a key's restrictions with the form's, each
// field whole: an empty field removes that restriction.
func (h *handler) editRestrictions(w http.ResponseWriter, r *http.Request) error {
	id, keyID, err := childPath(r, "keyId")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, restrictionFieldNames...)
	if err != nil {
		return err
	}
	form, in, errs := restrictionsFrom(v)
	fail := func(status int, errs fieldErrors, general string) error {
		st := accountState{open: dialogEditRestrictions, keyFor: keyID.String(), restrict: &form, restrictErrs: errs, restrictError: general}
		return h.renderAccount(w, r, status, id, st)
	}
	if len(errs) > 0 {
		return fail(http.StatusBadRequest, errs, "")
	}
	_, err = h.mgr(r).PatchKey(h.changeContext(r), id, keyID, serviceaccount.KeyPatch{
		Scopes: &in.scopes, AllowedCIDRs: &in.cidrs, RateLimit: &in.rateLimit, Metadata: &in.metadata})
	if errs, general, status, ok := formFailure(err); ok {
		return fail(status, errs, general)
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+id.String(), "key-restrictions-saved")
	return nil
}

// hasRestrictionFields reports whether the form sent the restriction
// fields (the page's forms always do; an older form may not).
func hasRestrictionFields(v url.Values) bool {
	return v.Has("scopes") || v.Has("allowedCidrs") || v.Has("rateLimit") || v.Has("metadata")
}
