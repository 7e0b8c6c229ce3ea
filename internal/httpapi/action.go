package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/eligo/eligo/internal/strictjson"
)

// readActionRequest reads the action named by the path ({action}) and the
// body of POST /v1/orders/{id}/actions/{action}: none (or only white
// space), or {"params": {...}}, read strictly (internal/strictjson): the
// one member, once, an object or null. The params are passed through as
// sent; eligo.ValidateActionParams bounds them (4 KB: 413 above).
func readActionRequest(w http.ResponseWriter, r *http.Request) (string, json.RawMessage, error) {
	action := r.PathValue("action")
	body, err := readBody(w, r)
	if err != nil {
		return "", nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return action, nil, nil
	}
	const what = "the request body"
	ms := [...]strictjson.Member{{Name: "params", Object: true}}
	dec := strictjson.NewDecoder(body)
	if err := strictjson.ReadObject(dec, what, ms[:]); err != nil {
		return "", nil, err
	}
	if err := strictjson.End(dec, what); err != nil {
		return "", nil, err
	}
	return action, json.RawMessage(ms[0].Raw), nil
}
