package serviceaccount

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// PageParams selects one page of a list: Limit is the page size, 1 to
// MaxPageSize (0 means DefaultPageSize); Cursor is the NextCursor of the
// previous page, "" for the first.
type PageParams struct {
	Limit  int
	Cursor string
}

// PermissionPage is one page of an account's permissions, in id order.
type PermissionPage struct {
	Items []permission.Permission
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string
}

// ListKeys returns one page of account accountID's keys in id order
// (creation order: ids are UUIDv7), with cursors like ListAccounts';
// store.ErrNotFound if there is no such account.
//
// The page is cut from the account's whole list, which the store reads
// in one query: an account's keys are bounded by the policy's
// MaxKeysPerAccount, and paging them keeps responses bounded when the
// policy sets none.
func (m *Manager) ListKeys(ctx context.Context, accountID uuid.UUID, p PageParams) (KeyPage, error) {
	limit, after, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return KeyPage{}, err
	}
	keys, err := m.Keys(ctx, accountID)
	if err != nil {
		return KeyPage{}, err
	}
	page := KeyPage{}
	page.Items, page.NextCursor = pageByID(keys, limit, after, func(k apikey.Key) uuid.UUID { return k.ID })
	return page, nil
}

// ListPermissions returns one page of account accountID's permissions in
// id order (creation order), with cursors like ListAccounts';
// store.ErrNotFound if there is no such account.
//
// The page is cut from the account's whole list, which the store reads
// in one query: the middleware loads that same list to authorize every
// request of the account, so reading it for a page costs no more.
func (m *Manager) ListPermissions(ctx context.Context, accountID uuid.UUID, p PageParams) (PermissionPage, error) {
	limit, after, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return PermissionPage{}, err
	}
	perms, err := m.Permissions(ctx, accountID)
	if err != nil {
		return PermissionPage{}, err
	}
	page := PermissionPage{}
	page.Items, page.NextCursor = pageByID(perms, limit, after, func(p permission.Permission) uuid.UUID { return p.ID })
	return page, nil
}

// Key returns key keyID of account accountID; store.ErrNotFound if there
// is no such account or the key belongs to another. It is found in the
// account's list (one query, bounded by the policy), as the store reads a
// single key only to change it, with a lock.
func (m *Manager) Key(ctx context.Context, accountID, keyID uuid.UUID) (apikey.Key, error) {
	keys, err := m.Keys(ctx, accountID)
	if err != nil {
		return apikey.Key{}, err
	}
	i := slices.IndexFunc(keys, func(k apikey.Key) bool { return k.ID == keyID })
	if i < 0 {
		return apikey.Key{}, fmt.Errorf("key %s of account %s: %w", keyID, accountID, store.ErrNotFound)
	}
	return keys[i], nil
}

// Permission returns permission permissionID of account accountID;
// store.ErrNotFound if there is no such account or the permission belongs
// to another. It is found in the account's list, as Key is.
func (m *Manager) Permission(ctx context.Context, accountID, permissionID uuid.UUID) (permission.Permission, error) {
	perms, err := m.Permissions(ctx, accountID)
	if err != nil {
		return permission.Permission{}, err
	}
	i := slices.IndexFunc(perms, func(p permission.Permission) bool { return p.ID == permissionID })
	if i < 0 {
		return permission.Permission{}, fmt.Errorf("permission %s of account %s: %w", permissionID, accountID, store.ErrNotFound)
	}
	return perms[i], nil
}

// pageByID sorts items by id and returns the limit items after the id
// after (uuid.Nil: from the first), with the cursor of the next page.
func pageByID[T any](items []T, limit int, after uuid.UUID, id func(T) uuid.UUID) ([]T, string) {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b T) int {
		ida, idb := id(a), id(b)
		return bytes.Compare(ida[:], idb[:])
	})
	start, _ := slices.BinarySearchFunc(items, after, func(item T, target uuid.UUID) int {
		idi := id(item)
		if c := bytes.Compare(idi[:], target[:]); c != 0 {
			return c
		}
		return -1 // the item equal to the cursor was on the previous page
	})
	items = items[start:]
	if len(items) > limit+1 {
		items = items[:limit+1]
	}
	return trimPage(items, limit, id)
}
