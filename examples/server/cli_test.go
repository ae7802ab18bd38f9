package main_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var buildOnce sync.Once

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		_ = os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

// runBinary runs the server binary to completion and returns its exit code
// and output.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stdout.String(), stderr.String()
}

func TestBadFlagsExitWithUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-flush-interval", "0s"},
		{"-cache-ttl", "-1s"},
		{"-notice-interval", "0s"},
		{"-notice-interval", "soon"},
		{"-audit-retention", "-1h"},
		{"-audit-retention", "forever"},
		{"-addr", "nonsense"},
		{"-no-such-flag"},
		{"-admin-token", "short"},
		{"extra-argument"},
		{"-max-keys", "-1"},
		{"-max-keys", "ten"},
		{"-max-key-lifetime", "-1h"},
		{"-max-key-lifetime", "1.5s"},
		{"-max-key-lifetime", "2160"},
	} {
		code, _, stderr := runBinary(t, nil, args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Contains(t, stderr, "Usage", "%v", args)
		assert.NotContains(t, stderr, "goroutine", "no stack trace")
	}
	_, _, stderr := runBinary(t, nil, "-admin-token", "short")
	assert.NotContains(t, stderr, "short\n", "the token is not echoed")
}

func TestUnreachableDatabaseIsAClearError(t *testing.T) {
	t.Parallel()
	for _, db := range []string{
		"postgres://someone:s3cret-password@127.0.0.1:1/test?sslmode=disable&connect_timeout=5",
		"mysql://someone:s3cret-password@127.0.0.1:1/test",
		"sqlite:" + t.TempDir() + "/no/such/dir/x.db",
		"oracle://nope",
		// Not URLs, or malformed ones: masked all the same.
		"host=127.0.0.1 port=1 user=someone password='s3cret-password and more' dbname=test",
		"someone:s3cret-password@tcp(127.0.0.1:1)/test",
		"mysql://someone:s3cret-password@tcp(127.0.0.1:1)/test",
		"postgres:/someone:s3cret-password@127.0.0.1:1/test",
		"postgres://someone:s3cret-password@127.0.0.1:bad port/test",
		"password=x:s3cret-password host=127.0.0.1",
	} {
		code, _, stderr := runBinary(t, []string{"ADMIN_TOKEN=e2e-admin-token-0123456789"}, "-db", db, "-addr", "127.0.0.1:0")
		assert.Equal(t, 1, code, db)
		assert.True(t, strings.HasPrefix(stderr, "server: "), "%s: %s", db, stderr)
		assert.NotContains(t, stderr, "s3cret-password", "the password is not printed")
		assert.NotContains(t, stderr, "goroutine", "no stack trace")
	}
}
