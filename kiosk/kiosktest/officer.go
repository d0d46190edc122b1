package kiosktest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cpckiosk/kiosk"
)

// ReportSummaries implements kiosk.ReportLister by walking every report:
// newest first (creation time, then number), the reference the store's
// index is tested against.
func (s *Store) ReportSummaries(ctx context.Context, f kiosk.ReportFilter) ([]kiosk.ReportSummary, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reads++
	all := make([]kiosk.ReportSummary, 0, len(s.reports))
	for _, r := range s.reports {
		all = append(all, r.Summary())
	}
	slices.SortFunc(all, func(a, b kiosk.ReportSummary) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.Number.String(), a.Number.String())
	})
	var out []kiosk.ReportSummary
	n := 0
	for k := range all {
		if !f.Match(&all[k]) {
			continue
		}
		if n >= f.Offset && (f.Limit == 0 || len(out) < f.Limit) {
			out = append(out, all[k])
		}
		n++
	}
	return out, n, nil
}

// UpdateReportPrint implements kiosk.ReceiptReissuer: the report's change,
// the print job and the audit entry, all or nothing.
func (s *Store) UpdateReportPrint(ctx context.Context, id string, fn func(*kiosk.Report) error, j *kiosk.PrintJob, a kiosk.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return fmt.Errorf("fake store: %w", s.Err)
	}
	n, ok := s.ids[id]
	if !ok {
		return kiosk.ErrNotFound
	}
	r := clone(s.reports[n])
	if err := fn(r); err != nil {
		return err
	}
	s.reports[n] = r
	j.ID = uint64(len(s.Jobs) + 1)
	j.ReportID = id
	s.Jobs = append(s.Jobs, *j)
	s.head = a.Link(s.head)
	s.Audit = append(s.Audit, a)
	return nil
}
