package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func runAudit(t *testing.T, newStore NewStore) {
	subtests(t, newStore, map[string]func(t *testing.T, f *fixture){
		"AppendThenListReturnsTheEventAsWritten": func(t *testing.T, f *fixture) {
			accountID, target := newID(t), newID(t)
			withActor := store.AuditEvent{
				ID: newID(t), OccurredAt: base, Action: store.ActionKeyCreate,
				Actor:            &store.Actor{ID: "admin-token", Address: "127.0.0.1:5555", UserAgent: "curl/8.0 ✓"},
				ServiceAccountID: accountID, TargetID: &target,
				Details: []byte(`{"before":null,"after":{"hint":"sa_AbCd…wxyz","label":"ünïcode 🚀"}}`),
			}
			anonymous := store.AuditEvent{
				ID: newID(t), OccurredAt: base.Add(time.Second), Action: store.ActionAccountUpdate,
				ServiceAccountID: accountID, Details: []byte(`{"before":{"label":"a"},"after":{"label":"b"}}`),
			}
			emptyFields := store.AuditEvent{
				ID: newID(t), OccurredAt: base.Add(2 * time.Second), Action: store.ActionAccountCreate,
				Actor: &store.Actor{ID: "cli"}, ServiceAccountID: accountID, Details: []byte(`{}`),
			}
			for _, e := range []store.AuditEvent{withActor, anonymous, emptyFields} {
				f.appendEvent(e)
			}
			got := f.listEvents(store.AuditListParams{Limit: 10})
			require.Len(t, got, 3)
			requireEvent(t, emptyFields, got[0])
			requireEvent(t, anonymous, got[1])
			requireEvent(t, withActor, got[2])
		},
		"AppendReturnsErrConflictForADuplicateID": func(t *testing.T, f *fixture) {
			e := f.event(newID(t), store.ActionAccountCreate, base, "a")
			dup := e
			dup.Action = store.ActionAccountDelete
			require.ErrorIs(t, f.w.AuditAppend(f.ctx, store.DefaultTenant, dup), store.ErrConflict)
			got := f.listEvents(store.AuditListParams{Limit: 10})
			require.Len(t, got, 1)
			require.Equal(t, store.ActionAccountCreate, got[0].Action, "the original is unchanged")
		},
		"ListIsNewestFirstByTimeThenID": func(t *testing.T, f *fixture) {
			// Appended out of order; two share a time, so the id decides.
			acc := newID(t)
			late := f.event(acc, store.ActionAccountUpdate, base.Add(time.Hour), "a")
			early := f.event(acc, store.ActionAccountCreate, base, "a")
			tie1 := f.event(acc, store.ActionKeyCreate, base.Add(time.Minute), "a")
			tie2 := f.event(acc, store.ActionKeyDelete, base.Add(time.Minute), "a")
			got := eventIDs(f.listEvents(store.AuditListParams{Limit: 10}))
			require.Equal(t, []uuid.UUID{late.ID, tie2.ID, tie1.ID, early.ID}, got, "tie2 has the larger id")
		},
		"ListFiltersByAccountActionActorAndTimeCombined": func(t *testing.T, f *fixture) {
			one, two := newID(t), newID(t)
			e1 := f.event(one, store.ActionAccountCreate, base, "alice")
			e2 := f.event(one, store.ActionKeyCreate, base.Add(1*time.Minute), "bob")
			e3 := f.event(two, store.ActionKeyCreate, base.Add(2*time.Minute), "alice")
			e4 := f.event(one, store.ActionKeyCreate, base.Add(3*time.Minute), "alice")
			e5 := f.event(one, store.ActionKeyDelete, base.Add(4*time.Minute), "")
			ids := func(p store.AuditListParams) []uuid.UUID {
				p.Limit = 100
				return eventIDs(f.listEvents(p))
			}
			at := func(m int) *time.Time { return ptr(base.Add(time.Duration(m) * time.Minute)) }

			require.Equal(t, []uuid.UUID{e5.ID, e4.ID, e2.ID, e1.ID}, ids(store.AuditListParams{ServiceAccountID: one}), "account")
			require.Equal(t, []uuid.UUID{e4.ID, e3.ID, e2.ID}, ids(store.AuditListParams{Action: store.ActionKeyCreate}), "action")
			require.Equal(t, []uuid.UUID{e4.ID, e3.ID, e1.ID}, ids(store.AuditListParams{ActorID: "alice"}), "actor; an event without one never matches")
			require.Equal(t, []uuid.UUID{e3.ID, e2.ID}, ids(store.AuditListParams{Since: at(1), Until: at(3)}), "since inclusive, until exclusive")
			require.Equal(t, []uuid.UUID{e5.ID, e4.ID}, ids(store.AuditListParams{Since: at(3)}), "since alone")
			require.Equal(t, []uuid.UUID{e1.ID}, ids(store.AuditListParams{Until: at(1)}), "until alone")
			require.Equal(t, []uuid.UUID{e4.ID}, ids(store.AuditListParams{
				ServiceAccountID: one, Action: store.ActionKeyCreate, ActorID: "alice", Since: at(2), Until: at(4),
			}), "all filters at once")
			require.Empty(t, ids(store.AuditListParams{ActorID: "carol"}), "no match is an empty page")
			require.Empty(t, ids(store.AuditListParams{Since: at(2), Until: at(2)}), "an empty range")
		},
		"ListTextFiltersCompareExactly": func(t *testing.T, f *fixture) {
			// MariaDB's PAD SPACE collations make 'alice' = 'alice ' true;
			// a filter must not match an actor or action it does not name.
			acc := newID(t)
			alice := f.event(acc, store.ActionKeyCreate, base, "alice")
			padded := f.event(acc, store.ActionKeyCreate, base.Add(time.Second), "alice ")
			upper := f.event(acc, store.ActionKeyCreate, base.Add(2*time.Second), "Alice")
			nbsp := f.event(acc, store.ActionKeyCreate, base.Add(3*time.Second), "alice\u00a0")
			ids := func(p store.AuditListParams) []uuid.UUID {
				p.Limit = 100
				return eventIDs(f.listEvents(p))
			}
			require.Equal(t, []uuid.UUID{alice.ID}, ids(store.AuditListParams{ActorID: "alice"}))
			require.Equal(t, []uuid.UUID{padded.ID}, ids(store.AuditListParams{ActorID: "alice "}))
			require.Equal(t, []uuid.UUID{upper.ID}, ids(store.AuditListParams{ActorID: "Alice"}))
			require.Equal(t, []uuid.UUID{nbsp.ID}, ids(store.AuditListParams{ActorID: "alice\u00a0"}))
			require.Empty(t, ids(store.AuditListParams{ActorID: "alice  "}))
			require.Empty(t, ids(store.AuditListParams{ActorID: "alic"}))
			require.Len(t, ids(store.AuditListParams{Action: store.ActionKeyCreate}), 4)
			require.Empty(t, ids(store.AuditListParams{Action: store.ActionKeyCreate + " "}), "an action with a trailing space")
		},
		"ListAccountFilterMatchesExactlyTheEventsOfThatAccount": func(t *testing.T, f *fixture) {
			kept, gone := f.account("kept"), f.account("gone")
			e1 := f.event(kept.ID, store.ActionAccountCreate, base, "a")
			e2 := f.event(gone.ID, store.ActionAccountCreate, base.Add(time.Second), "a")
			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, gone.ID))
			e3 := f.event(gone.ID, store.ActionAccountDelete, base.Add(2*time.Second), "a")
			ids := func(account uuid.UUID) []uuid.UUID {
				return eventIDs(f.listEvents(store.AuditListParams{ServiceAccountID: account, Limit: 100}))
			}
			require.Equal(t, []uuid.UUID{e1.ID}, ids(kept.ID))
			require.Equal(t, []uuid.UUID{e3.ID, e2.ID}, ids(gone.ID), "a deleted account's events")
			require.Empty(t, ids(newID(t)), "an id that names nothing matches nothing")
			require.Empty(t, ids(uuid.MustParse("ffffffff-ffff-ffff-ffff-ffffffffffff")))
		},
		"ListCursorWalksEveryEventOnceWhileEventsAreAppended": func(t *testing.T, f *fixture) {
			acc := newID(t)
			var want []uuid.UUID
			for i := range 7 {
				// pairs of events share a time, so the walk must order by id too
				want = append(want, f.event(acc, store.ActionKeyCreate, base.Add(time.Duration(i/2)*time.Minute), "a").ID)
			}
			slices.Reverse(want)
			var walked []uuid.UUID
			p := store.AuditListParams{ServiceAccountID: acc, Limit: 2}
			for page := 0; ; page++ {
				require.Less(t, page, 10, "the walk ends")
				got := f.listEvents(p)
				if len(got) == 0 {
					break
				}
				walked = append(walked, eventIDs(got)...)
				last := got[len(got)-1]
				p.After = &store.AuditPosition{OccurredAt: last.OccurredAt, ID: last.ID}
				if page == 0 {
					// newer events and other accounts' events do not disturb the walk
					f.event(acc, store.ActionKeyDelete, base.Add(time.Hour), "a")
					f.event(newID(t), store.ActionKeyDelete, base.Add(time.Second), "a")
				}
			}
			require.Equal(t, want, walked)
		},
		"ListWithALimitBelowOneIsAnError": func(t *testing.T, f *fixture) {
			_, err := f.s.AuditList(f.ctx, store.AuditListParams{Limit: 0})
			require.Error(t, err)
		},
		"PruneDeletesOnlyEventsBeforeTheTime": func(t *testing.T, f *fixture) {
			acc := newID(t)
			f.event(acc, store.ActionAccountCreate, base.Add(-2*time.Hour), "a")
			f.event(acc, store.ActionAccountUpdate, base.Add(-time.Microsecond), "a")
			edge := f.event(acc, store.ActionAccountUpdate, base, "a")
			recent := f.event(acc, store.ActionAccountDelete, base.Add(time.Hour), "a")

			n, err := f.s.AuditPrune(f.ctx, base)
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			require.Equal(t, []uuid.UUID{recent.ID, edge.ID}, eventIDs(f.listEvents(store.AuditListParams{Limit: 10})))

			n, err = f.s.AuditPrune(f.ctx, base)
			require.NoError(t, err)
			require.Zero(t, n, "nothing left to prune")
		},
		"AnEventIsRolledBackWhenTheChangeAfterItFails": func(t *testing.T, f *fixture) {
			a := f.account("a")
			e := store.AuditEvent{
				ID: newID(t), OccurredAt: base, Action: store.ActionKeyCreate,
				ServiceAccountID: a.ID, Details: []byte(`{}`),
			}
			k, _ := f.keyRecord(newID(t)) // of an account that does not exist
			err := f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AuditAppend(ctx, store.DefaultTenant, e); err != nil {
					return err
				}
				return tx.KeyCreate(ctx, store.DefaultTenant, k) // the change fails after its event was handed over
			})
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Empty(t, f.listEvents(store.AuditListParams{Limit: 10}), "the event went with the change")
		},
		"AnEventIsRolledBackWithAnErrorOfFnOrAPanic": func(t *testing.T, f *fixture) {
			a := f.account("a")
			appendThen := func(end func() error) error {
				return f.s.InTx(f.ctx, func(ctx context.Context, tx store.Tx) error {
					if err := tx.AuditAppend(ctx, store.DefaultTenant, store.AuditEvent{
						ID: newID(t), OccurredAt: base, Action: store.ActionAccountUpdate,
						ServiceAccountID: a.ID, Details: []byte(`{}`),
					}); err != nil {
						return err
					}
					if _, err := tx.AccountUpdate(ctx, store.DefaultTenant, store.AccountUpdateParams{ID: a.ID, Label: "changed", UpdatedAt: base}); err != nil {
						return err
					}
					return end()
				})
			}
			require.ErrorIs(t, appendThen(func() error { return errInjected }), errInjected)
			require.Panics(t, func() { _ = appendThen(func() error { panic(errInjected) }) })
			require.Empty(t, f.listEvents(store.AuditListParams{Limit: 10}))
			got, err := f.s.AccountGet(f.ctx, store.DefaultTenant, a.ID)
			require.NoError(t, err)
			require.Equal(t, "a", got.Label)

			require.NoError(t, appendThen(func() error { return nil }))
			require.Len(t, f.listEvents(store.AuditListParams{Limit: 10}), 1, "committed together")
		},
		"EventsSurviveTheDeletionOfTheirAccount": func(t *testing.T, f *fixture) {
			a := f.account("doomed")
			k, _ := f.key(a.ID, nil)
			e1 := f.event(a.ID, store.ActionAccountCreate, base, "a")
			e2 := f.eventFor(a.ID, &k.ID, store.ActionKeyCreate, base.Add(time.Second))

			require.NoError(t, f.w.AccountDelete(f.ctx, store.DefaultTenant, a.ID))
			e3 := f.event(a.ID, store.ActionAccountDelete, base.Add(2*time.Second), "a")

			got := f.listEvents(store.AuditListParams{ServiceAccountID: a.ID, Limit: 10})
			require.Equal(t, []uuid.UUID{e3.ID, e2.ID, e1.ID}, eventIDs(got))
			require.Equal(t, k.ID, *got[1].TargetID)
		},
	})
}

