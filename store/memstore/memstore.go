package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// Store keeps everything in maps behind one lock. Records are copied in and
// out, so callers never share memory with it.
//
// A unit of work ([Store.InTx]) holds the write lock from its first
// statement to its end, so readers never see part of it, and it writes the
// maps directly while keeping a journal of undo steps: on an error or a
// panic the journal is played backwards and the store is as it was. The id
// slices are never changed in place (every change makes a new slice), so
// that an undo step can put the old slice back.
type Store struct {
	mu       sync.RWMutex
	accounts map[uuid.UUID]store.Account
	// per tenant, account ids in ascending order: creation order
	accountIDs  map[string][]uuid.UUID
	keys        map[uuid.UUID]apikey.Key
	keyByHash   map[apikey.Hash]uuid.UUID
	permissions map[uuid.UUID]permission.Permission
	grants      map[grant]uuid.UUID // the uniqueness rule of PermissionCreate
	// per account, key and permission ids in ascending order
	keysOf        map[uuid.UUID][]uuid.UUID
	permissionsOf map[uuid.UUID][]uuid.UUID
	// the audit log, oldest first (see AuditAppend)
	events   []store.AuditEvent
	eventIDs map[uuid.UUID]struct{}
	log      changeLog
	// the stored policies, per tenant, and the database-wide default
	policies      map[string]store.Policy
	defaultPolicy *store.Policy
	hooks         webhookTables              // webhooks and the outbox (webhook.go)
	notices       map[noticeKey]store.Notice // notice.go
}

// grant is one account's grant, as permission.GrantKey identifies it.
type grant struct {
	account uuid.UUID
	key     [32]byte
}

// New returns an empty store.
func New() *Store {
	return &Store{
		accounts:      map[uuid.UUID]store.Account{},
		accountIDs:    map[string][]uuid.UUID{},
		policies:      map[string]store.Policy{},
		keys:          map[uuid.UUID]apikey.Key{},
		keyByHash:     map[apikey.Hash]uuid.UUID{},
		permissions:   map[uuid.UUID]permission.Permission{},
		grants:        map[grant]uuid.UUID{},
		keysOf:        map[uuid.UUID][]uuid.UUID{},
		permissionsOf: map[uuid.UUID][]uuid.UUID{},
		eventIDs:      map[uuid.UUID]struct{}{},
	}
}

// errTxDone is the answer of a Tx used after its InTx returned.
var errTxDone = errors.New("memstore: transaction used after InTx returned")

// InTx runs fn under the write lock and undoes its writes if it fails,
// panics, or its context ends before fn returns. It never runs fn twice:
// nothing can conflict with a holder of the only lock.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			t.rollback()
		}
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	// As database/sql does: a context that ended before the commit rolls
	// the transaction back, even when fn did not notice.
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

// tx is a unit of work on a Store whose write lock it holds.
type tx struct {
	s       *Store
	journal []func()
	done    bool
}

func (t *tx) rollback() {
	for i := len(t.journal) - 1; i >= 0; i-- {
		t.journal[i]()
	}
	t.journal = nil
}

// check refuses a call after the transaction ended or its context did.
func (t *tx) check(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	return ctx.Err()
}

