// Package mysql registers MySQL and MariaDB (through go-sql-driver/mysql)
// with store/sqlstore, for mysql://user:pass@host:port/db URLs. Import it
// for its side effect, as a database/sql driver:
//
//	import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql"
package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/schema"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func init() {
	sqlstore.Register(sqlstore.Dialect{
		Name:     dialect.MySQL,
		Schemes:  []string{"mysql"},
		Package:  "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql",
		Open:     open,
		Classify: classify,
	})
}

func open(rawURL string, _ bool) (*sql.DB, schema.Dialect, error) {
	cfg, err := mysqlConfig(rawURL)
	if err != nil {
		return nil, nil, err
	}
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, err
	}
	sqldb := sql.OpenDB(connector)
	sqlstore.LimitPool(sqldb)
	// Below MySQL's wait_timeout and any proxy's idle cut-off, as
	// go-sql-driver recommends.
	sqldb.SetConnMaxLifetime(3 * time.Minute)
	return sqldb, mysqldialect.New(), nil
}

// classify reads MySQL's error numbers.
func classify(err error) sqlstore.ErrorClass {
	var myErr *gomysql.MySQLError
	if !errors.As(err, &myErr) {
		return sqlstore.OtherError
	}
	switch myErr.Number {
	case 1062: // ER_DUP_ENTRY
		return sqlstore.UniqueViolation
	case 1452: // ER_NO_REFERENCED_ROW_2
		return sqlstore.ForeignKeyViolation
	case 1213: // ER_LOCK_DEADLOCK
		return sqlstore.TransientConflict
	case 1060, 1061: // ER_DUP_FIELDNAME, ER_DUP_KEYNAME
		return sqlstore.AlreadyExists
	}
	return sqlstore.OtherError
}

// mysqlConfig turns mysql://user:pass@host:port/db?params into a driver
// configuration. The user and password are set as fields, not parsed from
// a DSN string, so any character may appear in them.
func mysqlConfig(rawURL string) (*gomysql.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("invalid MySQL URL") // url's message quotes the URL
	}
	if u.Host == "" {
		return nil, errors.New("MySQL URL without a host: want mysql://user:pass@host:port/db")
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	if dbName == "" || strings.Contains(dbName, "/") {
		return nil, errors.New("MySQL URL without a database name: want mysql://user:pass@host:port/db")
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	dsn := "tcp(" + net.JoinHostPort(u.Hostname(), port) + ")/" + url.PathEscape(dbName)
	if u.RawQuery != "" {
		dsn += "?" + u.RawQuery
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL parameters: %w", err)
	}
	cfg.DBName = dbName
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	// The connection's character set is utf8mb4 whatever the URL says: a
	// charset=latin1 or utf8 (three bytes at most) would turn emoji into
	// question marks or refuse them. A utf8mb4 collation the URL names is
	// kept; any other is replaced by the driver's default.
	collation := cfg.Collation
	if !strings.HasPrefix(collation, "utf8mb4_") {
		collation = "utf8mb4_general_ci"
	}
	if err := cfg.Apply(gomysql.Charset("utf8mb4", collation)); err != nil {
		return nil, fmt.Errorf("invalid MySQL parameters: %w", err)
	}
	return cfg, nil
}
