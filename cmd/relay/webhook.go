package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/webhooks"
)

const webhookUsage = "webhook: use `relay webhook add --url URL --events E1,E2 [--description D]`, `relay webhook list` or `relay webhook enable|disable|delete --id N`"

// runWebhook manages the webhook endpoints as the admin page does, audited
// as the CLI.
func runWebhook(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errors.New(webhookUsage)
	}
	verb := args[0]
	fs := newFlags(e, "webhook "+verb)
	var url, events, description *string
	var id *int64
	switch verb {
	case "add":
		url = fs.String("url", "", "the receiver's URL (https; http only to a private address when webhook.allow_http_private is 1)")
		events = fs.String("events", "", "the events, comma-separated: "+eventNames())
		description = fs.String("description", "", "what receives it")
	case "enable", "disable", "delete":
		id = fs.Int64("id", 0, "the endpoint's id (relay webhook list)")
	case "list":
	default:
		return errors.New(webhookUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pool, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	cli := audit.Actor{Login: "cli"}
	switch verb {
	case "add":
		var list []string
		for _, ev := range strings.Split(*events, ",") {
			if ev = strings.TrimSpace(ev); ev != "" {
				list = append(list, ev)
			}
		}
		n, secret, err := webhooks.Create(ctx, pool, cli, webhooks.NewEndpoint{URL: *url, Description: *description, Events: list})
		if err != nil {
			return fmt.Errorf("webhook add: %w", err)
		}
		fmt.Fprintf(e.stdout, "endpoint %d registered\nsecret (shown this once): %s\n", n, secret)
	case "list":
		list, err := webhooks.Endpoints(ctx, pool)
		if err != nil {
			return err
		}
		for _, ep := range list {
			state := "enabled"
			if !ep.Enabled {
				state = "disabled"
			}
			fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\tpending %d\tfailed %d\n", ep.ID, state, ep.URL,
				strings.Join(ep.Events, ","), ep.Pending, ep.Failed)
		}
	case "enable", "disable":
		if err := webhooks.SetEnabled(ctx, pool, cli, *id, verb == "enable"); err != nil {
			return fmt.Errorf("webhook %s: %w", verb, err)
		}
		fmt.Fprintf(e.stdout, "endpoint %d %sd\n", *id, verb)
	case "delete":
		if err := webhooks.Delete(ctx, pool, cli, *id); err != nil {
			return fmt.Errorf("webhook delete: %w", err)
		}
		fmt.Fprintf(e.stdout, "endpoint %d deleted\n", *id)
	}
	return nil
}

func eventNames() string {
	names := make([]string, len(webhooks.Events))
	for i, ev := range webhooks.Events {
		names[i] = string(ev.Event)
	}
	return strings.Join(names, ", ")
}
