// Package input carries what is wrong with a user's input, field by field, so
// that a form re-renders with each message beside its field and a URL
// parameter error names the parameter.
package input

import (
	"errors"
	"sort"
	"strings"
)

// Errors maps a field (or URL parameter) name to what is wrong with it.
type Errors map[string]string

// Add records msg for field unless the field already has a message.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Err returns e as an error, or nil when there is nothing wrong.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Error lists every field and its message, in field order.
func (e Errors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return strings.Join(parts, "; ")
}

// Merge adds the messages of err to e when err is Errors, and returns any
// other error for the caller to handle.
func (e Errors) Merge(err error) error {
	var more Errors
	if err == nil {
		return nil
	}
	if !errors.As(err, &more) {
		return err
	}
	for k, m := range more {
		e.Add(k, m)
	}
	return nil
}

// Messages lists the messages without their fields' names, in field order,
// for a form that shows them in one place.
func (e Errors) Messages() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, e[k])
	}
	return strings.Join(parts, "; ")
}

// Choice is one value a field may take, with the label a form shows for it.
type Choice struct{ Value, Label string }

// LabelOf returns the label of value among choices, or value itself.
func LabelOf(choices []Choice, value string) string {
	for _, c := range choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

// IsChoice tells whether v is one of choices.
func IsChoice(choices []Choice, v string) bool {
	for _, c := range choices {
		if c.Value == v {
			return true
		}
	}
	return false
}
