package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"cpckiosk/kiosk"
)

// The message catalogs: flat JSON objects, key → text, with {0}, {1}… for
// arguments. locales/<lang>.json holds the citizen's pages; each area of the
// staff console keeps its own locales/<area>.<lang>.json. The files of a
// language are merged; a key defined twice is a bug and stops the program.
// Every language has every key (TestCatalogsComplete).
//
//go:embed locales/*.json
var localeFS embed.FS

// catalogs maps a language code to its messages.
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]map[string]string {
	c, err := loadCatalogs(localeFS)
	if err != nil {
		panic("ui: " + err.Error())
	}
	return c
}

func loadCatalogs(fsys fs.FS) (map[string]map[string]string, error) {
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, lang := range kiosk.Languages {
		out[lang] = map[string]string{}
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".json")
		lang := base[strings.LastIndexByte(base, '.')+1:]
		cat, ok := out[lang]
		if !ok {
			return nil, fmt.Errorf("catalog %s: %q is not a language of the kiosk", n, lang)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", n, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", n, err)
		}
		for k, v := range m {
			if _, dup := cat[k]; dup {
				return nil, fmt.Errorf("catalog %s: key %q is defined in another file of %s too", n, k, lang)
			}
			cat[k] = v
		}
	}
	return out, nil
}

// defaultLang is the language of a new session (DESIGN 3.6).
var defaultLang = kiosk.Languages[0]

func validLang(l string) bool { return slices.Contains(kiosk.Languages, l) }

// missingMark wraps a key with no message, so tests (and people) see it.
const missingMark = "⟦"

// tr returns the message key in lang with its arguments filled in.
func tr(lang, key string, args ...any) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		return missingMark + key + "⟧"
	}
	for i, a := range args {
		msg = strings.ReplaceAll(msg, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return msg
}

// has reports whether lang's catalog has key.
func has(lang, key string) bool { _, ok := catalogs[lang][key]; return ok }

// formatDate writes t (in Tajikistan time) the way lang writes dates, with
// month names from the catalog ("2 июни 2026, 14:30", "2 июня 2026 г., 14:30").
func formatDate(lang string, t time.Time) string {
	t = t.In(kiosk.Zone)
	return tr(lang, "date.format", t.Day(), tr(lang, "month."+strconv.Itoa(int(t.Month()))), t.Year(),
		fmt.Sprintf("%02d", t.Hour()), fmt.Sprintf("%02d", t.Minute()))
}

// formatDay writes a date without the time.
func formatDay(lang string, t time.Time) string {
	t = t.In(kiosk.Zone)
	return tr(lang, "date.day", t.Day(), tr(lang, "month."+strconv.Itoa(int(t.Month()))), t.Year())
}

// fieldError turns a domain field error into a message in the catalog:
// err.<field>.<code> when the field has its own wording, else err.<code>,
// else err.invalid. Limits are filled in for too_long.
func fieldError(f kiosk.FieldError) fieldMsg {
	var args []any
	if f.Code == "too_long" {
		args = []any{maxLen[f.Field]}
	}
	for _, k := range []string{"err." + f.Field + "." + f.Code, "err." + f.Code} {
		if has(defaultLang, k) {
			return fieldMsg{Key: k, Args: args}
		}
	}
	return fieldMsg{Key: "err.invalid"}
}

var maxLen = map[string]int{
	"reporter.full_name": kiosk.MaxNameLen, "reporter.phone": kiosk.MaxPhoneLen,
	"reporter.id_number": kiosk.MaxIDNumberLen, "reporter.address": kiosk.MaxAddressLen,
	"incident.place": kiosk.MaxPlaceLen, "incident.description": kiosk.MaxDescriptionLen,
}
