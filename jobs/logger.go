package jobs

import (
	"fmt"
	"log/slog"
	"os"
)

// SlogAdapter lets asynq log through slog.
type SlogAdapter struct{ L *slog.Logger }

func (a SlogAdapter) Debug(args ...any) { a.L.Debug(fmt.Sprint(args...)) }
func (a SlogAdapter) Info(args ...any)  { a.L.Info(fmt.Sprint(args...)) }
func (a SlogAdapter) Warn(args ...any)  { a.L.Warn(fmt.Sprint(args...)) }
func (a SlogAdapter) Error(args ...any) { a.L.Error(fmt.Sprint(args...)) }
func (a SlogAdapter) Fatal(args ...any) { a.L.Error(fmt.Sprint(args...)); os.Exit(1) }
