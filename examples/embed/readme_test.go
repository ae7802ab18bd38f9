package embed_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeShowsTheCompiledExample keeps the README's embedding snippet
// identical to Example, which the compiler checks on every test run.
func TestReadmeShowsTheCompiledExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	source, err := os.ReadFile("example_test.go")
	require.NoError(t, err)

	block := regexp.MustCompile("(?s)<!-- embed:start -->\n```go\n(.*?)```\n<!-- embed:end -->").FindSubmatch(readme)
	require.NotNil(t, block, "README.md has no embedding block between <!-- embed:start --> and <!-- embed:end -->")

	body := regexp.MustCompile(`(?s)func Example\(\) \{\n(.*?)\n\}\n`).FindSubmatch(source)
	require.NotNil(t, body)
	handler := regexp.MustCompile(`(?s)(func listResponses.*?\n\}\n)`).FindSubmatch(source)
	require.NotNil(t, handler)

	want := dedent(string(body[1])) + "\n\n" + string(handler[1])
	require.Equal(t, want, string(block[1]), "update README.md's embedding block from examples/embed/example_test.go")
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	return strings.Join(lines, "\n")
}
