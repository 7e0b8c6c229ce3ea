package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"

	"github.com/eligo/eligo"
)

// Subscriber is one webhook receiver: where versions are POSTed, the
// secret their signature is made with, and which version events it wants.
type Subscriber struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"` // eligo.VersionCreate, VersionUpdate, VersionAction; empty means all
}

// Validate checks the subscriber: an absolute http(s) URL, a secret of at
// least 16 bytes and known events.
func (s *Subscriber) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return eligo.Errorf(eligo.EINVALID, "webhook url %q is not an absolute http or https URL", s.URL)
	}
	if len(s.Secret) < 16 {
		return eligo.Errorf(eligo.EINVALID, "webhook %s: the secret is %d bytes long; use at least 16", s.URL, len(s.Secret))
	}
	for _, ev := range s.Events {
		if ev != eligo.VersionCreate && ev != eligo.VersionUpdate && ev != eligo.VersionAction {
			return eligo.Errorf(eligo.EINVALID, "webhook %s: unknown event %q; expected %q, %q or %q", s.URL, ev, eligo.VersionCreate, eligo.VersionUpdate, eligo.VersionAction)
		}
	}
	return nil
}

// Wants reports whether the subscriber receives versions of event. An
// "update" subscriber also receives actions: an action changes the order
// too, and a cancel, now an action, was an update before actions were.
func (s *Subscriber) Wants(event string) bool {
	return len(s.Events) == 0 || slices.Contains(s.Events, event) ||
		event == eligo.VersionAction && slices.Contains(s.Events, eligo.VersionUpdate)
}

// ParseSubscribers parses a JSON array of subscribers, such as
// [{"url":"https://example.com/hook","secret":"...","events":["create","update"]}],
// and validates each. URLs must be distinct: a webhook job names its
// subscriber by URL.
func ParseSubscribers(data []byte) ([]Subscriber, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var subs []Subscriber
	if err := dec.Decode(&subs); err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "webhooks: %v; expected a JSON array of {\"url\",\"secret\",\"events\"}", err)
	}
	seen := map[string]bool{}
	for i := range subs {
		if err := subs[i].Validate(); err != nil {
			return nil, err
		}
		if seen[subs[i].URL] {
			return nil, eligo.Errorf(eligo.EINVALID, "webhooks: url %s is listed twice", subs[i].URL)
		}
		seen[subs[i].URL] = true
	}
	return subs, nil
}

// LoadSubscribers reads and parses a subscribers file (see
// ParseSubscribers).
func LoadSubscribers(path string) ([]Subscriber, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	subs, err := ParseSubscribers(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, eligo.ErrorMessage(err))
	}
	return subs, nil
}
