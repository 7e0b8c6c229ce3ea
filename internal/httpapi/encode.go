package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

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

// readBody reads the whole body, up to maxBodyBytes: a longer one is
// ETOOLARGE (413), a slow one EINVALID (400).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, eligo.Errorf(eligo.ETOOLARGE, "the request body is larger than %d bytes", tooBig.Limit)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, eligo.Errorf(eligo.EINVALID, "the request body did not arrive within %s", bodyTimeout(r))
		}
		return nil, eligo.Errorf(eligo.EINVALID, "the request body could not be read")
	}
	return body, nil
}
