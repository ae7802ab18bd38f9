package changefeed_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// waitFor bounds every wait of these tests for something that should
// happen soon (as in changefeed's own tests).
const waitFor = 10 * time.Second

// recorder is the feed's invalidator in these tests (a copy of
// changefeed/feed_test.go's).
type recorder struct {
	events chan string // an account id, or "all"
}

func newRecorder() *recorder                    { return &recorder{events: make(chan string, 100)} }
func (r *recorder) AccountChanged(id uuid.UUID) { r.events <- id.String() }
func (r *recorder) AllChanged()                 { r.events <- "all" }
func (r *recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(waitFor):
		t.Fatal("no event")
		return ""
	}
}
