package reasons

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeFlat reads a JSON object whose values are plain strings (no escapes),
// numbers, true, false or null, as decodeFigures does, without
// encoding/json's reflection: a stored reason's or signal's figures are such
// an object as PostgreSQL writes jsonb, and an export decodes seven of them a
// row (about a quarter of its CPU through encoding/json). ok is false for
// anything else (an escape, a nested value, a malformed or trailing byte),
// which encoding/json then reads; TestDecodeFlatAsEncodingJSON and
// FuzzDecodeFlat compare both.
func decodeFlat(raw []byte) (m map[string]any, ok bool) {
	m = make(map[string]any, 8)
	if !decodeFlatInto(m, raw) {
		return nil, false
	}
	return m, true
}

// decodeFlatInto is decodeFlat into m, an empty map (a signal's figures are
// decoded into a map used again for the next: seven maps a row were a quarter
// of an export's allocations). When it returns false, m holds part of the
// object and must be cleared.
func decodeFlatInto(m map[string]any, raw []byte) (ok bool) {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipSpace(raw, i+1) == len(raw)
	}
	for {
		key, j, ok := plainString(raw, i)
		if !ok {
			return false
		}
		i = skipSpace(raw, j)
		if i == len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, i+1)
		if i == len(raw) {
			return false
		}
		var v any
		switch c := raw[i]; {
		case c == '"':
			s, j, ok := plainString(raw, i)
			if !ok {
				return false
			}
			v, i = s, j
		case c == 't' && hasAt(raw, i, "true"):
			v, i = true, i+4
		case c == 'f' && hasAt(raw, i, "false"):
			v, i = false, i+5
		case c == 'n' && hasAt(raw, i, "null"):
			v, i = nil, i+4
		case c == '-' || (c >= '0' && c <= '9'):
			j := jsonNumberEnd(raw, i)
			if j < 0 {
				return false
			}
			v, i = json.Number(raw[i:j]), j
		default:
			return false
		}
		m[key] = v
		i = skipSpace(raw, i)
		if i == len(raw) {
			return false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return skipSpace(raw, i+1) == len(raw)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasAt(b []byte, i int, word string) bool {
	return len(b)-i >= len(word) && string(b[i:i+len(word)]) == word
}

// plainString reads the string at b[i] (a quote) that holds no escape, no
// control character and only valid UTF-8; j is just past its closing quote.
func plainString(b []byte, i int) (s string, j int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j = i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !utf8.Valid(b[i+1 : j]) {
				return "", 0, false
			}
			return string(b[i+1 : j]), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// jsonNumberEnd is the end of the JSON number at b[i], or -1 when there is none:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumberEnd(b []byte, i int) int {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
