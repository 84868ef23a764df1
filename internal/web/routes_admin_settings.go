package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/views/pages"
)

// settingAreas are the areas of the settings page in order, each with the
// page that uses its settings (built by other parts of Relay; some may come
// later).
// Their label, page label and note are the messages
// settings.area.<key>, settings.area.<key>.page and settings.area.<key>.note.
var settingAreas = []pages.SettingArea{
	{Key: "segments", Page: "/segments"},
	{Key: "triggers", Page: "/effectiveness"},
	{Key: "warnings", Page: "/churn"},
	{Key: "contacts", Page: "/worklist"},
	{Key: "worklist", Page: "/worklist"},
	{Key: "nightly", Page: "/admin/runs"},
	{Key: "imports", Page: "/admin/imports"},
	{Key: "webhooks", Page: "/admin/webhooks"},
	{Key: "security", Note: "settings.area.security.note"},
	{Key: "sign-in", Page: "/login", Note: "settings.area.sign-in.note"},
}

// localAreas are settingAreas in the viewer's language.
func localAreas(ctx context.Context) []pages.SettingArea {
	out := make([]pages.SettingArea, len(settingAreas))
	for i, a := range settingAreas {
		a.Label = i18n.T(ctx, "settings.area."+a.Key)
		if a.Page != "" {
			a.PageLabel = i18n.T(ctx, "settings.area."+a.Key+".page")
		}
		if a.Note != "" {
			a.Note = i18n.T(ctx, a.Note)
		}
		out[i] = a
	}
	return out
}

// settingItem shapes a setting for its row.
func settingItem(ctx context.Context, st settings.Listed, csrf string) pages.SettingItem {
	l := i18n.From(ctx)
	it := pages.SettingItem{CSRF: csrf, Key: st.Key, Label: settings.LabelIn(l, st.Key, st.Label),
		Description: settings.DescriptionIn(l, st.Key, st.Description),
		Value:       st.Value, Current: st.Value, Default: st.DefaultValue, Kind: st.Kind,
		Changed: st.Value != st.DefaultValue}
	if st.MinValue != nil {
		it.Min = strconv.FormatFloat(*st.MinValue, 'f', -1, 64)
	}
	if st.MaxValue != nil {
		it.Max = strconv.FormatFloat(*st.MaxValue, 'f', -1, 64)
	}
	if st.Kind == "families" {
		for _, f := range products.Families {
			it.Choices = append(it.Choices, f.Value)
		}
	}
	if st.UpdatedByLogin != "" {
		it.UpdatedBy, it.UpdatedAt = st.UpdatedByLogin, i18n.DateTime(ctx, st.UpdatedAt)
	}
	return it
}

// settingsView groups the settings by area; edited, when not nil, replaces
// the row of its key (a value that came back with an error).
func (s *server) settingsView(c echo.Context, edited *pages.SettingItem) (pages.Settings, error) {
	ctx := ctxOf(c)
	all, err := s.Settings.List(ctx)
	if err != nil {
		return pages.Settings{}, err
	}
	csrf := s.csrfToken(c)
	areas := localAreas(ctx)
	index := map[string]int{}
	for i, a := range areas {
		index[a.Key] = i
	}
	for _, st := range all {
		i, ok := index[st.Area]
		if !ok {
			// an area this page does not know yet: shown last, under its own name
			i = len(areas)
			index[st.Area] = i
			areas = append(areas, pages.SettingArea{Key: st.Area, Label: strings.ToUpper(st.Area[:1]) + st.Area[1:]})
		}
		it := settingItem(ctx, st, csrf)
		if edited != nil && edited.Key == st.Key {
			it = *edited
		}
		areas[i].Items = append(areas[i].Items, it)
	}
	vm := pages.Settings{}
	for _, a := range areas {
		if len(a.Items) > 0 {
			vm.Areas = append(vm.Areas, a)
		}
	}
	return vm, nil
}

func (s *server) settingsList(c echo.Context) error {
	vm, err := s.settingsView(c, nil)
	if err != nil {
		return err
	}
	vm.Flash = s.popFlash(c)
	return render(c, http.StatusOK, pages.SettingsPage(s.layout(c, viewer(c), i18n.T(ctxOf(c), "settings.title"), "settings"), vm))
}

func (s *server) settingUpdate(c echo.Context) error {
	value := c.FormValue("value")
	return s.changeSetting(c, value, func(key string) (settings.Setting, error) {
		return s.Settings.Update(c.Request().Context(), actor(c), key, value)
	})
}

func (s *server) settingReset(c echo.Context) error {
	return s.changeSetting(c, "", func(key string) (settings.Setting, error) {
		return s.Settings.Reset(c.Request().Context(), actor(c), key)
	})
}

// changeSetting applies change to the setting of the path, then answers htmx
// with the setting's row and a browser with a redirect back to it; a value the
// setting refuses comes back beside the field with what was typed.
func (s *server) changeSetting(c echo.Context, typed string, change func(key string) (settings.Setting, error)) error {
	ctx := c.Request().Context()
	key := c.Param("key")
	before, err := s.Settings.Get(ctx, key)
	if err != nil {
		return err
	}
	_, err = change(key)
	if errors.Is(err, settings.ErrInvalid) {
		row, lerr := s.settingRow(c, key)
		if lerr != nil {
			return lerr
		}
		row.Value, row.Error = typed, settings.ProblemIn(i18n.From(ctx), err)
		if isHTMX(c) {
			return render(c, statusInvalid, pages.SettingRow(row))
		}
		vm, verr := s.settingsView(c, &row)
		if verr != nil {
			return verr
		}
		return render(c, statusInvalid, pages.SettingsPage(s.layout(c, viewer(c), i18n.T(ctx, "settings.title"), "settings"), vm))
	}
	if err != nil {
		return err
	}
	s.proxies.forget()
	row, err := s.settingRow(c, key)
	if err != nil {
		return err
	}
	msg := i18n.T(ctx, "settings.unchanged", "Value", displayValue(ctx, row.Current))
	if row.Current != before.Value {
		msg = i18n.T(ctx, "settings.saved", "From", displayValue(ctx, before.Value), "To", displayValue(ctx, row.Current))
	}
	if !isHTMX(c) {
		s.setFlash(c, row.Label+" — "+msg)
		return c.Redirect(http.StatusSeeOther, "/admin/settings#"+strings.ReplaceAll("setting-"+key, ".", "-"))
	}
	row.Saved = msg
	return render(c, http.StatusOK, pages.SettingRow(row))
}

// settingRow is the row of setting key as it is now.
func (s *server) settingRow(c echo.Context, key string) (pages.SettingItem, error) {
	all, err := s.Settings.List(c.Request().Context())
	if err != nil {
		return pages.SettingItem{}, err
	}
	for _, st := range all {
		if st.Key == key {
			return settingItem(ctxOf(c), st, s.csrfToken(c)), nil
		}
	}
	return pages.SettingItem{}, echo.NewHTTPError(http.StatusNotFound, i18n.T(ctxOf(c), "settings.nosuch", "Key", key))
}

func displayValue(ctx context.Context, v string) string {
	if v == "" {
		return i18n.T(ctx, "settings.empty")
	}
	return v
}
