package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

// Config configures a Manager. Only Store is required.
type Config struct {
	Store store.Store
	// Catalog validates permissions; nil means permission.DefaultCatalog().
	Catalog *permission.Catalog
	// Clock stamps every time and judges expiry; nil means the real clock.
	Clock clockwork.Clock
	// KeyPrefix starts every generated key; "" means apikey.DefaultPrefix.
	KeyPrefix string
	// Policy limits the keys issued; the zero value is the defaults (see
	// Policy).
	Policy Policy
	// WebhookClient checks the URLs of new webhooks (and a sender should
	// deliver through it); nil means one that refuses loopback, private,
	// link-local and CGNAT addresses. Give one made with
	// egress.Config{AllowPrivate: true} to allow them.
	WebhookClient *egress.Client
	// OnNotice, if set, is called once for each key.expiring or
	// key.unused notice that ScanNotices sends, for applications that
	// e-mail the account's owners themselves. It is called after the
	// notice's transaction commits (so never for a notice another
	// instance sent), on ScanNotices' goroutine; a notice whose commit
	// succeeded is not sent again, so a hook that fails must retry on its
	// own.
	OnNotice func(ctx context.Context, n Notice)
}

// Manager is the one entry point for every change to service accounts, keys
// and permissions. It is safe for concurrent use.
type Manager struct {
	*core
	// tenant is the tenant this view acts in: every Store call the
	// Manager makes names it. NewManager's Manager acts in
	// store.DefaultTenant; Tenant returns views of the others.
	tenant string
}

// core is what every tenant view of one Manager shares: the store, the
// policy defaults and the change subscribers.
type core struct {
	store     store.Store
	catalog   *permission.Catalog
	clock     clockwork.Clock
	keyPrefix string
	policy    Policy
	validate  *validator.Validate
	changes   subscribers
	// webhookClient checks webhook URLs; outboxSignal wakes a local
	// sender after a commit that enqueued deliveries (webhook.go).
	webhookClient *egress.Client
	outboxSignal  chan struct{}
	onNotice      func(ctx context.Context, n Notice)
}

// NewManager checks cfg and fills in its defaults.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("serviceaccount: Config.Store is required")
	}
	if cfg.Catalog == nil {
		cfg.Catalog = permission.DefaultCatalog()
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = apikey.DefaultPrefix
	}
	if err := apikey.ValidatePrefix(cfg.KeyPrefix); err != nil {
		return nil, fmt.Errorf("serviceaccount: Config.KeyPrefix: %w", err)
	}
	policy, err := cfg.Policy.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("serviceaccount: Config.Policy: %w", err)
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = defaultWebhookClient()
	}
	return &Manager{core: &core{
		store:     cfg.Store,
		catalog:   cfg.Catalog,
		clock:     cfg.Clock,
		keyPrefix: cfg.KeyPrefix,
		policy:    policy,
		validate:  newValidator(),

		webhookClient: cfg.WebhookClient,
		outboxSignal:  make(chan struct{}, 1),
		onNotice:      cfg.OnNotice,
	}, tenant: store.DefaultTenant}, nil
}

// Tenant returns the view of this Manager that acts in tenant id: its
// accounts, keys, permissions, audit log and policy, and no other
// tenant's. An id of another tenant's record is not found through it.
// The view shares everything else (store, catalog, clock, subscribers)
// with m, so it is cheap: make one per request. A malformed id is an
// error wrapping store.ErrInvalidTenant.
func (m *Manager) Tenant(id string) (*Manager, error) {
	if err := store.CheckTenant(id); err != nil {
		return nil, err
	}
	if id == m.tenant {
		return m, nil
	}
	return &Manager{core: m.core, tenant: id}, nil
}

// TenantID is the tenant this view acts in (store.DefaultTenant for the
// Manager NewManager returned).
func (m *Manager) TenantID() string { return m.tenant }

// Catalog is the catalog permissions are validated against.
func (m *Manager) Catalog() *permission.Catalog { return m.catalog }

// Clock is the clock the Manager stamps times with; the middleware judges
// expiry with the same one.
func (m *Manager) Clock() clockwork.Clock { return m.clock }

// KeyPrefix is the prefix of the keys this Manager issues.
func (m *Manager) KeyPrefix() string { return m.keyPrefix }

// now is the clock's time as the stores keep it: UTC, microseconds.
func (m *Manager) now() time.Time {
	return m.clock.Now().UTC().Truncate(time.Microsecond)
}

// newID returns a UUIDv7: time-ordered, so creation order is id order.
func newID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}
