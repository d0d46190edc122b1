package kiosk

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Edges map them to replies (404, 429, 503...); callers test
// them with errors.Is.
var (
	// ErrNotFound: no such record, or the access code does not match. The two
	// are deliberately the same error so that a caller learns nothing from it.
	ErrNotFound = errors.New("not found")
	// ErrRateLimited: too many wrong access codes for a number or a client.
	ErrRateLimited = errors.New("too many attempts")
	// ErrInvalidNumber: the text is not a registration number or its check
	// digit is wrong.
	ErrInvalidNumber = errors.New("invalid registration number")
	// ErrTransition: the requested status change is not allowed.
	ErrTransition = errors.New("status change not allowed")
	// ErrUnavailable: the record could not be committed durably (disk full,
	// I/O error). Nothing was half-written.
	ErrUnavailable = errors.New("storage unavailable")
	// ErrStorageFull: free disk space is below the reserve kept for the
	// database; new reports are refused before the store could fail.
	ErrStorageFull = errors.New("storage almost full")
	// ErrCentralNeeded: the record's personal details are kept only at the
	// central now (deleted here after the retention period) and the central
	// cannot be reached.
	ErrCentralNeeded = errors.New("the central system is needed for this record and cannot be reached")
	// ErrAuditBroken: the audit trail was edited, reordered or cut.
	ErrAuditBroken = errors.New("audit trail broken")
)

// FieldError is one problem with one input field. Field is a dotted JSON path
// such as "reporter.full_name"; Code is a stable machine word the UI translates.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in an input, field by field.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = fmt.Sprintf("%s: %s", f.Field, f.Message)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, code, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}
