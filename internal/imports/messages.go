package imports

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/relaycrm/relay/internal/i18n"
)

// An import keeps each problem of a feed twice (migration 00026): as an
// English sentence (RowError.Message), which the command line prints and the
// audit keeps, and as a message id of the area imports (under imports.row)
// with its named values (RowError.Key, Args), which the imports page says in
// the reader's language (MessageIn). A value may itself be such a message
// (the problem of an amount inside an income item), stored as {"key", "args"}.

// problem is what is wrong with a value: a message id under imports.row and
// its named values; the zero problem is none.
type problem struct {
	key  string
	args map[string]any
}

// says returns the problem id, with the named values of kv (name, value
// pairs). Values are kept as the English sentence writes them: numbers in
// plain digits, a problem as a nested message.
func says(id string, kv ...any) problem {
	p := problem{key: id}
	if len(kv) > 0 {
		p.args = make(map[string]any, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		name, _ := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			p.args[name] = v
		case problem:
			p.args[name] = map[string]any{"key": v.key, "args": v.args}
		default:
			p.args[name] = fmt.Sprint(v)
		}
	}
	return p
}

// quoted is s as Go's %q writes it, as the sentences quote values.
func quoted(s string) string { return strconv.Quote(s) }

// found tells whether p is a problem.
func (p problem) found() bool { return p.key != "" }

// String is p in English.
func (p problem) String() string {
	if !p.found() {
		return ""
	}
	return say(i18n.English, p.key, p.args)
}

// of returns e saying p: its key, values and English.
func (e RowError) of(p problem) RowError {
	e.Key, e.Args, e.Message = p.key, p.args, p.String()
	return e
}

// MessageIn is e's message in l; its stored English when it has no key (a
// record from before migration 00026) or a key the message files no longer
// have.
func (e RowError) MessageIn(l i18n.Locale) string {
	if e.Key == "" || !known(e.Key) {
		return e.Message
	}
	return say(l, e.Key, e.Args)
}

func say(l i18n.Locale, key string, args map[string]any) string {
	kv := make([]any, 0, 2*len(args))
	for name, v := range args {
		if m, ok := v.(map[string]any); ok {
			k, _ := m["key"].(string)
			a, _ := m["args"].(map[string]any)
			v = say(l, k, a)
		}
		kv = append(kv, name, v)
	}
	return l.T("imports.row."+key, kv...)
}

var (
	catalogueOnce sync.Once
	catalogue     map[string]string
)

func known(key string) bool {
	catalogueOnce.Do(func() { catalogue = i18n.Messages(i18n.English) })
	_, ok := catalogue["imports.row."+key]
	return ok
}

// MessageIn is a failed import's message (Record.Message) in l: from its key,
// or as stored when it has none (an error of the database or the files).
func MessageIn(l i18n.Locale, key, stored string) string {
	if key == "" || !known(key) {
		return stored
	}
	return l.T("imports.row." + key)
}
