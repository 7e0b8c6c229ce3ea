//go:build race

package eligo_test

// raceEnabled reports whether the tests run under -race, which makes
// allocation counts meaningless.
const raceEnabled = true
