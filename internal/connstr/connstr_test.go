package connstr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
)

// TestRedactMasksThePasswordInEveryForm: every form a connection string
// takes here, the password hunter2 (or p@ss, 'quoted value') never
// survives, and what holds no password is kept for the reader.
func TestRedactMasksThePasswordInEveryForm(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"URLWithPassword", "postgres://u:hunter2@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"URLWithOnlyUser", "postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable"},
		{"URLPasswordParameter", "postgres://u@h/db?password=hunter2&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"URLPasswordParameterAnyCase", "postgres://u@h/db?PASSWORD=hunter2", "postgres://u@h/db?PASSWORD=xxxxx"},
		{"URLSSLPassword", "postgres://u@h/db?sslpassword=hunter2&sslkey=/k.pem", "postgres://u@h/db?sslkey=%2Fk.pem&sslpassword=xxxxx"},
		{"MySQLURLPasswordWithAt", "mysql://root:p@ss@host:3306/db", "mysql://root:xxxxx@host:3306/db"},
		{"MySQLURLPwdParameter", "mysql://root@host/db?pwd=hunter2", "mysql://root@host/db?pwd=xxxxx"},
		{"KeyValueWithPassword", "host=h user=u password=hunter2 dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"KeyValueQuotedPassword", "host=h password='quoted value' dbname=db", "host=h password=xxxxx dbname=db"},
		{"KeyValueQuotedPasswordWithEscapes", `host=h password='it\'s p@ss' user=u`, "host=h password=xxxxx user=u"},
		{"KeyValueSpacesAroundEquals", "host=h password = hunter2", "host=h password = xxxxx"},
		{"KeyValueUnterminatedQuote", "host=h password='hunter2 dbname=db", "host=h password=xxxxx"},
		{"KeyValueWithoutPassword", "host=h user=u dbname=db", "host=h user=u dbname=db"},
		{"MySQLDriverDSN", "root:hunter2@tcp(127.0.0.1:3306)/db?parseTime=true", "root:xxxxx@tcp(127.0.0.1:3306)/db?parseTime=true"},
		{"MySQLDriverDSNPasswordWithAtAndColon", "root:p@ss:hunter2@tcp(h)/db", "root:xxxxx@tcp(h)/db"},
		{"MySQLDriverDSNWithoutPassword", "root@tcp(127.0.0.1:3306)/db", "root@tcp(127.0.0.1:3306)/db"},
		{"MySQLDriverDSNInAURL", "mysql://root:hunter2@tcp(127.0.0.1:3306)/db", "mysql:xxxxx@tcp(127.0.0.1:3306)/db"},
		{"MalformedURLOneSlash", "postgres:/u:hunter2@h/db", "postgres:xxxxx@h/db"},
		{"MalformedURLNoSlash", "postgres:u:hunter2@h/db", "postgres:xxxxx@h/db"},
		{"MalformedURLThreeSlashes", "postgres:///u:hunter2@h/db", "postgres:xxxxx@h/db"},
		{"MalformedURLBadPort", "postgres://u:hunter2@h:bad port/db", "postgres:xxxxx@h:bad port/db"},
		{"MalformedURLBadEscape", "postgres://u:hunter2%zz@h/db", "postgres:xxxxx@h/db"},
		{"MalformedURLPasswordParameter", "postgres:/db?password=hunter2", "postgres:/db?password=xxxxx"},
		{"URLWithAtInQuery", "postgres://u:hunter2@h/db?application_name=a@b", "postgres:xxxxx@b"},
		{"RedisURLWithPassword", "redis://:hunter2@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"RedisURLWithUserAndPassword", "rediss://default:hunter2@cache:6380", "rediss://default:xxxxx@cache:6380"},
		{"RedisURLWithOnlyUser", "redis://default@cache:6379", "redis://default@cache:6379"},
		{"RedisURLWithoutUser", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379"},
		{"SQLitePath", "sqlite:/tmp/x.db", "sqlite:/tmp/x.db"},
		{"SQLiteMemory", "sqlite::memory:", "sqlite::memory:"},
		{"Memory", "memory:", "memory:"},
		{"Empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := connstr.Redact(tc.in)
			require.Equal(t, tc.want, got)
			for _, secret := range []string{"hunter2", "p@ss", "quoted value"} {
				require.NotContains(t, got, secret)
			}
		})
	}
}

// TestHideMasksWhatADriverQuotes: a driver's message may quote the
// password on its own, raw or escaped; Hide finds it from the
// connection string whatever its form.
func TestHideMasksWhatADriverQuotes(t *testing.T) {
	for _, tc := range []struct{ conn, msg string }{
		{"postgres://u:hunter2@h/db", "auth failed for password hunter2"},
		{"postgres://u:p%40ss%2Fword@h/db", "bad p@ss/word and p%40ss%2Fword"},
		{"postgres://u@h/db?password=hunter2", "saw hunter2"},
		{"host=h password='quoted value'", "saw quoted value"},
		{"host=h password=hunter2", "saw hunter2"},
		{"root:hunter2@tcp(h)/db", "saw hunter2"},
		{"postgres:/u:hunter2@h/db", "saw hunter2"},
		{"redis://:hunter2@h:6379", "saw hunter2"},
		// A raw '/', '?' or '#' in the password ends a URL's authority: a
		// driver reads the rest as the database name (pgx quotes it) or a
		// parameter.
		{"postgres://u:5432/hunter2@h/db", "failed to connect to `user=u database=hunter2@h/db`"},
		{"postgres://u:/hunter2@h/db", "database \"hunter2@h/db\" does not exist"},
		{"postgres://u:5432?hunter2@h/db", "unrecognized configuration parameter \"hunter2@h/db\""},
		{"redis://:6379#hunter2@h", "saw hunter2@h"},
	} {
		got := connstr.Hide(tc.msg, tc.conn)
		require.Contains(t, got, connstr.Mask, tc.conn)
		for _, secret := range []string{"hunter2", "p@ss", "p%40ss", "quoted value"} {
			require.NotContains(t, got, secret, tc.conn)
		}
	}
	require.Equal(t, "a short pw ab", connstr.Hide("a short pw ab", "postgres://u:ab@h/db"), "too short to mask safely")
}

func TestHideErrorKeepsTheChain(t *testing.T) {
	base := errors.New("connect as u:hunter2")
	err := connstr.HideError(fmt.Errorf("open: %w", base), "postgres://u:hunter2@h/db")
	require.Equal(t, "open: connect as u:xxxxx", err.Error())
	require.ErrorIs(t, err, base)
	require.NoError(t, connstr.HideError(nil, "postgres://u:hunter2@h/db"))
}
