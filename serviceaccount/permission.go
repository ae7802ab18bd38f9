package serviceaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// PermissionInput describes a grant. Limiter is JSON (see package
// limiter); empty or null means none.
type PermissionInput struct {
	ResourceType string          `json:"resourceType" validate:"required,singleline"`
	ResourceKey  string          `json:"resourceKey" validate:"required,singleline"`
	Action       string          `json:"action" validate:"required,singleline"`
	Limiter      json.RawMessage `json:"limiter"`
}

// AddPermission grants a permission to account accountID after validating
// it against the catalog. An identical grant already held (same type, key,
// action and limiter grant form, so "x" and ["x"] are one grant) is a
// *ConflictError, which is also a store.ErrConflict, rather than a silent
// duplicate that would have to be deleted twice. The store's uniqueness
// rule decides it, so two identical concurrent grants cannot both succeed.
func (m *Manager) AddPermission(ctx context.Context, accountID uuid.UUID, in PermissionInput) (permission.Permission, error) {
	l, err := m.checkPermission(in)
	if err != nil {
		return permission.Permission{}, err
	}
	p := permission.Permission{
		ID:           newID(),
		AccountID:    accountID,
		ResourceType: in.ResourceType,
		ResourceKey:  in.ResourceKey,
		Action:       in.Action,
		Limiter:      l,
		CreatedAt:    m.now(),
	}
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		if err := u.PermissionCreate(ctx, m.tenant, p); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errPermissionHeld
			}
			return err
		}
		u.audited(store.ActionPermissionCreate, accountID, &p.ID, nil, auditPermission(p))
		u.changed(Change{Kind: PermissionCreated, AccountID: accountID, PermissionID: p.ID})
		return nil
	})
	if err != nil {
		return permission.Permission{}, fmt.Errorf("add permission to account %s: %w", accountID, err)
	}
	return p, nil
}

func (m *Manager) checkPermission(in PermissionInput) (*limiter.Limiter, error) {
	if err := validateStruct(m.validate, in); err != nil {
		return nil, err
	}
	l, err := parseLimiter(in.Limiter)
	if err != nil {
		return nil, err
	}
	if err := m.checkCatalog(in.ResourceType, in.ResourceKey, in.Action, l); err != nil {
		return nil, err
	}
	return l, nil
}

// checkCatalog turns the catalog's findings into a *ValidationError.
func (m *Manager) checkCatalog(resourceType, resourceKey, action string, l *limiter.Limiter) error {
	errs := m.catalog.Validate(resourceType, resourceKey, action, l)
	if len(errs) == 0 {
		return nil
	}
	out := &ValidationError{}
	for _, e := range errs {
		out.Fields = append(out.Fields, FieldError{Field: e.Field, Message: e.Message})
	}
	return out
}

func parseLimiter(raw json.RawMessage) (*limiter.Limiter, error) {
	l, err := limiter.Parse(raw)
	if err != nil {
		var le *limiter.Error
		if errors.As(err, &le) {
			return nil, invalid("limiter"+le.Path, le.Message)
		}
		return nil, invalid("limiter", err.Error())
	}
	// A new limiter's keys and values follow the labels' rules: no control
	// character (PostgreSQL refuses NUL, and no request attribute a
	// limiter should match holds one), no bidi control or line separator
	// ("\u202eekatni" reads as "intake" on the page), and something
	// visible. Checked here rather than in limiter.Parse, which also reads
	// the limiters stored before these rules, so that they keep working.
	for path, s := range l.Strings() {
		if problem := labelTextProblem(s); problem != "" {
			return nil, invalid("limiter"+path, problem)
		}
	}
	return l, nil
}

// Permissions lists the permissions of account accountID in creation order.
func (m *Manager) Permissions(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	perms, err := m.store.PermissionList(ctx, m.tenant, accountID)
	if err != nil {
		return nil, fmt.Errorf("list permissions of account %s: %w", accountID, err)
	}
	return perms, nil
}

// SetLimiter replaces the limiter of permission permissionID of account
// accountID; raw null or empty removes it. The new limiter is validated
// against the catalog for the permission's action.
func (m *Manager) SetLimiter(ctx context.Context, accountID, permissionID uuid.UUID, raw json.RawMessage) (permission.Permission, error) {
	l, err := parseLimiter(raw)
	if err != nil {
		return permission.Permission{}, err
	}
	var p permission.Permission
	err = m.write(ctx, func(ctx context.Context, u *unit) error {
		current, err := u.permissionForChange(ctx, accountID, permissionID)
		if err != nil {
			return err
		}
		if err := m.checkCatalog(current.ResourceType, current.ResourceKey, current.Action, l); err != nil {
			return err
		}
		p, err = u.PermissionUpdateLimiter(ctx, m.tenant, store.PermissionUpdateLimiterParams{AccountID: accountID, PermissionID: permissionID, Limiter: l})
		if errors.Is(err, store.ErrConflict) {
			return errPermissionHeld
		}
		if err != nil {
			return err
		}
		u.audited(store.ActionPermissionUpdate, accountID, &permissionID, auditPermission(current), auditPermission(p))
		u.changed(Change{Kind: PermissionUpdated, AccountID: accountID, PermissionID: permissionID})
		return nil
	})
	var verr *ValidationError
	if errors.As(err, &verr) {
		return permission.Permission{}, err
	}
	if err != nil {
		return permission.Permission{}, fmt.Errorf("set limiter of permission %s: %w", permissionID, err)
	}
	return p, nil
}

// DeletePermission deletes permission permissionID of account accountID;
// store.ErrNotFound if it belongs to another account.
func (m *Manager) DeletePermission(ctx context.Context, accountID, permissionID uuid.UUID) error {
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		before, err := u.permissionForChange(ctx, accountID, permissionID)
		if err != nil {
			return err
		}
		if err := u.PermissionDelete(ctx, m.tenant, accountID, permissionID); err != nil {
			return err
		}
		u.audited(store.ActionPermissionDelete, accountID, &permissionID, auditPermission(before), nil)
		u.changed(Change{Kind: PermissionDeleted, AccountID: accountID, PermissionID: permissionID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete permission %s of account %s: %w", permissionID, accountID, err)
	}
	return nil
}
