package i18n

import (
	"math"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// Messages are kept twice: in go-i18n's bundle, and compiled here into
// literal text and named values, so that T and Plural put a message together
// by concatenation instead of executing a text/template (reflection, a map of
// the values, a buffer: about 2 s of CPU per 100,000 rows of the churn
// export, which writes seven signal sentences a row). A message or a call the
// compiled form cannot answer exactly as go-i18n does (a template with more
// than {{.Name}} actions, a value that is not a string or an integer, a
// missing value, a plural form the message lacks, a language without it)
// goes to go-i18n. TestCompiledMessagesAsGoI18n compares both for every
// message, language and plural form.

// piece is literal text, or the value named name when name is not empty.
type piece struct {
	text, name string
}

// compiledForm is one plural form of a message; nil: none, or not compiled.
type compiledForm []piece

// compiledMessage holds a message's forms by pluralForm.
type compiledMessage [formCount]compiledForm

// Plural forms, as CLDR names them; formOther is what T reads.
const (
	formOther = iota
	formZero
	formOne
	formTwo
	formFew
	formMany
	formCount
)

// compiled holds every language's messages by id, built with the bundle.
var compiled = map[Locale]map[string]*compiledMessage{}

// compileFile adds a parsed message file's messages to compiled.
func compileFile(f *goi18n.MessageFile) {
	l, ok := Parse(f.Tag.String())
	if !ok {
		return
	}
	msgs := compiled[l]
	if msgs == nil {
		msgs = map[string]*compiledMessage{}
		compiled[l] = msgs
	}
	for _, m := range f.Messages {
		if (m.LeftDelim != "" && m.LeftDelim != "{{") || (m.RightDelim != "" && m.RightDelim != "}}") {
			delete(msgs, m.ID) // go-i18n only
			continue
		}
		var c compiledMessage
		for form, src := range map[int]string{formOther: m.Other, formZero: m.Zero, formOne: m.One, formTwo: m.Two,
			formFew: m.Few, formMany: m.Many} {
			if src != "" {
				c[form] = compileForm(src)
			}
		}
		msgs[m.ID] = &c
	}
}

// compileForm splits a template made of text and {{.Name}} actions only;
// nil for anything else, which go-i18n then executes.
func compileForm(src string) compiledForm {
	if !strings.Contains(src, "{{") {
		return compiledForm{{text: src}}
	}
	t, err := template.New("").Parse(src)
	if err != nil || t.Tree == nil {
		return nil
	}
	var out compiledForm
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, piece{text: string(n.Text)})
		case *parse.ActionNode:
			p := n.Pipe
			if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 {
				return nil
			}
			out = append(out, piece{name: f.Ident[0]})
		default:
			return nil
		}
	}
	if out == nil {
		out = compiledForm{} // an empty message is still compiled
	}
	return out
}

// compiledText is message id of locale l in the plural form for count (or
// T's form when plural is false), with the named values of kv and, for a
// plural, Count; ok is false when go-i18n must answer instead.
func (l Locale) compiledText(id string, plural bool, n int64, kv []any) (string, bool) {
	m := compiled[l][id]
	if m == nil || n == math.MinInt64 {
		return "", false
	}
	form := formOther
	if plural {
		form = l.pluralForm(n)
	}
	f := m[form]
	if f == nil {
		return "", false
	}
	if len(f) == 1 && f[0].name == "" {
		return f[0].text, true
	}
	var b strings.Builder
	for _, p := range f {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		if plural && p.name == "Count" { // Plural sets Count after kv's values
			b.WriteString(l.Int(n))
			continue
		}
		v, ok := value(kv, p.name)
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// value is the last value kv names name, as data's map would hold it.
func value(kv []any, name string) (any, bool) {
	var v any
	found := false
	for i := 0; i+1 < len(kv); i += 2 {
		if k, _ := kv[i].(string); k == name {
			v, found = kv[i+1], true
		}
	}
	return v, found
}

// pluralForm is the CLDR plural form of the whole number n in locale l
// (go-i18n's rules for these three languages, for integers: no visible
// fraction digits).
func (l Locale) pluralForm(n int64) int {
	i := n
	if i < 0 {
		i = -i
	}
	switch l {
	case English, Bulgarian:
		if i == 1 {
			return formOne
		}
		return formOther
	case Russian:
		mod10, mod100 := i%10, i%100
		switch {
		case mod10 == 1 && mod100 != 11:
			return formOne
		case mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14):
			return formFew
		default:
			return formMany
		}
	}
	return formOther
}
