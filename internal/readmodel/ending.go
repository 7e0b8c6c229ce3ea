package readmodel

import "time"

// ending is when a terminal order leaves the hot set.
type ending struct {
	at time.Time
	id string
}

// endings is a min-heap of endings by at: the next order to leave is
// endings[0]. Typed by hand, not container/heap, so that a push does not
// allocate an interface value.
type endings []ending

func (h *endings) push(e ending) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].at.Before(s[parent].at) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

// pop removes and returns the earliest ending; h must not be empty.
func (h *endings) pop() ending {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = ending{} // drop the id for the collector
	s = s[:last]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].at.Before(s[least].at) {
			least = l
		}
		if r < len(s) && s[r].at.Before(s[least].at) {
			least = r
		}
		if least == i {
			break
		}
		s[i], s[least] = s[least], s[i]
		i = least
	}
	*h = s
	return top
}
