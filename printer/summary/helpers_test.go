package summary

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// needTool returns the path of an external program. When it is missing the
// test fails under CI (CI=true), where the program must be installed, and
// is skipped elsewhere.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (apt-get install -y poppler-utils): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test -update creates it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got: %.600s\nwant: %.600s", name, got, want)
	}
}

// pdfTool runs a poppler tool on a PDF and returns its output.
func pdfTool(t testing.TB, tool string, pdf []byte, args ...string) string {
	t.Helper()
	bin := needTool(t, tool)
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append(args, in, "-")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

func pdfText(t testing.TB, pdf []byte) string {
	return pdfTool(t, "pdftotext", pdf, "-enc", "UTF-8", "-layout")
}

// pdfPages is the page count pdfinfo reports.
func pdfPages(t testing.TB, pdf []byte) int {
	t.Helper()
	bin := needTool(t, "pdfinfo")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	var n int
	for _, line := range bytes.Split(out, []byte("\n")) {
		if _, err := fmt.Sscanf(string(line), "Pages: %d", &n); err == nil {
			return n
		}
	}
	t.Fatalf("pdfinfo gave no page count:\n%s", out)
	return 0
}

var (
	monthsTG = []string{"Январ", "Феврал", "Март"}
	weeksTG  = []string{"Ҳ01", "Ҳ02", "Ҳ03", "Ҳ04", "Ҳ05", "Ҳ06", "Ҳ07", "Ҳ08", "Ҳ09", "Ҳ10", "Ҳ11", "Ҳ12", "Ҳ13"}
	issueCat = []string{"Рӯшноии кӯчаҳо", "Ҷавонон ва мактаб", "Зӯроварӣ дар оила", "Ҳаракат дар роҳ",
		"Маводи мухаддир", "Дуздии чорво", "Муҳоҷирати меҳнатӣ", "Обу корез", "Дигар"}
	reportCat   = []string{"Дуздӣ", "Қаллобӣ", "Латукӯб", "Зӯроварӣ дар оила", "Ҳаракат дар роҳ", "Дигар"}
	settlements = []string{"Ҳисор", "Шаҳринав", "Деҳаи Ғаллаорол", "Маҳаллаи Қаҳрамон", "Турсунзода"}
	statuses    = []string{"Кушода", "Дар иҷро", "Интизори ҷавоб"}
	priorities  = []string{"Баланд", "Миёна", "Паст"}
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Dushanbe)
	if err != nil {
		panic(err)
	}
	return t
}

// sample is a quarter of a centre's CPPT work in Tajik, with n open issues.
func sample(n int) *Summary {
	s := &Summary{
		Lang: "tg", Centre: "Маркази милитсияи ҷамъиятии ноҳияи Ҳисор",
		From: at("2026-01-01 00:00"), To: at("2026-03-31 00:00"), Prepared: at("2026-04-02 10:30"),
		ResolvedThisQuarter: 37, OverdueActions: 4,
		Months: monthsTG, Opened: []int{14, 19, 12}, Resolved: []int{11, 15, 11},
		ResolutionDays: []int{1, 3, 4, 6, 7, 9, 10, 12, 13, 14, 17, 21, 25, 29, 33, 40, 45, 58, 64, 75, 95, 130},
		Weeks:          weeksTG,
	}
	for i, name := range issueCat {
		s.ByCategory = append(s.ByCategory, Row{name, []int{(i*3 + 1) % 6, (i*5 + 2) % 7, (i * 2) % 5}})
	}
	for i, name := range reportCat {
		row := Row{Name: name}
		for w := range weeksTG {
			row.Counts = append(row.Counts, (i*7+w*w*3+w/3)%7)
		}
		s.ReportsByCategory = append(s.ReportsByCategory, row)
	}
	for i := range n {
		is := Issue{
			Number:     fmt.Sprintf("CPT-26-%04d", i+1),
			Category:   issueCat[i%len(issueCat)],
			Settlement: settlements[i%len(settlements)],
			Status:     statuses[i%len(statuses)],
			Priority:   priorities[i%len(priorities)],
		}
		if i%4 != 3 {
			is.NextDue = at("2026-03-20 00:00").AddDate(0, 0, (i*5)%40)
		}
		s.OpenIssues = append(s.OpenIssues, is)
	}
	return s
}
