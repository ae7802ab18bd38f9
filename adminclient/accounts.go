package adminclient

import (
	"context"
	"net/http"
)

// ListAccounts returns one page of service accounts, in creation order.
func (c *Client) ListAccounts(ctx context.Context, p ListParams) (AccountPage, error) {
	var out AccountPage
	_, err := c.do(ctx, http.MethodGet, "/service-accounts", pageQuery(p), nil, &out, nil)
	return out, err
}

// CreateAccount creates a service account.
func (c *Client) CreateAccount(ctx context.Context, in AccountInput) (Account, error) {
	var out Account
	_, err := c.do(ctx, http.MethodPost, "/service-accounts", nil, in, &out, nil)
	return out, err
}

// GetAccount returns an account and its ETag, for IfMatch.
func (c *Client) GetAccount(ctx context.Context, id string) (Account, string, error) {
	return c.account(ctx, http.MethodGet, id, nil, nil)
}

// UpdateAccount replaces an account's label and description (PUT) and
// returns it with its new ETag.
func (c *Client) UpdateAccount(ctx context.Context, id string, in AccountInput, opts ...Option) (Account, string, error) {
	return c.account(ctx, http.MethodPut, id, in, opts)
}

// PatchAccount changes the fields p sets and returns the account with its
// new ETag.
func (c *Client) PatchAccount(ctx context.Context, id string, p AccountPatch, opts ...Option) (Account, string, error) {
	return c.account(ctx, http.MethodPatch, id, p, opts)
}

func (c *Client) account(ctx context.Context, method, id string, body any, opts []Option) (Account, string, error) {
	path, err := accountPath(id)
	if err != nil {
		return Account{}, "", err
	}
	var out Account
	res, err := c.do(ctx, method, path, nil, body, &out, opts)
	return out, res.etag(), err
}

// DeleteAccount deletes an account with its keys and permissions.
func (c *Client) DeleteAccount(ctx context.Context, id string, opts ...Option) error {
	path, err := accountPath(id)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil, opts)
	return err
}
