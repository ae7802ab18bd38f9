package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// executor runs statements: the pool (*sql.DB) or a transaction
// (*sql.Tx). Every statement of the store is written once against it, so
// the same code runs alone or inside a unit of work.
type executor interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx is the store.Tx of one InTx call: the store's statements on
// one *sql.Tx. After InTx returns, every call fails with sql.ErrTxDone.
type tx struct {
	s  *Store
	ex executor
}

// InTx runs fn in one database transaction (BEGIN IMMEDIATE on SQLite,
// the server's default isolation elsewhere: READ COMMITTED on PostgreSQL,
// REPEATABLE READ on MySQL) and commits it when fn returns nil. fn's error,
// or a panic, rolls it back. A lost race (a deadlock, a serialization
// failure, a busy SQLite file) runs the whole transaction again, up to
// five times in all, with short random pauses.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return retry(ctx, func() error { return s.runTx(ctx, fn) })
}

func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	sqlTx, err := s.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback() // on a panic too; the panic goes on
		}
	}()
	if err := fn(ctx, &tx{s: s, ex: sqlTx}); err != nil {
		return err
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit transaction: %w", err)
	}
	return nil
}
