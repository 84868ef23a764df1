package main

import (
	"context"
	"errors"
)

func exportFeed(ctx context.Context, e *env, args []string) error {
	return errors.New("export feed: not built yet")
}
