package readmodel_test

import (
	"testing"

	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/readmodel/readmodeltest"
)

func TestMemoryContract(t *testing.T) {
	readmodeltest.Exercise(t, func(t *testing.T) *readmodeltest.Harness {
		return &readmodeltest.Harness{Model: readmodel.NewMemory()}
	})
}
