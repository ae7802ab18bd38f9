package adminclient_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
)

// jsonMembers lists the JSON member names of struct type t, with those
// of embedded structs. Only names are compared: a time is a string on
// the API's side and a time.Time here, which the method tests decode.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && tag == "" {
			out = append(out, jsonMembers(f.Type)...)
			continue
		}
		out = append(out, tag)
	}
	slices.Sort(out)
	return out
}

// The client's own response types have exactly the members of the
// representations the API marshals: a member added to the API without
// the client (or the reverse) fails here.
func TestResponseTypesHaveTheAPIsMembers(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]any{
		{adminclient.Account{}, apijson.Account{}},
		{adminclient.AccountPage{}, apijson.AccountPage{}},
		{adminclient.Key{}, apijson.APIKey{}},
		{adminclient.CreatedKey{}, apijson.CreatedKey{}},
		{adminclient.KeyPage{}, apijson.KeyPage{}},
		{adminclient.RotatedKey{}, apijson.RotatedKey{}},
		{adminclient.Permission{}, apijson.Permission{}},
		{adminclient.PermissionPage{}, apijson.PermissionPage{}},
		{adminclient.Catalog{}, apijson.Catalog{}},
		{adminclient.Policy{}, apijson.Policy{}},
		{adminclient.StoredPolicy{}, apijson.StoredPolicy{}},
		{adminclient.TenantSummary{}, apijson.Tenant{}},
		{adminclient.TenantPage{}, apijson.TenantPage{}},
		{adminclient.AuditActor{}, apijson.Actor{}},
		{adminclient.AuditEvent{}, apijson.AuditEvent{}},
		{adminclient.AuditPage{}, apijson.AuditPage{}},
		{adminclient.Webhook{}, apijson.Webhook{}},
		{adminclient.CreatedWebhook{}, apijson.CreatedWebhook{}},
		{adminclient.WebhookPage{}, apijson.WebhookPage{}},
		{adminclient.DeliveryAttempt{}, apijson.DeliveryAttempt{}},
		{adminclient.Delivery{}, apijson.Delivery{}},
		{adminclient.DeliveryPage{}, apijson.DeliveryPage{}},
	} {
		client, api := reflect.TypeOf(pair[0]), reflect.TypeOf(pair[1])
		assert.Equal(t, jsonMembers(api), jsonMembers(client), "%s against apijson.%s", client.Name(), api.Name())
	}
}