// appendEvent stores e in a transaction of its own.
func (f *fixture) appendEvent(e store.AuditEvent) {
	f.t.Helper()
	require.NoError(f.t, f.w.AuditAppend(f.ctx, store.DefaultTenant, e))
}

// event appends an account event by actorID ("" for none).
func (f *fixture) event(accountID uuid.UUID, action store.AuditAction, at time.Time, actorID string) store.AuditEvent {
	f.t.Helper()
	e := store.AuditEvent{
		ID: newID(f.t), OccurredAt: at, Action: action, ServiceAccountID: accountID,
		Details: []byte(`{"before":null,"after":null}`),
	}
	if actorID != "" {
		e.Actor = &store.Actor{ID: actorID, Address: "127.0.0.1:1", UserAgent: "test"}
	}
	f.appendEvent(e)
	return e
}

// eventFor appends an event about target (a key or permission).
func (f *fixture) eventFor(accountID uuid.UUID, target *uuid.UUID, action store.AuditAction, at time.Time) store.AuditEvent {
	f.t.Helper()
	e := store.AuditEvent{
		ID: newID(f.t), OccurredAt: at, Action: action, ServiceAccountID: accountID, TargetID: target,
		Details: []byte(`{}`),
	}
	f.appendEvent(e)
	return e
}

func (f *fixture) listEvents(p store.AuditListParams) []store.AuditEvent {
	f.t.Helper()
	if p.Tenant == "" {
		p.Tenant = store.DefaultTenant
	}
	got, err := f.s.AuditList(f.ctx, p)
	require.NoError(f.t, err)
	return got
}

func requireEvent(t *testing.T, want, got store.AuditEvent) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, cmp.Or(want.Tenant, store.DefaultTenant), got.Tenant)
	requireTime(t, want.OccurredAt, got.OccurredAt)
	require.Equal(t, want.Actor, got.Actor)
	require.Equal(t, want.Action, got.Action)
	require.Equal(t, want.ServiceAccountID, got.ServiceAccountID)
	require.Equal(t, want.TargetID, got.TargetID)
	require.Equal(t, string(want.Details), string(got.Details), "details read back byte for byte")
}

func eventIDs(events []store.AuditEvent) []uuid.UUID {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}
