package permission

// Limiter keys of the default catalog.
const (
	LimiterKeySurvey = "surveyKey"
	LimiterKeyReport = "reportKey"
	LimiterKeyStudy  = "studyKey"
)

// DefaultResourceTypes is the reference system's catalog: studies,
// messaging and participant users, with the ids the reference uses and the
// display names of its UI.
func DefaultResourceTypes() []ResourceType {
	survey := []string{LimiterKeySurvey}
	return []ResourceType{
		{
			ID: "study", DisplayName: "Study", Keys: []string{Any}, OpenKeys: true,
			Actions: []Action{
				{ID: "create-study"},
				{ID: "read-study-config"},
				{ID: "update-study-props"},
				{ID: "update-study-status"},
				{ID: "update-notification-subscriptions"},
				{ID: "update-study-rules"},
				{ID: "run-study-action"},
				{ID: "delete-study"},
				{ID: "manage-study-code-lists"},
				{ID: "manage-study-counters"},
				{ID: "manage-study-variables"},
				{ID: "manage-study-permissions"},
				{ID: "create-survey"},
				{ID: "update-survey", LimiterKeys: survey},
				{ID: "unpublish-survey", LimiterKeys: survey},
				{ID: "delete-survey-version", LimiterKeys: survey},
				{ID: "get-responses", LimiterKeys: survey},
				{ID: "delete-responses"},
				{ID: "get-confidential-responses"},
				{ID: "get-files"},
				{ID: "delete-files"},
				{ID: "create-virtual-participant"},
				{ID: "edit-participant-data"},
				{ID: "get-participant-states"},
				{ID: "merge-participants"},
				{ID: "get-reports", LimiterKeys: []string{LimiterKeyReport}},
				{ID: "delete-reports"},
				{ID: Any},
			},
		},
		{
			ID: "messaging", DisplayName: "Messaging",
			Keys:    []string{"global-email-templates", "study-email-templates", "scheduled-emails", "sms-templates"},
			Actions: []Action{{ID: Any, LimiterKeys: []string{LimiterKeyStudy}}},
		},
		{
			ID: "users", DisplayName: "Participant Users", Keys: []string{Any},
			Actions: []Action{{ID: "delete-users"}, {ID: Any}},
		},
	}
}

// DefaultCatalog returns the reference system's catalog, compiled.
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(DefaultResourceTypes())
	if err != nil {
		panic("permission: default catalog is inconsistent: " + err.Error())
	}
	return c
}
