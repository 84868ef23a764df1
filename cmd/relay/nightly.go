package main

import (
	"context"
	"errors"
)

func runNightly(ctx context.Context, e *env, args []string) error {
	return errors.New("nightly: not built yet")
}
