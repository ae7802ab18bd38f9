package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tidwall/gjson"
)

// readBody reads the body for JSONBody sources, at most max bytes, and
// puts an identical reader back for the handler.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, ErrBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, ErrBodyTooLarge
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreadableBody, err)
	}
	if int64(len(b)) > max {
		return nil, ErrBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	// The scan runs first: it bounds the depth that gjson.ValidBytes, which
	// recurses once per level, would otherwise follow through the whole
	// body.
	dup, tooDeep := scanBody(b)
	if tooDeep || !gjson.ValidBytes(b) {
		return nil, nil // not JSON: every JSONBody value is missing
	}
	if dup != nil {
		return nil, dup
	}
	return b, nil
}
