package mount

import "net/http"

// MethodNotAllowed runs h, the answer of an http.ServeMux to a request it
// has no route for, without writing anything, and reports the Allow header
// when that answer is 405 Method Not Allowed (ok is false for its 404).
// The management API and the admin UI both replace the mux's plain-text
// 404 and 405 with their own bodies, and need its Allow header for the 405.
func MethodNotAllowed(h http.Handler, r *http.Request) (allow string, ok bool) {
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status != http.StatusMethodNotAllowed {
		return "", false
	}
	return rec.header.Get("Allow"), true
}

// headerRecorder keeps the status and headers of the ServeMux's own 404 or
// 405 answer and drops its plain-text body.
type headerRecorder struct {
	header http.Header
	status int
}

func (rec *headerRecorder) Header() http.Header { return rec.header }

func (rec *headerRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *headerRecorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return len(b), nil
}