// set writes m[k] = v, journaling how to undo it.
func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, existed := m[k]
	t.journal = append(t.journal, func() {
		if existed {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// del deletes m[k], journaling how to undo it.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, existed := m[k]
	if !existed {
		return
	}
	t.journal = append(t.journal, func() { m[k] = old })
	delete(m, k)
}

// inTenant reports whether account id exists in tenant: the one check
// that keeps tenants apart, since ids are unique across tenants.
func (s *Store) inTenant(tenant string, id uuid.UUID) bool {
	a, ok := s.accounts[id]
	return ok && a.Tenant == tenant
}

func (s *Store) AccountGet(ctx context.Context, tenant string, id uuid.UUID) (store.Account, error) {
	if err := ctx.Err(); err != nil {
		return store.Account{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.accountGet(tenant, id)
}

func (s *Store) accountGet(tenant string, id uuid.UUID) (store.Account, error) {
	if !s.inTenant(tenant, id) {
		return store.Account{}, store.ErrNotFound
	}
	return copyAccount(s.accounts[id]), nil
}

func (t *tx) AccountGet(ctx context.Context, tenant string, id uuid.UUID) (store.Account, error) {
	if err := t.check(ctx); err != nil {
		return store.Account{}, err
	}
	return t.s.accountGet(tenant, id)
}

func (t *tx) AccountCreate(ctx context.Context, tenant string, a store.Account) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if err := store.CheckRecordTenant("account", tenant, a.Tenant); err != nil {
		return fmt.Errorf("memstore: create account %s: %w", a.ID, err)
	}
	a.Tenant = tenant
	s := t.s
	if _, ok := s.accounts[a.ID]; ok {
		return store.ErrConflict
	}
	set(t, s.accounts, a.ID, copyAccount(a))
	set(t, s.accountIDs, tenant, insertSorted(s.accountIDs[tenant], a.ID))
	return nil
}

func (t *tx) AccountUpdate(ctx context.Context, tenant string, p store.AccountUpdateParams) (store.Account, error) {
	if err := t.check(ctx); err != nil {
		return store.Account{}, err
	}
	a, ok := t.s.accounts[p.ID]
	if !ok || a.Tenant != tenant {
		return store.Account{}, store.ErrNotFound
	}
	a.Label, a.Description, a.UpdatedAt = p.Label, p.Description, p.UpdatedAt
	a.DisabledAt = copyTime(p.DisabledAt)
	a.Metadata = metadata.Clone(p.Metadata)
	set(t, t.s.accounts, p.ID, a)
	return copyAccount(a), nil
}

func (t *tx) AccountDelete(ctx context.Context, tenant string, id uuid.UUID) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	s := t.s
	if !s.inTenant(tenant, id) {
		return store.ErrNotFound
	}
	for _, kid := range s.keysOf[id] {
		del(t, s.keyByHash, s.keys[kid].Hash)
		del(t, s.keys, kid)
	}
	for _, pid := range s.permissionsOf[id] {
		p := s.permissions[pid]
		del(t, s.grants, grant{id, p.GrantKey()})
		del(t, s.permissions, pid)
	}
	del(t, s.keysOf, id)
	del(t, s.permissionsOf, id)
	del(t, s.accounts, id)
	if ids := removeSorted(s.accountIDs[tenant], id); len(ids) > 0 {
		set(t, s.accountIDs, tenant, ids)
	} else {
		del(t, s.accountIDs, tenant) // TenantList lists tenants that hold accounts
	}
	return nil
}

func (s *Store) AccountList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]store.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("memstore: list accounts: limit %d is not positive", limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.accountIDs[tenant]
	start, found := slices.BinarySearchFunc(ids, after, compareIDs)
	if found {
		start++
	}
	end := min(start+limit, len(ids))
	out := make([]store.Account, 0, end-start)
	for _, id := range ids[start:end] {
		out = append(out, copyAccount(s.accounts[id]))
	}
	return out, nil
}

// AccountSearch walks the tenant's accounts in id order, keeping those
// whose label holds label, ignoring case.
func (s *Store) AccountSearch(ctx context.Context, tenant, label string, after uuid.UUID, limit int) ([]store.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("memstore: search accounts: limit %d is not positive", limit)
	}
	needle := strings.ToLower(label)
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.accountIDs[tenant]
	start, found := slices.BinarySearchFunc(ids, after, compareIDs)
	if found {
		start++
	}
	var out []store.Account
	for _, id := range ids[start:] {
		if len(out) == limit {
			break
		}
		if a := s.accounts[id]; strings.Contains(strings.ToLower(a.Label), needle) {
			out = append(out, copyAccount(a))
		}
	}
	return out, nil
}

func (t *tx) KeyCreate(ctx context.Context, tenant string, k apikey.Key) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	s := t.s
	if !s.inTenant(tenant, k.AccountID) {
		return store.ErrNotFound
	}
	if _, ok := s.keys[k.ID]; ok {
		return store.ErrConflict
	}
	if _, ok := s.keyByHash[k.Hash]; ok {
		return store.ErrConflict
	}
	set(t, s.keys, k.ID, copyKey(k))
	set(t, s.keyByHash, k.Hash, k.ID)
	set(t, s.keysOf, k.AccountID, insertSorted(s.keysOf[k.AccountID], k.ID))
	return nil
}

func (t *tx) KeyGet(ctx context.Context, tenant string, accountID, keyID uuid.UUID) (apikey.Key, error) {
	if err := t.check(ctx); err != nil {
		return apikey.Key{}, err
	}
	k, ok := t.s.keys[keyID]
	if !ok || k.AccountID != accountID || !t.s.inTenant(tenant, accountID) {
		return apikey.Key{}, store.ErrNotFound
	}
	return copyKey(k), nil
}

