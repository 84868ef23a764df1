package imports

import (
	"fmt"
	"testing"
)

func TestClientIndexFindsEveryClientAndNoOther(t *testing.T) {
	t.Parallel()
	x := newClientIndex()
	var list []clientRef
	for i := range 5000 {
		// the same refs in two banks: the bank is part of the key
		list = append(list, clientRef{bank: int16(1 + i%2), ref: fmt.Sprintf("C-%d", i/2)})
		x.add(list, int32(len(list)-1))
	}
	for i, c := range list {
		if got, ok := x.find(list, c.bank, c.ref); !ok || got != int32(i) {
			t.Fatalf("client %d (%d, %s): found %d, %v", i, c.bank, c.ref, got, ok)
		}
	}
	for _, miss := range []struct {
		bank int16
		ref  string
	}{{1, "C-2500"}, {3, "C-1"}, {1, ""}, {2, "c-1"}} {
		if i, ok := x.find(list, miss.bank, miss.ref); ok {
			t.Errorf("(%d, %q) found as client %d", miss.bank, miss.ref, i)
		}
	}
	if len(x.slots) < 2*len(list) {
		t.Errorf("%d slots for %d clients: more than half full", len(x.slots), len(list))
	}
}
