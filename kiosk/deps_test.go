package kiosk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageRules enforces the architecture of DESIGN 2 and STYLE 14:
// every package has a doc comment; the domain imports no project package,
// no gin and no bbolt; only the stores (kiosk/store, kiosk/central) import bbolt and only ui imports gin;
// cmd/* imports no bbolt or gin directly.
func TestPackageRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{.Doc}}|{{join .Imports \" \"}}", "cpckiosk/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, doc, imports := parts[0], parts[1], strings.Fields(parts[2])
		if doc == "" {
			t.Errorf("%s has no package doc comment", pkg)
		}
		for _, imp := range imports {
			switch {
			case pkg == "cpckiosk/kiosk" && strings.HasPrefix(imp, "cpckiosk/"):
				t.Errorf("the domain imports %s", imp)
			case strings.HasPrefix(imp, "go.etcd.io/bbolt") && pkg != "cpckiosk/kiosk/store" && pkg != "cpckiosk/kiosk/central":
				t.Errorf("%s imports bbolt: only kiosk/store and kiosk/central (the reference central's own store) may", pkg)
			case strings.HasPrefix(imp, "github.com/gin-gonic/") && !strings.HasPrefix(pkg, "cpckiosk/ui"):
				t.Errorf("%s imports gin: only ui may", pkg)
			}
		}
	}
}
