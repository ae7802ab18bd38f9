package serviceaccount

import (
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"
)

// Page sizes of ListAccounts.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// trimPage cuts the one extra item a list asked for, which tells that
// another page follows, and makes the cursor of that next page ("" on
// the last page).
func trimPage[T any](items []T, limit int, id func(T) uuid.UUID) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	return items[:limit], encodeCursor(id(items[limit-1]))
}

// pageOf checks a page size (0: DefaultPageSize) and decodes a cursor.
func pageOf(limit int, cursor string) (int, uuid.UUID, error) {
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, uuid.Nil, invalid("limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return 0, uuid.Nil, err
	}
	return limit, after, nil
}

func encodeCursor(id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func decodeCursor(cursor string) (uuid.UUID, error) {
	if cursor == "" {
		return uuid.Nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) != len(uuid.UUID{}) {
		return uuid.Nil, invalid("cursor", "is not a cursor returned by this API")
	}
	return uuid.UUID(b), nil
}
