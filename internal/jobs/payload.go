package jobs

import (
	"github.com/eligo/eligo"
)

// Payload is what an outbound event or a webhook carries about one version:
// primitives only. Consumers read the rest from GET /v1/versions/{id}.
type Payload struct {
	VersionID int64  `json:"version_id"`
	OrderID   string `json:"order_id"`
	Event     string `json:"event"`   // eligo.VersionCreate or eligo.VersionUpdate
	Version   int64  `json:"version"` // the order's version after the change
}

// payloadOf returns the payload of the version versionID that left the
// order at o. Version 1 is the create.
func payloadOf(o *eligo.Order, versionID int64) Payload {
	return Payload{VersionID: versionID, OrderID: o.ID, Event: versionEvent(o), Version: o.Version}
}

// versionEvent returns the version event of the change that left the order
// at o: every order starts at version 1 with its create.
func versionEvent(o *eligo.Order) string {
	if o.Version == 1 {
		return eligo.VersionCreate
	}
	return eligo.VersionUpdate
}
