package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

var _ serviceaccount.Store = (*Store)(nil)

// Store keeps everything in maps behind one lock. Records are copied in and
// out, so callers never share memory with it.
type Store struct {
	mu          sync.RWMutex
	accounts    map[uuid.UUID]serviceaccount.Account
	accountIDs  []uuid.UUID // ascending: creation order
	keys        map[uuid.UUID]apikey.Key
	keyByHash   map[apikey.Hash]uuid.UUID
	permissions map[uuid.UUID]permission.Permission
	// per account, key and permission ids in ascending order
	keysOf        map[uuid.UUID][]uuid.UUID
	permissionsOf map[uuid.UUID][]uuid.UUID
}

// New returns an empty store.
func New() *Store {
	return &Store{
		accounts:      map[uuid.UUID]serviceaccount.Account{},
		keys:          map[uuid.UUID]apikey.Key{},
		keyByHash:     map[apikey.Hash]uuid.UUID{},
		permissions:   map[uuid.UUID]permission.Permission{},
		keysOf:        map[uuid.UUID][]uuid.UUID{},
		permissionsOf: map[uuid.UUID][]uuid.UUID{},
	}
}

func (s *Store) AccountCreate(ctx context.Context, a serviceaccount.Account) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[a.ID]; ok {
		return store.ErrConflict
	}
	s.accounts[a.ID] = a
	s.accountIDs = insertSorted(s.accountIDs, a.ID)
	return nil
}

func (s *Store) AccountGet(ctx context.Context, id uuid.UUID) (serviceaccount.Account, error) {
	if err := ctx.Err(); err != nil {
		return serviceaccount.Account{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[id]
	if !ok {
		return serviceaccount.Account{}, store.ErrNotFound
	}
	return a, nil
}

func (s *Store) AccountUpdate(ctx context.Context, p serviceaccount.AccountUpdateParams) (serviceaccount.Account, error) {
	if err := ctx.Err(); err != nil {
		return serviceaccount.Account{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[p.ID]
	if !ok {
		return serviceaccount.Account{}, store.ErrNotFound
	}
	a.Label, a.Description, a.UpdatedAt = p.Label, p.Description, p.UpdatedAt
	s.accounts[p.ID] = a
	return a, nil
}

func (s *Store) AccountDelete(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[id]; !ok {
		return store.ErrNotFound
	}
	for _, kid := range s.keysOf[id] {
		delete(s.keyByHash, s.keys[kid].Hash)
		delete(s.keys, kid)
	}
	for _, pid := range s.permissionsOf[id] {
		delete(s.permissions, pid)
	}
	delete(s.keysOf, id)
	delete(s.permissionsOf, id)
	delete(s.accounts, id)
	s.accountIDs = removeSorted(s.accountIDs, id)
	return nil
}

func (s *Store) AccountList(ctx context.Context, p serviceaccount.AccountListParams) ([]serviceaccount.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Limit < 1 {
		return nil, fmt.Errorf("memstore: list accounts: limit %d is not positive", p.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	start, found := slices.BinarySearchFunc(s.accountIDs, p.After, compareIDs)
	if found {
		start++
	}
	end := min(start+p.Limit, len(s.accountIDs))
	out := make([]serviceaccount.Account, 0, end-start)
	for _, id := range s.accountIDs[start:end] {
		out = append(out, s.accounts[id])
	}
	return out, nil
}

func (s *Store) KeyCreate(ctx context.Context, k apikey.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[k.AccountID]; !ok {
		return store.ErrNotFound
	}
	if _, ok := s.keys[k.ID]; ok {
		return store.ErrConflict
	}
	if _, ok := s.keyByHash[k.Hash]; ok {
		return store.ErrConflict
	}
	k = copyKey(k)
	s.keys[k.ID] = k
	s.keyByHash[k.Hash] = k.ID
	s.keysOf[k.AccountID] = insertSorted(s.keysOf[k.AccountID], k.ID)
	return nil
}

func (s *Store) KeyList(ctx context.Context, accountID uuid.UUID) ([]apikey.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.accounts[accountID]; !ok {
		return nil, store.ErrNotFound
	}
	ids := s.keysOf[accountID]
	out := make([]apikey.Key, 0, len(ids))
	for _, id := range ids {
		out = append(out, copyKey(s.keys[id]))
	}
	return out, nil
}

func (s *Store) KeyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	if err := ctx.Err(); err != nil {
		return serviceaccount.Credential{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.keyByHash[h]
	if !ok {
		return serviceaccount.Credential{}, store.ErrNotFound
	}
	k := s.keys[id]
	return serviceaccount.Credential{
		Key:         copyKey(k),
		Account:     s.accounts[k.AccountID],
		Permissions: s.permissionsOfLocked(k.AccountID),
	}, nil
}

func (s *Store) KeyDelete(ctx context.Context, accountID, keyID uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[keyID]
	if !ok || k.AccountID != accountID {
		return store.ErrNotFound
	}
	delete(s.keys, keyID)
	delete(s.keyByHash, k.Hash)
	s.keysOf[accountID] = removeSorted(s.keysOf[accountID], keyID)
	return nil
}

func (s *Store) KeysTouch(ctx context.Context, touches []serviceaccount.KeyTouch) error {
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

func (s *Store) PermissionCreate(ctx context.Context, p permission.Permission) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[p.AccountID]; !ok {
		return store.ErrNotFound
	}
	if _, ok := s.permissions[p.ID]; ok {
		return store.ErrConflict
	}
	s.permissions[p.ID] = p
	s.permissionsOf[p.AccountID] = insertSorted(s.permissionsOf[p.AccountID], p.ID)
	return nil
}

func (s *Store) PermissionList(ctx context.Context, accountID uuid.UUID) ([]permission.Permission, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.accounts[accountID]; !ok {
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

func (s *Store) PermissionUpdateLimiter(ctx context.Context, p serviceaccount.PermissionUpdateLimiterParams) (permission.Permission, error) {
	if err := ctx.Err(); err != nil {
		return permission.Permission{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perm, ok := s.permissions[p.PermissionID]
	if !ok || perm.AccountID != p.AccountID {
		return permission.Permission{}, store.ErrNotFound
	}
	perm.Limiter = p.Limiter // limiters are immutable, so sharing is safe
	s.permissions[p.PermissionID] = perm
	return perm, nil
}

func (s *Store) PermissionDelete(ctx context.Context, accountID, permissionID uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perm, ok := s.permissions[permissionID]
	if !ok || perm.AccountID != accountID {
		return store.ErrNotFound
	}
	delete(s.permissions, permissionID)
	s.permissionsOf[accountID] = removeSorted(s.permissionsOf[accountID], permissionID)
	return nil
}

// copyKey detaches the time pointers so that callers cannot change the
// store's copy through them.
func copyKey(k apikey.Key) apikey.Key {
	k.LastUsedAt = copyTime(k.LastUsedAt)
	k.ExpiresAt = copyTime(k.ExpiresAt)
	return k
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

func insertSorted(ids []uuid.UUID, id uuid.UUID) []uuid.UUID {
	i, _ := slices.BinarySearchFunc(ids, id, compareIDs)
	return slices.Insert(ids, i, id)
}

func removeSorted(ids []uuid.UUID, id uuid.UUID) []uuid.UUID {
	i, found := slices.BinarySearchFunc(ids, id, compareIDs)
	if !found {
		return ids
	}
	return slices.Delete(ids, i, i+1)
}
