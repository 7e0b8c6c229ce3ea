package httpapi

import (
	"strings"
	"sync"
)

// Sizes of one headerArena's blocks: a block of bytes for the values and a
// block of one-element slices to hold them, each allocated once for many
// requests.
const (
	arenaBytes  = 4096
	arenaValues = 128
)

// headerArena hands out response header values ([]string{v}) built from
// bytes, allocating a block of bytes and a block of slices once per many
// values instead of a string and a slice for each. A strings.Builder only
// ever appends, so every string already taken from it stays valid; a full
// block is left to the values that still hold it and a new one begun.
// Each value's slice has capacity 1, so an append to it (Header.Add)
// copies instead of writing over the next value.
type headerArena struct {
	text   strings.Builder
	values []string
}

var headerArenas = sync.Pool{New: func() any { return new(headerArena) }}

// headerValue returns []string{string(b)}, from a pooled arena.
func headerValue(b []byte) []string {
	a := headerArenas.Get().(*headerArena)
	v := a.value(b)
	headerArenas.Put(a)
	return v
}

func (a *headerArena) value(b []byte) []string {
	if len(b) > arenaBytes/8 { // too big to share a block: its own string
		return []string{string(b)}
	}
	if a.text.Cap()-a.text.Len() < len(b) {
		a.text = strings.Builder{}
		a.text.Grow(arenaBytes)
	}
	start := a.text.Len()
	_, _ = a.text.Write(b) // never fails
	if len(a.values) == 0 {
		a.values = make([]string, arenaValues)
	}
	v := a.values[:1:1]
	a.values = a.values[1:]
	v[0] = a.text.String()[start:]
	return v
}
