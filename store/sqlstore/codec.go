package sqlstore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

// This file converts between Go values and each dialect's column types:
//
//	            PostgreSQL    MySQL/MariaDB                    SQLite
//	id          uuid          BINARY(16)                       BLOB (16 bytes)
//	key hash    bytea         BINARY(32)                       BLOB (32 bytes)
//	time        timestamptz   DATETIME(6), UTC wall clock      INTEGER µs since the epoch
//	limiter     text (JSON)   MEDIUMTEXT (JSON)                TEXT (JSON)

// mysqlTimeLayout writes a DATETIME(6) literal. Times go to MySQL as text in
// UTC so that the driver's loc setting cannot shift them.
const mysqlTimeLayout = "2006-01-02 15:04:05.000000"

func (s *Store) idArg(id uuid.UUID) any {
	if s.dialect == dialect.PG {
		return id
	}
	return id[:]
}

func (s *Store) nullIDArg(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return s.idArg(*id)
}

func hashArg(h apikey.Hash) []byte { return h[:] }

// timeArg drops everything below the microsecond, which every dialect
// keeps, so that a time reads back exactly as it was written (PostgreSQL
// and MySQL would otherwise round, not truncate).
func (s *Store) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	switch s.dialect {
	case dialect.SQLite:
		return t.UnixMicro()
	case dialect.MySQL:
		return t.Format(mysqlTimeLayout)
	default:
		return t
	}
}

func (s *Store) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

func limiterArg(l *limiter.Limiter) any {
	if l == nil {
		return nil
	}
	return l.String()
}

// compareIDs orders ids by their bytes, as the databases do: for UUIDv7
// ids, creation order.
func compareIDs(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

// idColumn scans an id stored as 16 bytes or as text (PostgreSQL's uuid
// comes through pgx as text); NULL leaves Valid false.
type idColumn struct {
	ID    uuid.UUID
	Valid bool
}

func (c *idColumn) Scan(src any) error {
	c.Valid = src != nil
	switch v := src.(type) {
	case nil:
		c.ID = uuid.Nil
		return nil
	case []byte:
		if len(v) == len(c.ID) {
			copy(c.ID[:], v)
			return nil
		}
		id, err := uuid.ParseBytes(v)
		if err != nil {
			return fmt.Errorf("scan id: %w", err)
		}
		c.ID = id
		return nil
	case string:
		id, err := uuid.Parse(v)
		if err != nil {
			return fmt.Errorf("scan id: %w", err)
		}
		c.ID = id
		return nil
	default:
		return fmt.Errorf("scan id: unsupported type %T", src)
	}
}

func (c *idColumn) ptr() *uuid.UUID {
	if !c.Valid {
		return nil
	}
	id := c.ID
	return &id
}

// hashColumn scans a key hash; NULL leaves it zero. Its errors never show
// the bytes.
type hashColumn struct {
	Hash apikey.Hash
}

func (c *hashColumn) Scan(src any) error {
	if src == nil {
		c.Hash = apikey.Hash{}
		return nil
	}
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("scan key hash: unsupported type %T", src)
	}
	if len(b) != len(c.Hash) {
		return fmt.Errorf("scan key hash: %d bytes, want %d", len(b), len(c.Hash))
	}
	copy(c.Hash[:], b)
	return nil
}

// timeColumn scans a time in any of the dialects' forms and returns it in
// UTC. NULL leaves Valid false.
type timeColumn struct {
	Time  time.Time
	Valid bool
	// wallClock says the column holds a UTC wall clock without a zone
	// (MySQL DATETIME): the driver attaches its loc setting to it, so only
	// the fields are kept, whatever that setting is.
	wallClock bool
}

func (c *timeColumn) Scan(src any) error {
	c.Valid = src != nil
	switch v := src.(type) {
	case nil:
		c.Time = time.Time{}
	case int64:
		c.Time = time.UnixMicro(v).UTC()
	case time.Time:
		if c.wallClock {
			c.Time = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
		} else {
			c.Time = v.UTC()
		}
	case []byte:
		return c.parse(string(v))
	case string:
		return c.parse(v)
	default:
		return fmt.Errorf("scan time: unsupported type %T", src)
	}
	return nil
}

// parse reads MySQL's text form, which go-sql-driver returns when the DSN
// lacks parseTime=true.
func (c *timeColumn) parse(s string) error {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	c.Time = t
	return nil
}

func (c *timeColumn) ptr() *time.Time {
	if !c.Valid {
		return nil
	}
	t := c.Time
	return &t
}

func (s *Store) timeColumn() timeColumn {
	return timeColumn{wallClock: s.dialect == dialect.MySQL}
}

// limiterColumn scans a limiter stored as JSON; NULL is no limiter.
type limiterColumn struct {
	Limiter *limiter.Limiter
}

func (c *limiterColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		c.Limiter = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("scan limiter: unsupported type %T", src)
	}
	l, err := limiter.Parse(b)
	if err != nil {
		return fmt.Errorf("scan limiter: %w", err)
	}
	c.Limiter = l
	return nil
}
