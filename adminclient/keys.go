package adminclient

import (
	"context"
	"net/http"
	"strconv"
)

// keyPath is /service-accounts/{id}/api-keys/{keyId} followed by rest.
func keyPath(accountID, keyID string, rest string) (string, error) {
	seg, err := segment("API key", keyID)
	if err != nil {
		return "", err
	}
	return accountPath(accountID, "/api-keys/", seg, rest)
}

// ListKeys returns one page of an account's keys, in creation order.
func (c *Client) ListKeys(ctx context.Context, accountID string, p ListParams) (KeyPage, error) {
	path, err := accountPath(accountID, "/api-keys")
	if err != nil {
		return KeyPage{}, err
	}
	var out KeyPage
	_, err = c.do(ctx, http.MethodGet, path, pageQuery(p), nil, &out, nil)
	return out, err
}

// CreateKey creates a key for an account. The answer's Plaintext is the
// key itself, which the API never shows again.
func (c *Client) CreateKey(ctx context.Context, accountID string, in KeyInput) (CreatedKey, error) {
	path, err := accountPath(accountID, "/api-keys")
	if err != nil {
		return CreatedKey{}, err
	}
	var out CreatedKey
	_, err = c.do(ctx, http.MethodPost, path, nil, in, &out, nil)
	return out, err
}

// GetKey returns a key (never its plaintext) and its ETag.
func (c *Client) GetKey(ctx context.Context, accountID, keyID string) (Key, string, error) {
	return c.key(ctx, http.MethodGet, accountID, keyID, nil, nil)
}

// PatchKey renames, disables or enables a key and returns it with its new
// ETag.
func (c *Client) PatchKey(ctx context.Context, accountID, keyID string, p KeyPatch, opts ...Option) (Key, string, error) {
	return c.key(ctx, http.MethodPatch, accountID, keyID, p, opts)
}

func (c *Client) key(ctx context.Context, method, accountID, keyID string, body any, opts []Option) (Key, string, error) {
	path, err := keyPath(accountID, keyID, "")
	if err != nil {
		return Key{}, "", err
	}
	var out Key
	res, err := c.do(ctx, method, path, nil, body, &out, opts)
	return out, res.etag(), err
}

// DeleteKey deletes a key; it stops working at once.
func (c *Client) DeleteKey(ctx context.Context, accountID, keyID string, opts ...Option) error {
	path, err := keyPath(accountID, keyID, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil, opts)
	return err
}

// RotateKey replaces a key by a new one (its plaintext in
// Created.Plaintext, shown this once); the old key keeps working for the grace
// period.
func (c *Client) RotateKey(ctx context.Context, accountID, keyID string, in RotateInput) (RotatedKey, error) {
	path, err := keyPath(accountID, keyID, "/rotate")
	if err != nil {
		return RotatedKey{}, err
	}
	var out RotatedKey
	_, err = c.do(ctx, http.MethodPost, path, nil, in, &out, nil)
	return out, err
}

// ListAllKeys returns one page of the keys of all accounts, filtered by
// p: the hygiene list (keys about to expire, keys nobody uses).
func (c *Client) ListAllKeys(ctx context.Context, p AllKeysParams) (KeyPage, error) {
	q := pageQuery(p.ListParams)
	if p.ExpiresWithinDays != nil {
		q.Set("expiresWithinDays", strconv.Itoa(*p.ExpiresWithinDays))
	}
	if p.UnusedForDays != nil {
		q.Set("unusedForDays", strconv.Itoa(*p.UnusedForDays))
	}
	var out KeyPage
	_, err := c.do(ctx, http.MethodGet, "/api-keys", q, nil, &out, nil)
	return out, err
}
