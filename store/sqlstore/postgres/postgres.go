// Package postgres registers PostgreSQL (through pgx) with store/sqlstore,
// for postgres:// and postgresql:// URLs, and gives the store its LISTEN
// listener. Import it for its side effect, as a database/sql driver:
//
//	import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres"
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func init() {
	sqlstore.Register(sqlstore.Dialect{
		Name:     dialect.PG,
		Schemes:  []string{"postgres", "postgresql"},
		Package:  "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres",
		Open:     open,
		Classify: classify,
		Listener: listener,
	})
}

func open(rawURL string, _ bool) (*sql.DB, schema.Dialect, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, errors.New("invalid PostgreSQL URL") // pgx's message may quote the password
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqlstore.LimitPool(sqldb)
	return sqldb, pgdialect.New(), nil
}

// classify reads PostgreSQL's SQLSTATE codes.
func classify(err error) sqlstore.ErrorClass {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return sqlstore.OtherError
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return sqlstore.UniqueViolation
	case "23503": // foreign_key_violation
		return sqlstore.ForeignKeyViolation
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return sqlstore.TransientConflict
	}
	return sqlstore.OtherError
}

// listener returns a listener on db when its connections are pgx's (as
// OpenDB opens them), and nil otherwise: only pgx gives the connection to
// wait on.
func listener(db *sql.DB, channel string) store.ChangeListener {
	if _, ok := db.Driver().(*stdlib.Driver); !ok {
		return nil
	}
	return pgListener{db: db, channel: channel}
}

// pgListener LISTENs on a connection it takes from the store's pool for as
// long as it listens (one connection fewer for queries), and discards it
// afterwards instead of returning it in listening state.
type pgListener struct {
	db      *sql.DB
	channel string
}

// errNotPgx is returned when the pool hands out a connection that is not
// pgx's, which listener rules out for pools opened by OpenDB.
var errNotPgx = errors.New("sqlstore: listen: the pool's connections are not pgx's")

func (l pgListener) ChangeListen(ctx context.Context, p store.ChangeListenParams) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: listen: take a connection: %w", err)
	}
	defer conn.Close()
	channel := l.channel
	var listenErr error
	_ = conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			listenErr = errNotPgx
			return driver.ErrBadConn
		}
		pc := c.Conn()
		// The channel is the changes table's name: lowercase letters,
		// digits and underscores (the prefix is validated), so quoting it
		// is enough.
		if _, err := pc.Exec(ctx, `LISTEN "`+channel+`"`); err != nil {
			listenErr = fmt.Errorf("sqlstore: listen: %w", err)
			return driver.ErrBadConn
		}
		p.Listening()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() != nil {
					listenErr = ctx.Err()
				} else {
					listenErr = fmt.Errorf("sqlstore: listen: %w", err)
				}
				// Discard the connection: it is listening, or broken.
				return driver.ErrBadConn
			}
			id, err := strconv.ParseInt(n.Payload, 10, 64)
			if n.Channel != channel || err != nil || id <= 0 {
				p.Malformed()
				continue
			}
			p.Notify(id)
		}
	})
	return listenErr
}
