package adminclient

import (
	"context"
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// permissionPath is /service-accounts/{id}/permissions/{permissionId}
// followed by rest.
func permissionPath(accountID, permissionID, rest string) (string, error) {
	seg, err := segment("permission", permissionID)
	if err != nil {
		return "", err
	}
	return accountPath(accountID, "/permissions/", seg, rest)
}

// ListPermissions returns one page of an account's permissions.
func (c *Client) ListPermissions(ctx context.Context, accountID string, p ListParams) (PermissionPage, error) {
	path, err := accountPath(accountID, "/permissions")
	if err != nil {
		return PermissionPage{}, err
	}
	var out PermissionPage
	_, err = c.do(ctx, http.MethodGet, path, pageQuery(p), nil, &out, nil)
	return out, err
}

// GrantPermission grants an account a permission. A grant the account
// already holds is ErrConflict.
func (c *Client) GrantPermission(ctx context.Context, accountID string, in PermissionInput) (Permission, error) {
	path, err := accountPath(accountID, "/permissions")
	if err != nil {
		return Permission{}, err
	}
	var out Permission
	_, err = c.do(ctx, http.MethodPost, path, nil, in, &out, nil)
	return out, err
}

// GetPermission returns a permission and its ETag.
func (c *Client) GetPermission(ctx context.Context, accountID, permissionID string) (Permission, string, error) {
	path, err := permissionPath(accountID, permissionID, "")
	if err != nil {
		return Permission{}, "", err
	}
	var out Permission
	res, err := c.do(ctx, http.MethodGet, path, nil, nil, &out, nil)
	return out, res.etag(), err
}

// limiterBody is the body of SetLimiter: the member is always present,
// null removing the limiter, as the API requires.
type limiterBody struct {
	Limiter *limiter.Limiter `json:"limiter"`
}

// SetLimiter replaces a permission's limiter; nil removes it. It returns
// the permission with its new ETag.
func (c *Client) SetLimiter(ctx context.Context, accountID, permissionID string, l *limiter.Limiter, opts ...Option) (Permission, string, error) {
	path, err := permissionPath(accountID, permissionID, "/limiter")
	if err != nil {
		return Permission{}, "", err
	}
	var out Permission
	res, err := c.do(ctx, http.MethodPut, path, nil, limiterBody{l}, &out, opts)
	return out, res.etag(), err
}

// RevokePermission deletes a permission.
func (c *Client) RevokePermission(ctx context.Context, accountID, permissionID string, opts ...Option) error {
	path, err := permissionPath(accountID, permissionID, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil, opts)
	return err
}
