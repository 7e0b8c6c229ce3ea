package jobs

import (
	"github.com/eligo/eligo"
)

// Payload is what an outbound event or a webhook carries about one version:
// primitives only. Consumers read the rest from GET /v1/versions/{id}.
type Payload struct {
	VersionID int64  `json:"version_id"`
	OrderID   string `json:"order_id"`
	Event     string `json:"event"`   // eligo.VersionCreate, VersionUpdate or VersionAction
	Version   int64  `json:"version"` // the order's version after the change
}

// payloadOf returns the payload of the version that recorded c, with the
// event the store wrote on it.
func payloadOf(c *eligo.Change) Payload {
	return Payload{VersionID: c.VersionID, OrderID: c.Order.ID, Event: c.Event, Version: c.Order.Version}
}
