package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Environment variables of the server mode.
const (
	envServer     = "SA_SERVER"
	envAdminToken = "SA_ADMIN_TOKEN"
)

// adminPrefix is where the admin API is mounted under the server's root,
// as the example server mounts it.
const adminPrefix = "/admin"

// maxTokenBytes bounds the token read from standard input: an admin
// token is a few dozen bytes, and a wrong pipe must not be read whole.
const maxTokenBytes = 4096

// remote is the backend of --server: the admin API through adminclient,
// its answers turned into the Manager's types and errors.
type remote struct {
	client *adminclient.Client
	clock  clockwork.Clock
}

var _ backend = (*remote)(nil)

// remote opens the client of --server once per run, with the admin token
// of SA_ADMIN_TOKEN or standard input. Both problems it reports are
// command lines that cannot work (exit 2); neither message holds the
// token or the URL, which may carry a password.
func (a *app) remote(ctx context.Context) (*remote, error) {
	if a.client != nil {
		return a.client, nil
	}
	if err := a.checkServerURL(); err != nil {
		return nil, err
	}
	token, err := a.adminToken(ctx)
	if err != nil {
		return nil, err
	}
	client, err := adminclient.New(strings.TrimRight(a.server, "/")+adminPrefix, adminclient.Config{Token: token, UserAgent: "serviceaccounts-cli"})
	if err != nil {
		return nil, usagef("invalid --server: %s (want the server's root, such as https://sa.example.com)", strings.TrimPrefix(err.Error(), "adminclient: "))
	}
	a.client = &remote{client: client, clock: clockwork.NewRealClock()}
	return a.client, nil
}

// checkServerURL refuses a --server that holds credentials before the
// token is read: the token is the only credential, and it is never part
// of a URL that shells and logs keep.
func (a *app) checkServerURL() error {
	u, err := url.Parse(a.server)
	if err == nil && u.User != nil {
		return usagef("invalid --server: it must not hold a user or password; the admin token comes from %s or standard input", envAdminToken)
	}
	return nil
}

// adminToken is SA_ADMIN_TOKEN, or the first line of standard input with
// --token-stdin or when standard input is not a terminal: never a flag,
// which other users of the machine could read in the process list.
func (a *app) adminToken(ctx context.Context) (string, error) {
	token := a.getenv(envAdminToken)
	if (token == "" || a.tokenStdin) && !a.tokenFromEnvOnly {
		if a.term.interactive() {
			if a.tokenStdin {
				return "", usagef("--token-stdin reads the admin token from a pipe, not a terminal: printf '%%s\\n' \"$TOKEN\" | serviceaccounts --server URL --token-stdin …, or set %s", envAdminToken)
			}
		} else {
			var err error
			if token, err = a.readToken(ctx); err != nil {
				return "", err
			}
		}
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", usagef("no admin token for --server: set %s, or pipe the token on standard input (--token-stdin)", envAdminToken)
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", usagef("the admin token of %s holds a line break", envAdminToken)
	}
	a.token = token
	return token, nil
}

