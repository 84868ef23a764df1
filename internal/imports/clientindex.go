package imports

import "hash/maphash"

// clientIndex finds a client of the import's list by its bank and ref. It is
// an open-addressing hash table of indexes into the list (4 bytes a slot, at
// most half full) rather than a Go map keyed by strings, so that a million
// clients cost 8 MB to find rather than 50 to 100 (and no doubling of a
// map's tables while it grows).
type clientIndex struct {
	seed  maphash.Seed
	slots []int32 // index into the list + 1; 0 is an empty slot
	n     int
}

func newClientIndex() *clientIndex { return &clientIndex{seed: maphash.MakeSeed()} }

func (x *clientIndex) hash(bank int16, ref string) uint64 {
	return maphash.String(x.seed, ref) ^ uint64(bank)*0x9e3779b97f4a7c15
}

// find returns the index in list of the client (bank, ref).
func (x *clientIndex) find(list []clientRef, bank int16, ref string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := x.hash(bank, ref) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if c := &list[s-1]; c.bank == bank && c.ref == ref {
			return s - 1, true
		}
	}
}

// add indexes list[idx], which must not be indexed yet.
func (x *clientIndex) add(list []clientRef, idx int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow(list)
	}
	x.put(list[idx].bank, list[idx].ref, idx)
	x.n++
}

func (x *clientIndex) put(bank int16, ref string, idx int32) {
	mask := uint64(len(x.slots) - 1)
	i := x.hash(bank, ref) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = idx + 1
}

func (x *clientIndex) grow(list []clientRef) {
	size := max(1024, 2*len(x.slots))
	old := x.slots
	x.slots = make([]int32, size)
	for _, s := range old {
		if s != 0 {
			c := &list[s-1]
			x.put(c.bank, c.ref, s-1)
		}
	}
}
