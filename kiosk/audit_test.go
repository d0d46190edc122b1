package kiosk

import (
	"errors"
	"fmt"
	"testing"
)

func chain(n int) ([]AuditEntry, AuditHead) {
	var head AuditHead
	var es []AuditEntry
	for i := 0; i < n; i++ {
		e := AuditEntry{At: now, Actor: "citizen", Action: "report.create", Record: fmt.Sprintf("r%d", i)}
		head = e.Link(head)
		es = append(es, e)
	}
	return es, head
}

func verify(es []AuditEntry, head AuditHead) error {
	var v AuditVerifier
	for _, e := range es {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	_, err := v.Done(head)
	return err
}

func TestAuditChain(t *testing.T) {
	es, head := chain(5)
	if err := verify(es, head); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	for _, tc := range []struct {
		name   string
		tamper func([]AuditEntry) []AuditEntry
		head   AuditHead
	}{
		{"edited detail", func(es []AuditEntry) []AuditEntry { es[2].Detail = "x"; return es }, head},
		{"edited actor, hash recomputed", func(es []AuditEntry) []AuditEntry {
			es[2].Actor = "officer"
			es[2].Hash = es[2].sum()
			return es
		}, head},
		{"entry removed", func(es []AuditEntry) []AuditEntry { return append(es[:2], es[3:]...) }, head},
		{"entries swapped", func(es []AuditEntry) []AuditEntry { es[1], es[2] = es[2], es[1]; return es }, head},
		{"end cut off", func(es []AuditEntry) []AuditEntry { return es[:4] }, head},
		{"first removed", func(es []AuditEntry) []AuditEntry { return es[1:] }, head},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, _ := chain(5)
			if err := verify(tc.tamper(es), tc.head); !errors.Is(err, ErrAuditBroken) {
				t.Fatalf("tampering not detected: %v", err)
			}
		})
	}
}