// readToken reads the first line of standard input, giving up with the
// command's context: a pipe left open by a CI runner must not hang the
// tool.
func (a *app) readToken(ctx context.Context) (string, error) {
	type read struct {
		line string
		err  error
	}
	done := make(chan read, 1)
	go func() {
		line, err := bufio.NewReaderSize(io.LimitReader(a.term.in, maxTokenBytes+1), maxTokenBytes+1).ReadString('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
		done <- read{line, err}
	}()
	select {
	case r := <-done:
		switch {
		case r.err != nil:
			return "", failf("read the admin token from standard input: %v", r.err)
		case len(r.line) > maxTokenBytes:
			return "", usagef("the admin token on standard input is longer than %d bytes: is the right thing piped in?", maxTokenBytes)
		}
		return r.line, nil
	case <-ctx.Done():
		return "", failf("no admin token arrived on standard input within --timeout %s: set %s, or pipe the token in", a.timeout, envAdminToken)
	}
}

func (r *remote) Clock() clockwork.Clock { return r.clock }

func (r *remote) ListAccounts(ctx context.Context, p serviceaccount.ListAccountsParams) (serviceaccount.AccountPage, error) {
	page, err := r.client.ListAccounts(ctx, adminclient.ListParams{Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		return serviceaccount.AccountPage{}, r.listError(err)
	}
	items, err := convertAll(page.Items, account)
	return serviceaccount.AccountPage{Items: items, NextCursor: deref(page.NextCursor)}, err
}

func (r *remote) Account(ctx context.Context, id uuid.UUID) (serviceaccount.Account, error) {
	acc, _, err := r.client.GetAccount(ctx, id.String())
	return convert(acc, err, account)
}

func (r *remote) CreateAccount(ctx context.Context, in serviceaccount.AccountInput) (serviceaccount.Account, error) {
	acc, err := r.client.CreateAccount(ctx, adminclient.AccountInput{Label: in.Label, Description: in.Description})
	return convert(acc, err, account)
}

func (r *remote) PatchAccount(ctx context.Context, id uuid.UUID, p serviceaccount.AccountPatch) (serviceaccount.Account, error) {
	acc, _, err := r.client.PatchAccount(ctx, id.String(), adminclient.AccountPatch{Label: p.Label, Description: p.Description, Disabled: p.Disabled})
	return convert(acc, err, account)
}

func (r *remote) DeleteAccount(ctx context.Context, id uuid.UUID) error {
	return remoteError(r.client.DeleteAccount(ctx, id.String()))
}

func (r *remote) Keys(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error) {
	return collect(r.client.Keys(ctx, accountID.String(), serviceaccount.MaxPageSize), key)
}

func (r *remote) Key(ctx context.Context, accountID, keyID uuid.UUID) (apikey.Key, error) {
	k, _, err := r.client.GetKey(ctx, accountID.String(), keyID.String())
	return convert(k, err, key)
}

func (r *remote) ListAllKeys(ctx context.Context, p serviceaccount.ListAllKeysParams) (serviceaccount.KeyPage, error) {
	page, err := r.client.ListAllKeys(ctx, adminclient.AllKeysParams{
		ExpiresWithinDays: p.ExpiresWithinDays,
		UnusedForDays:     p.UnusedForDays,
		ListParams:        adminclient.ListParams{Limit: p.Limit, Cursor: p.Cursor},
	})
	if err != nil {
		return serviceaccount.KeyPage{}, r.listError(err)
	}
	items, err := convertAll(page.Items, key)
	return serviceaccount.KeyPage{Items: items, NextCursor: deref(page.NextCursor)}, err
}

func (r *remote) CreateKey(ctx context.Context, accountID uuid.UUID, in serviceaccount.CreateKeyInput) (serviceaccount.CreatedKey, error) {
	created, err := r.client.CreateKey(ctx, accountID.String(), adminclient.KeyInput{Name: in.Name, ExpiresAt: in.ExpiresAt})
	return convert(created, err, createdKey)
}

func (r *remote) RotateKey(ctx context.Context, accountID, keyID uuid.UUID, in serviceaccount.RotateKeyInput) (serviceaccount.RotatedKey, error) {
	rotated, err := r.client.RotateKey(ctx, accountID.String(), keyID.String(), adminclient.RotateInput{
		Name: in.Name, ExpiresAt: in.ExpiresAt, GracePeriodSeconds: in.GracePeriodSeconds,
	})
	return convert(rotated, err, func(rk adminclient.RotatedKey) (serviceaccount.RotatedKey, error) {
		created, err := createdKey(rk.Created)
		if err != nil {
			return serviceaccount.RotatedKey{}, err
		}
		previous, err := key(rk.Previous)
		return serviceaccount.RotatedKey{Created: created, Previous: previous}, err
	})
}

func (r *remote) PatchKey(ctx context.Context, accountID, keyID uuid.UUID, p serviceaccount.KeyPatch) (apikey.Key, error) {
	k, _, err := r.client.PatchKey(ctx, accountID.String(), keyID.String(), adminclient.KeyPatch{Name: p.Name, Disabled: p.Disabled})
	return convert(k, err, key)
}

func (r *remote) DeleteKey(ctx context.Context, accountID, keyID uuid.UUID) error {
	return remoteError(r.client.DeleteKey(ctx, accountID.String(), keyID.String()))
}

func (r *remote) Permissions(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	return collect(r.client.Permissions(ctx, accountID.String(), serviceaccount.MaxPageSize), permissionOf)
}

func (r *remote) Permission(ctx context.Context, accountID, permissionID uuid.UUID) (permission.Permission, error) {
	p, _, err := r.client.GetPermission(ctx, accountID.String(), permissionID.String())
	return convert(p, err, permissionOf)
}

func (r *remote) AddPermission(ctx context.Context, accountID uuid.UUID, in serviceaccount.PermissionInput) (permission.Permission, error) {
	l, err := parseLimiter(in.Limiter)
	if err != nil {
		return permission.Permission{}, err
	}
	p, err := r.client.GrantPermission(ctx, accountID.String(), adminclient.PermissionInput{
		ResourceType: in.ResourceType, ResourceKey: in.ResourceKey, Action: in.Action, Limiter: l,
	})
	return convert(p, err, permissionOf)
}

func (r *remote) SetLimiter(ctx context.Context, accountID, permissionID uuid.UUID, raw json.RawMessage) (permission.Permission, error) {
	l, err := parseLimiter(raw)
	if err != nil {
		return permission.Permission{}, err
	}
	p, _, err := r.client.SetLimiter(ctx, accountID.String(), permissionID.String(), l)
	return convert(p, err, permissionOf)
}

func (r *remote) DeletePermission(ctx context.Context, accountID, permissionID uuid.UUID) error {
	return remoteError(r.client.RevokePermission(ctx, accountID.String(), permissionID.String()))
}

func (r *remote) ListAuditEvents(ctx context.Context, p serviceaccount.ListAuditEventsParams) (serviceaccount.AuditEventPage, error) {
	q := adminclient.AuditParams{
		Action:     string(p.Action),
		ActorID:    p.ActorID,
		Since:      p.Since,
		Until:      p.Until,
		ListParams: adminclient.ListParams{Limit: p.Limit, Cursor: p.Cursor},
	}
	if p.ServiceAccountID != uuid.Nil {
		q.ServiceAccountID = p.ServiceAccountID.String()
	}
	page, err := r.client.ListAuditEvents(ctx, q)
	if err != nil {
		return serviceaccount.AuditEventPage{}, r.listError(err)
	}
	items, err := convertAll(page.Items, auditEvent)
	return serviceaccount.AuditEventPage{Items: items, NextCursor: deref(page.NextCursor)}, err
}

// catalog is the server's permission catalog, which its grants are
// checked against.
func (r *remote) catalog(ctx context.Context) (*permission.Catalog, error) {
	c, err := r.client.Catalog(ctx)
	if err != nil {
		return nil, r.listError(err)
	}
	catalog, err := permission.NewCatalog(c.ResourceTypes)
	if err != nil {
		return nil, fmt.Errorf("the server's catalog: %w", err)
	}
	return catalog, nil
}

// listError is remoteError for the routes that exist whatever the store
// holds (the lists of accounts, of all keys and of events, the catalog):
// a 404 there means that --server does not name the server's root (such
// as a URL that already ends in /admin), which must not read as "no such
// record".
func (r *remote) listError(err error) error {
	var e *adminclient.Error
	if errors.As(err, &e) && e.Status == 404 {
		return fmt.Errorf("there is no admin API at %s (%s %s answered 404): --server is the server's root, the admin API being under %s", r.client.BaseURL(), e.Method, e.Path, adminPrefix)
	}
	return remoteError(err)
}

// parseLimiter reads a limiter flag as the Manager does, with the same
// field errors, so that a malformed one is refused before the request,
// in the words of the database mode.
func parseLimiter(raw json.RawMessage) (*limiter.Limiter, error) {
	l, err := limiter.Parse(raw)
	if err == nil {
		return l, nil
	}
	field := serviceaccount.FieldError{Field: "limiter", Message: err.Error()}
	var le *limiter.Error
	if errors.As(err, &le) {
		field = serviceaccount.FieldError{Field: "limiter" + le.Path, Message: le.Message}
	}
	return nil, &serviceaccount.ValidationError{Fields: []serviceaccount.FieldError{field}}
}

// remoteError turns an answer of the admin API into the error the
// Manager would have returned where the commands tell errors apart (an
// unknown record, invalid fields), and otherwise into one line with the
// problem's detail and code. The token is never part of it: adminclient's
// errors do not hold it, and run masks it anyway.
func remoteError(err error) error {
	var e *adminclient.Error
	if err == nil || !errors.As(err, &e) {
		if err != nil {
			// The server could not be reached, or answered what is not
			// the admin API: the message names the URL, and keeps a
			// deadline recognisable to describe.
			return fmt.Errorf("%w (check --server, and that the server is running)", err)
		}
		return nil
	}
	detail := e.Detail
	if detail == "" {
		detail = e.Title
	}
	code := e.Code
	if code == "" {
		code = fmt.Sprintf("HTTP %d", e.Status)
	}
	switch {
	case e.Status == 404 && e.Code == "not_found":
		return fmt.Errorf("%s (%s): %w", detail, code, store.ErrNotFound)
	case e.Status == 404:
		// Not the admin API's problem: another server, or another path.
		return fmt.Errorf("the server answered %s %s with 404 and no problem document: is --server the root of a serviceaccounts server?", e.Method, e.Path)
	case e.Status == 400 && len(e.Fields) > 0:
		fields := make([]serviceaccount.FieldError, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = serviceaccount.FieldError{Field: f.Field, Message: f.Message}
		}
		return &serviceaccount.ValidationError{Fields: fields}
	case e.Status == 400:
		return fmt.Errorf("invalid input, nothing was written: %s (%s)", detail, code)
	case e.Status == 401:
		return fmt.Errorf("the server refused the admin token: %s (%s); check %s", detail, code, envAdminToken)
	case e.Status == 409:
		return fmt.Errorf("refused, nothing was written: %s (%s)", reason(detail), code)
	case e.Status == 429 && e.RetryAfter > 0:
		return fmt.Errorf("the server refused: %s (%s); try again in %s", detail, code, e.RetryAfter)
	}
	return fmt.Errorf("the server refused: %s (%s)", detail, code)
}

// reason turns the detail of a 409, which the API writes as a sentence
// ("The key is disabled."), back into the Manager's reason ("the key is
// disabled"), so that a refusal reads alike in both modes.
func reason(detail string) string {
	detail = strings.TrimSuffix(detail, ".")
	r, size := utf8.DecodeRuneInString(detail)
	next, _ := utf8.DecodeRuneInString(detail[size:])
	if unicode.IsUpper(r) && !unicode.IsUpper(next) { // not an acronym
		detail = string(unicode.ToLower(r)) + detail[size:]
	}
	return detail
}

// convert turns a successful answer into the Manager's type with f, and
// an error into remoteError's.
func convert[T, U any](v T, err error, f func(T) (U, error)) (U, error) {
	if err != nil {
		var zero U
		return zero, remoteError(err)
	}
	return f(v)
}

func convertAll[T, U any](items []T, f func(T) (U, error)) ([]U, error) {
	out := make([]U, 0, len(items))
	for _, it := range items {
		u, err := f(it)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// collect reads every page of a list.
func collect[T, U any](seq iter.Seq2[T, error], f func(T) (U, error)) ([]U, error) {
	var out []U
	for it, err := range seq {
		if err != nil {
			return nil, remoteError(err)
		}
		u, err := f(it)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// serverID reads an id the server answered with.
func serverID(what, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("the server answered a %s id that is not a UUID: is --server the serviceaccounts server?", what)
	}
	return id, nil
}

func optionalServerID(what string, s *string) (*uuid.UUID, error) {
	if s == nil {
		return nil, nil
	}
	id, err := serverID(what, *s)
	return &id, err
}

// utc gives the API's times the location the stores give theirs, so that
// the two modes print alike.
func utc(t time.Time) time.Time { return t.UTC() }

func optionalUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func account(a adminclient.Account) (serviceaccount.Account, error) {
	id, err := serverID("service account", a.ID)
	return serviceaccount.Account{
		ID:          id,
		Label:       a.Label,
		Description: a.Description,
		CreatedAt:   utc(a.CreatedAt),
		UpdatedAt:   utc(a.UpdatedAt),
		DisabledAt:  optionalUTC(a.DisabledAt),
	}, err
}

func key(k adminclient.Key) (apikey.Key, error) {
	id, err := serverID("API key", k.ID)
	if err != nil {
		return apikey.Key{}, err
	}
	accountID, err := serverID("service account", k.ServiceAccountID)
	if err != nil {
		return apikey.Key{}, err
	}
	replacedBy, err := optionalServerID("API key", k.ReplacedBy)
	return apikey.Key{
		ID:         id,
		AccountID:  accountID,
		Name:       k.Name,
		Hint:       k.Hint,
		CreatedAt:  utc(k.CreatedAt),
		LastUsedAt: optionalUTC(k.LastUsedAt),
		ExpiresAt:  optionalUTC(k.ExpiresAt),
		DisabledAt: optionalUTC(k.DisabledAt),
		ReplacedBy: replacedBy,
	}, err
}

func createdKey(c adminclient.CreatedKey) (serviceaccount.CreatedKey, error) {
	k, err := key(c.Key)
	return serviceaccount.CreatedKey{Key: k, Plaintext: c.Plaintext}, err
}

func permissionOf(p adminclient.Permission) (permission.Permission, error) {
	id, err := serverID("permission", p.ID)
	if err != nil {
		return permission.Permission{}, err
	}
	accountID, err := serverID("service account", p.ServiceAccountID)
	return permission.Permission{
		ID:           id,
		AccountID:    accountID,
		ResourceType: p.ResourceType,
		ResourceKey:  p.ResourceKey,
		Action:       p.Action,
		Limiter:      p.Limiter,
		CreatedAt:    utc(p.CreatedAt),
	}, err
}

func auditEvent(e adminclient.AuditEvent) (serviceaccount.AuditEvent, error) {
	id, err := serverID("audit event", e.ID)
	if err != nil {
		return serviceaccount.AuditEvent{}, err
	}
	accountID, err := serverID("service account", e.ServiceAccountID)
	if err != nil {
		return serviceaccount.AuditEvent{}, err
	}
	target, err := optionalServerID("target", e.TargetID)
	out := serviceaccount.AuditEvent{
		ID:               id,
		OccurredAt:       utc(e.OccurredAt),
		Action:           serviceaccount.AuditAction(e.Action),
		ServiceAccountID: accountID,
		TargetID:         target,
		Details:          e.Details,
	}
	if e.Actor != nil {
		out.Actor = &serviceaccount.Actor{ID: e.Actor.ID, Address: e.Actor.Address, UserAgent: e.Actor.UserAgent}
	}
	return out, err
}