func (s *Store) KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keyList(tenant, accountID)
}

func (t *tx) KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.keyList(tenant, accountID)
}

func (s *Store) keyList(tenant string, accountID uuid.UUID) ([]apikey.Key, error) {
	if !s.inTenant(tenant, accountID) {
		return nil, store.ErrNotFound
	}
	ids := s.keysOf[accountID]
	out := make([]apikey.Key, 0, len(ids))
	for _, id := range ids {
		out = append(out, copyKey(s.keys[id]))
	}
	return out, nil
}

func (s *Store) KeyByHash(ctx context.Context, h apikey.Hash) (store.Credential, error) {
	if err := ctx.Err(); err != nil {
		return store.Credential{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.keyByHash[h]
	if !ok {
		return store.Credential{}, store.ErrNotFound
	}
	k := s.keys[id]
	return store.Credential{
		Key:         copyKey(k),
		Account:     copyAccount(s.accounts[k.AccountID]),
		Permissions: s.permissionsOfLocked(k.AccountID),
	}, nil
}

func (t *tx) KeyUpdate(ctx context.Context, tenant string, p store.KeyUpdateParams) (apikey.Key, error) {
	if err := t.check(ctx); err != nil {
		return apikey.Key{}, err
	}
	k, ok := t.s.keys[p.KeyID]
	if !ok || k.AccountID != p.AccountID || !t.s.inTenant(tenant, p.AccountID) {
		return apikey.Key{}, store.ErrNotFound
	}
	k.Name, k.ExpiresAt, k.DisabledAt, k.ReplacedBy = p.Name, p.ExpiresAt, p.DisabledAt, p.ReplacedBy
	k.Scopes, k.AllowedCIDRs, k.RateLimit, k.Metadata = p.Scopes, p.AllowedCIDRs, p.RateLimit, p.Metadata
	k = copyKey(k)
	set(t, t.s.keys, p.KeyID, k)
	return copyKey(k), nil
}

// KeyListAll walks the keys of all accounts in id order. It visits every
// key from the cursor on until the page is full, so a filter that keeps
// few keys costs a scan of the map's ids: this store is for small sets.
func (s *Store) KeyListAll(ctx context.Context, tenant string, after uuid.UUID, limit int, f store.KeyFilter) ([]apikey.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("memstore: list all keys: limit %d is not positive", limit)
	}
	if (f.ExpiresAfter == nil) != (f.ExpiresBy == nil) {
		return nil, errors.New("memstore: list all keys: set both ExpiresAfter and ExpiresBy, or neither")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]uuid.UUID, 0, len(s.keys))
	for id := range s.keys {
		if compareIDs(id, after) > 0 {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, compareIDs)
	out := []apikey.Key{}
	for _, id := range ids {
		k := s.keys[id]
		if !s.inTenant(tenant, k.AccountID) || !store.KeyPasses(k, f) {
			continue
		}
		out = append(out, copyKey(k))
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

func (t *tx) KeyDelete(ctx context.Context, tenant string, accountID, keyID uuid.UUID) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	s := t.s
	k, ok := s.keys[keyID]
	if !ok || k.AccountID != accountID || !s.inTenant(tenant, accountID) {
		return store.ErrNotFound
	}
	del(t, s.keys, keyID)
	del(t, s.keyByHash, k.Hash)
	set(t, s.keysOf, accountID, removeSorted(s.keysOf[accountID], keyID))
	return nil
}

func (s *Store) KeysTouch(ctx context.Context, touches []store.KeyTouch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range touches {
		k, ok := s.keys[t.KeyID]
		if !ok || (k.LastUsedAt != nil && !t.UsedAt.After(*k.LastUsedAt)) {
			continue
		}
		used := t.UsedAt.UTC()
		k.LastUsedAt = &used
		s.keys[t.KeyID] = k
	}
	return nil
}

func (t *tx) PermissionCreate(ctx context.Context, tenant string, p permission.Permission) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	s := t.s
	if !s.inTenant(tenant, p.AccountID) {
		return store.ErrNotFound
	}
	if _, ok := s.permissions[p.ID]; ok {
		return store.ErrConflict
	}
	g := grant{p.AccountID, p.GrantKey()}
	if _, ok := s.grants[g]; ok {
		return store.ErrConflict
	}
	set(t, s.permissions, p.ID, p)
	set(t, s.grants, g, p.ID)
	set(t, s.permissionsOf, p.AccountID, insertSorted(s.permissionsOf[p.AccountID], p.ID))
	return nil
}

func (t *tx) PermissionGet(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) (permission.Permission, error) {
	if err := t.check(ctx); err != nil {
		return permission.Permission{}, err
	}
	p, ok := t.s.permissions[permissionID]
	if !ok || p.AccountID != accountID || !t.s.inTenant(tenant, accountID) {
		return permission.Permission{}, store.ErrNotFound
	}
	return p, nil
}

func (s *Store) PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.permissionList(tenant, accountID)
}

