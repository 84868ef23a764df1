package main

import (
	"context"
	"errors"
)

func exportTriggers(ctx context.Context, e *env, args []string) error {
	return errors.New("export triggers: not built yet")
}

func exportWarnings(ctx context.Context, e *env, args []string) error {
	return errors.New("export warnings: not built yet")
}
