package adminclient

import (
	"context"
	"errors"
	"iter"
)

// Iterators over every page of a list. Each fetches a page when the
// previous one is used up, limit records at a time (0: the API's
// default); an error ends the sequence after being yielded with a zero
// record. Breaking out of the loop fetches nothing more.

// Accounts yields every service account.
func (c *Client) Accounts(ctx context.Context, limit int) iter.Seq2[Account, error] {
	return pages("", func(cursor string) ([]Account, *string, error) {
		p, err := c.ListAccounts(ctx, ListParams{Limit: limit, Cursor: cursor})
		return p.Items, p.NextCursor, err
	})
}

// Keys yields every key of an account.
func (c *Client) Keys(ctx context.Context, accountID string, limit int) iter.Seq2[Key, error] {
	return pages("", func(cursor string) ([]Key, *string, error) {
		p, err := c.ListKeys(ctx, accountID, ListParams{Limit: limit, Cursor: cursor})
		return p.Items, p.NextCursor, err
	})
}

// AllKeys yields every key of all accounts that matches p's filters,
// starting at p.Cursor.
func (c *Client) AllKeys(ctx context.Context, p AllKeysParams) iter.Seq2[Key, error] {
	return pages(p.Cursor, func(cursor string) ([]Key, *string, error) {
		q := p
		q.Cursor = cursor
		page, err := c.ListAllKeys(ctx, q)
		return page.Items, page.NextCursor, err
	})
}

// Permissions yields every permission of an account.
func (c *Client) Permissions(ctx context.Context, accountID string, limit int) iter.Seq2[Permission, error] {
	return pages("", func(cursor string) ([]Permission, *string, error) {
		p, err := c.ListPermissions(ctx, accountID, ListParams{Limit: limit, Cursor: cursor})
		return p.Items, p.NextCursor, err
	})
}

// AuditEvents yields every audit event that matches p's filters, starting
// at p.Cursor.
func (c *Client) AuditEvents(ctx context.Context, p AuditParams) iter.Seq2[AuditEvent, error] {
	return pages(p.Cursor, func(cursor string) ([]AuditEvent, *string, error) {
		q := p
		q.Cursor = cursor
		page, err := c.ListAuditEvents(ctx, q)
		return page.Items, page.NextCursor, err
	})
}

// pages yields the items of each page fetch returns, from the page at
// start, following the next cursor until it is nil. A next cursor equal
// to the one just used would loop forever: it ends the sequence with an
// error instead.
func pages[T any](start string, fetch func(cursor string) ([]T, *string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := start
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			if *next == cursor {
				var zero T
				yield(zero, errors.New("adminclient: the API answered the same next cursor again; stopping"))
				return
			}
			cursor = *next
		}
	}
}
