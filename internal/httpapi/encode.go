package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 1 << 20

// contentTypeJSON is a header value shared by every JSON response, set
// without allocating. net/http only reads it; its len == cap, so an Add by
// anyone copies it rather than writing into it.
var contentTypeJSON = []string{"application/json"}

// encode writes v as JSON with the status.
func encode(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, r, logger, fmt.Errorf("encode %T: %w", v, err))
		return
	}
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decode reads exactly one JSON value of type T from the body, strictly:
// unknown fields, trailing data and bodies over maxBodyBytes are EINVALID
// errors that say what was wrong.
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	body, err := readBody(w, r)
	if err != nil {
		return v, err
	}
	return v, decodeJSON(body, &v, "the request body")
}

// readBody reads the whole body, up to maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, eligo.Errorf(eligo.EINVALID, "the request body is larger than %d bytes", tooBig.Limit)
		}
		return nil, eligo.Errorf(eligo.EINVALID, "the request body could not be read")
	}
	return body, nil
}

// decodeJSON decodes exactly one JSON value from data into v, strictly.
// what names data in error messages ("the request body").
func decodeJSON(data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, what)
	}
	if _, err := dec.Token(); err != io.EOF {
		return eligo.Errorf(eligo.EINVALID, "%s has data after its JSON value; send exactly one", what)
	}
	return nil
}

// jsonError turns a decoding error into an EINVALID error a client can act
// on, without Go type names.
func jsonError(err error, what string) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return eligo.Errorf(eligo.EINVALID, "%s is empty; expected JSON", what)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return eligo.Errorf(eligo.EINVALID, "%s ends in the middle of its JSON value", what)
	case errors.As(err, &syntax):
		return eligo.Errorf(eligo.EINVALID, "%s is not valid JSON (at byte %d)", what, syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return eligo.Errorf(eligo.EINVALID, "%s is a JSON %s; expected %s", what, typ.Value, jsonKind(typ.Type.Kind()))
		}
		return eligo.Errorf(eligo.EINVALID, "field %q of %s is a JSON %s; expected %s", typ.Field, what, typ.Value, jsonKind(typ.Type.Kind()))
	}
	// Such as `json: unknown field "x"`: about the client's input, not ours.
	return eligo.Errorf(eligo.EINVALID, "%s is not JSON of the expected shape: %s", what, strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}

// parseTimestamp parses the RFC 3339 timestamp in field (named for error
// messages); "" is the zero time (the field was absent or null).
func parseTimestamp(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, eligo.Errorf(eligo.EINVALID, "%s is %q; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z", field, v)
	}
	return t, nil
}