func (t *tx) PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.permissionList(tenant, accountID)
}

func (s *Store) permissionList(tenant string, accountID uuid.UUID) ([]permission.Permission, error) {
	if !s.inTenant(tenant, accountID) {
		return nil, store.ErrNotFound
	}
	return s.permissionsOfLocked(accountID), nil
}

func (s *Store) permissionsOfLocked(accountID uuid.UUID) []permission.Permission {
	ids := s.permissionsOf[accountID]
	out := make([]permission.Permission, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.permissions[id])
	}
	return out
}

func (t *tx) PermissionUpdateLimiter(ctx context.Context, tenant string, p store.PermissionUpdateLimiterParams) (permission.Permission, error) {
	if err := t.check(ctx); err != nil {
		return permission.Permission{}, err
	}
	s := t.s
	perm, ok := s.permissions[p.PermissionID]
	if !ok || perm.AccountID != p.AccountID || !s.inTenant(tenant, p.AccountID) {
		return permission.Permission{}, store.ErrNotFound
	}
	oldGrant := grant{perm.AccountID, perm.GrantKey()}
	perm.Limiter = p.Limiter // limiters are immutable, so sharing is safe
	newGrant := grant{perm.AccountID, perm.GrantKey()}
	if newGrant != oldGrant {
		if _, taken := s.grants[newGrant]; taken {
			return permission.Permission{}, store.ErrConflict
		}
		del(t, s.grants, oldGrant)
		set(t, s.grants, newGrant, perm.ID)
	}
	set(t, s.permissions, p.PermissionID, perm)
	return perm, nil
}

func (t *tx) PermissionDelete(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	s := t.s
	perm, ok := s.permissions[permissionID]
	if !ok || perm.AccountID != accountID || !s.inTenant(tenant, accountID) {
		return store.ErrNotFound
	}
	del(t, s.grants, grant{accountID, perm.GrantKey()})
	del(t, s.permissions, permissionID)
	set(t, s.permissionsOf, accountID, removeSorted(s.permissionsOf[accountID], permissionID))
	return nil
}

// copyKey detaches the time pointers so that callers cannot change the
// store's copy through them.
func copyKey(k apikey.Key) apikey.Key {
	k.LastUsedAt = copyTime(k.LastUsedAt)
	k.ExpiresAt = copyTime(k.ExpiresAt)
	k.DisabledAt = copyTime(k.DisabledAt)
	if k.ReplacedBy != nil {
		id := *k.ReplacedBy
		k.ReplacedBy = &id
	}
	k.Scopes = slices.Clone(k.Scopes)
	k.AllowedCIDRs = slices.Clone(k.AllowedCIDRs)
	if k.RateLimit != nil {
		r := *k.RateLimit
		k.RateLimit = &r
	}
	k.Metadata = metadata.Clone(k.Metadata)
	return k
}

func copyAccount(a store.Account) store.Account {
	a.DisabledAt = copyTime(a.DisabledAt)
	a.Metadata = metadata.Clone(a.Metadata)
	return a
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func compareIDs(a, b uuid.UUID) int {
	return bytes.Compare(a[:], b[:])
}

// insertSorted returns a new slice: ids itself is left as it was, for the
// journal.
func insertSorted(ids []uuid.UUID, id uuid.UUID) []uuid.UUID {
	i, _ := slices.BinarySearchFunc(ids, id, compareIDs)
	return slices.Insert(slices.Clip(ids), i, id)
}

// removeSorted returns a new slice: ids itself is left as it was, for the
// journal.
func removeSorted(ids []uuid.UUID, id uuid.UUID) []uuid.UUID {
	i, found := slices.BinarySearchFunc(ids, id, compareIDs)
	if !found {
		return ids
	}
	out := make([]uuid.UUID, 0, len(ids)-1)
	out = append(out, ids[:i]...)
	return append(out, ids[i+1:]...)
}
