package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/eligo/eligo"
)

// versionDoc is the JSON form of a version record.
type versionDoc struct {
	ID            int64             `json:"id"`
	ItemType      string            `json:"item_type"`
	ItemID        string            `json:"item_id"`
	Event         string            `json:"event"`
	Whodunnit     string            `json:"whodunnit"`
	ObjectChanges map[string][2]any `json:"object_changes"` // field -> [old, new]
	EventID       string            `json:"event_id,omitempty"`
	OccurredAt    *time.Time        `json:"occurred_at"` // of the event that caused it; null when none did
	OrderVersion  int64             `json:"order_version"`
	CreatedAt     time.Time         `json:"created_at"`
	Host          string            `json:"host"`
	Build         string            `json:"build"`
	// Of an action version (event "action") only: the action taken, the
	// policy version it was decided under, and the caller's params as
	// sent (null when none).
	Action        string          `json:"action,omitempty"`
	PolicyVersion string          `json:"policy_version,omitempty"`
	Params        json.RawMessage `json:"params,omitempty"`
}

// jsonNull is the params of an action version taken without any.
var jsonNull = json.RawMessage("null")

func newVersionDoc(v *eligo.Version) versionDoc {
	changes := v.ObjectChanges
	if changes == nil {
		changes = map[string][2]any{}
	}
	var occurred *time.Time
	if !v.OccurredAt.IsZero() {
		t := v.OccurredAt.UTC()
		occurred = &t
	}
	d := versionDoc{
		ID:            v.ID,
		ItemType:      v.ItemType,
		ItemID:        v.ItemID,
		Event:         v.Event,
		Whodunnit:     v.Whodunnit,
		ObjectChanges: changes,
		EventID:       v.EventID,
		OccurredAt:    occurred,
		OrderVersion:  v.OrderVersion,
		CreatedAt:     v.CreatedAt.UTC(),
		Host:          v.Host,
		Build:         v.Build,
	}
	if v.Event == eligo.VersionAction {
		d.Action, d.PolicyVersion, d.Params = v.Action, v.PolicyVersion, v.Params
		if len(d.Params) == 0 {
			d.Params = jsonNull
		}
	}
	return d
}

// versionsResponse is the answer of GET /v1/orders/{id}/versions.
type versionsResponse struct {
	Versions []versionDoc `json:"versions"` // oldest first
}

// handleVersions answers an order's history, oldest first, from the store.
func handleVersions(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := eligo.ValidateID("order id", id); err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		versions, err := deps.Engine.Versions(r.Context(), id)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		resp := versionsResponse{Versions: make([]versionDoc, len(versions))}
		for i := range versions {
			resp.Versions[i] = newVersionDoc(&versions[i])
		}
		encode(w, r, deps.Logger, http.StatusOK, resp)
	})
}

// handleVersion answers one version record by its numeric id.
func handleVersion(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.PathValue("id")
		id, ok := positiveID(raw)
		if !ok {
			writeError(w, r, deps.Logger, eligo.Errorf(eligo.EINVALID, "version id %q is not a positive integer", raw))
			return
		}
		v, err := deps.Engine.Version(r.Context(), id)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		encode(w, r, deps.Logger, http.StatusOK, newVersionDoc(&v))
	})
}
