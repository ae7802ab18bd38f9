package adminui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// pages holds one template set per page, each the layout plus the page's
// own content, parsed once: the templates are part of the binary, so a
// mistake in them must fail every test rather than one request.
var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"list", "account", "hygiene", "error", "webhooks", "webhook", "policy"} {
		out[name] = template.Must(template.New(name).Funcs(templateFuncs).ParseFS(templateFS,
			"templates/layout.html", "templates/icons.html", "templates/"+name+".html"))
	}
	// The activity page shares the account page's event table.
	out["activity"] = template.Must(template.Must(template.New("activity").ParseFS(templateFS,
		"templates/layout.html", "templates/icons.html", "templates/account.html")).ParseFS(templateFS, "templates/activity.html"))
	return out
}()

// templateFuncs: policyField bundles one number field of the policy form
// for its shared template.
var templateFuncs = template.FuncMap{
	"policyField": func(id, name, label, value, err, step string) map[string]string {
		return map[string]string{"ID": id, "Name": name, "Label": label, "Value": value, "Err": err, "Step": step}
	},
}

// asset serves one embedded file by its name. Unlike http.FileServer it
// lists no directory and redirects nothing.
func (h *handler) asset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	b, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil || !fs.ValidPath(name) {
		h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
		return nil
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(b)
	return nil
}

// render writes page name with status. The page is rendered into a buffer
// first, so a template error becomes an error page rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.log().ErrorContext(r.Context(), "adminui: render page", "page", name, "error", err.Error())
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	layout
	Status  int
	Heading string
	Message string
	Back    string // where to go from here
}

func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	base := h.base(r)
	h.render(w, r, status, "error", errorData{
		layout:  h.layout(nil, base, http.StatusText(status), ""),
		Status:  status,
		Heading: http.StatusText(status),
		Message: message,
		Back:    base + "/",
	})
}
