package pages

import (
	"context"
	"net/url"
	"strconv"

	"github.com/relaycrm/relay/internal/i18n"
)

func webhookAction(id int64, verb string) string {
	return "/admin/webhooks/" + strconv.FormatInt(id, 10) + "/" + verb
}

func enableVerb(enabled bool) string {
	if enabled {
		return "disable"
	}
	return "enable"
}

func enableLabel(ctx context.Context, enabled bool) string {
	if enabled {
		return i18n.T(ctx, "webhooks.disable")
	}
	return i18n.T(ctx, "webhooks.enable")
}

func boolText(b bool) string { return strconv.FormatBool(b) }

func deliveriesHref(status string, offset int) string {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	q.Set("offset", strconv.Itoa(offset))
	return "/admin/webhooks?" + q.Encode()
}
