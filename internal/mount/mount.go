// Package mount recovers where a handler was mounted, so handlers that are
// mounted behind http.StripPrefix can build links and Location headers that
// stay inside their mount point, and reads how an http.ServeMux would
// answer a request it has no route for, so such handlers can answer it
// in their own format.
package mount

import (
	"net/http"
	"net/url"
	"strings"
)

// Prefix recovers the escaped path prefix that http.StripPrefix (or a
// router that strips the same way) removed, from the request line that the
// server received. It is "" when the handler is not mounted under a prefix
// or the request did not come from a server.
func Prefix(r *http.Request) string {
	if r.RequestURI == "" {
		return ""
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return ""
	}
	prefix, ok := strings.CutSuffix(u.EscapedPath(), r.URL.EscapedPath())
	if !ok {
		return ""
	}
	return prefix
}
