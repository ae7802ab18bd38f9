package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// writeJSON encodes v before touching w, so an encoding failure can still
// become a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return writeBody(w, status, "application/json", v)
}

// writeBody sends v as JSON without HTML escaping: the responses are JSON
// marked nosniff, never HTML, and escaping would alter a limiter's
// canonical form and make details such as "<admin token>" unreadable.
func writeBody(w http.ResponseWriter, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
