package reasons

import (
	"reflect"
	"testing"
)

var figureCases = []string{
	`{"key": "signal.turnover", "base": 6505588, "fall": 0.3402351096849412, "recent": 4292158, "base_months": 6, "recent_months": 3}`,
	`{"key": "signal.product-closed", "days": 72, "product": "Internet banking", "closed_on": "2026-08-21", "key_product": false, "latest_days": 72}`,
	`{"key": "signal.lifetime", "where": "Дунав / Производство", "tenure": 8, "leavers": 16, "typical": 27}`,
	`{"key": "signal.no-contact.never", "days": 1e+16, "x": -0.5E-3, "y": null, "z": true}`,
	`{"text": "an old sentence"}`, `{}`, ` { } `, "\t{\"a\":1}\r\n", `{"a":1,"a":"two"}`,
	// left to encoding/json, which must give the same answer
	`{"a": "tab\tinside"}`, `{"a": "quote \" inside"}`, `{"a": "\u00e9"}`, `{"a": [1, 2]}`, `{"a": {"b": 1}}`,
	`{"a": 01}`, `{"a": 1.}`, `{"a": .5}`, `{"a": 1e}`, `{"a": -}`, `{"a": +1}`, `{"a": tru}`, `{"a": nul}`,
	`{"a": 1,}`, `{"a" 1}`, `{a: 1}`, `{"a": 1} trailing`, `{"a": 1} {"b": 2}`, `{"a": 1`, `{"a":`, `{`, ``, ` `,
	`null`, `[]`, `"text"`, `{"a": "` + "\xff" + `"}`, `{"` + "\x01" + `": 1}`, `{"a": 1 "b": 2}`, `{"a": truex}`,
	`{"a": -0}`, `{"a": 0e0}`, `{"a": 123456789012345678901234567890}`,
}

// TestDecodeFlatAsEncodingJSON: decodeFigures reads every object exactly as
// encoding/json does, whether decodeFlat or encoding/json reads it.
func TestDecodeFlatAsEncodingJSON(t *testing.T) {
	for i, raw := range figureCases {
		got, gotErr := decodeFigures([]byte(raw))
		want, wantErr := decodeJSON([]byte(raw))
		if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, %v; encoding/json %#v, %v", raw, got, gotErr, want, wantErr)
		}
		// the stored shapes take the fast path
		if _, ok := decodeFlat([]byte(raw)); !ok && i < 9 {
			t.Errorf("%q: not read by decodeFlat", raw)
		}
	}
}

func FuzzDecodeFlat(f *testing.F) {
	for _, raw := range figureCases {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, ok := decodeFlat(raw); ok {
			want, err := decodeJSON(raw)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%q: decodeFlat %#v; encoding/json %#v, %v", raw, got, want, err)
			}
		}
	})
}
