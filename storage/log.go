package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// badgerLogger routes Badger's log to slog: Errorf, Warningf and Debugf
// log at the slog level of the same name, Infof at debug (Badger reports
// every table and compaction there, which is no news for an operator), with
// the message trimmed, its first letter lowercased, and component=badger.
type badgerLogger struct {
	l *slog.Logger
}

func (b badgerLogger) Errorf(format string, args ...any) {
	b.log(slog.LevelError, format, args)
}

func (b badgerLogger) Warningf(format string, args ...any) {
	b.log(slog.LevelWarn, format, args)
}

func (b badgerLogger) Infof(format string, args ...any) {
	b.log(slog.LevelDebug, format, args)
}

func (b badgerLogger) Debugf(format string, args ...any) {
	b.log(slog.LevelDebug, format, args)
}

func (b badgerLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !b.l.Enabled(ctx, level) {
		return // Badger logs a lot at debug: skip the Sprintf
	}
	msg := lowerFirst(strings.TrimSpace(fmt.Sprintf(format, args...)))
	b.l.Log(ctx, level, msg, "component", "badger")
}

// lowerFirst lowercases the first letter of s unless the second is upper
// case too, so "Replaying file" becomes "replaying file" but "L0" and
// "MANIFEST" stay as they are.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) || unicode.IsDigit(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
