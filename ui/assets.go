package ui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// Everything the pages load is embedded: nothing comes from the network or
// from the machine's own files.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func mustParseTemplates() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || base == "parts" || base == "lookup" {
			continue // shared by every page
		}
		t := template.Must(template.New(base).Funcs(templateFuncs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", "templates/lookup.html", n))
		out[base] = t
	}
	return out
}

var templateFuncs = template.FuncMap{
	"steps": func() []string { return steps },
	"whens": func() []string { return []string{"today", "yesterday", "date", "unknown"} },
	"inc":   func(i int) int { return i + 1 },
}

// asset is one static file, ready to send plain or gzipped.
type asset struct {
	ctype string
	plain []byte
	once  sync.Once
	gz    []byte // nil when gzip does not pay
}

// assets maps a path under /static/ to its file.
var assets = mustLoadAssets()

func mustLoadAssets() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "static/")] = newAsset(path.Ext(p), b)
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func newAsset(ext string, b []byte) *asset {
	ct := mime.TypeByExtension(ext)
	switch ext {
	case ".ttf":
		ct = "font/ttf"
	case ".svg":
		ct = "image/svg+xml"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	}
	return &asset{ctype: ct, plain: b}
}

// gzipped returns the asset compressed, or nil when gzip does not pay. It is
// computed on first use, not at start: kioskd must serve its first request
// within milliseconds of a power cut.
func (a *asset) gzipped() []byte {
	a.once.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.plain)
		zw.Close()
		if buf.Len() < len(a.plain)*9/10 {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// The pages' font, static/font.ttf, is DejaVu Sans cut down to the letters
// the kiosk can show or type (fontsubset.go). It is made by
// `go test ./ui -run TestPageFont -update` and embedded like any asset, so
// the cost of cutting it is paid once, not at every start;
// TestPageFontUpToDate fails when the catalogs or templates need letters it
// lacks.

func serveStatic(c *gin.Context) {
	a := assets[strings.TrimPrefix(c.Param("file"), "/")]
	if a == nil {
		c.Status(http.StatusNotFound)
		return
	}
	// The assets hold nothing personal and change only with the program.
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("Vary", "Accept-Encoding")
	if gz := a.gzipped(); gz != nil && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, a.ctype, gz)
		return
	}
	c.Data(http.StatusOK, a.ctype, a.plain)
}
