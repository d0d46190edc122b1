package update

import (
	"fmt"
	"strconv"
	"strings"
)

// maxVersionParts bounds a version's length: 1.4.2.7 at most.
const maxVersionParts = 4

// ParseVersion parses a dotted version of one to four decimal numbers
// ("1", "1.4", "1.4.2"). Missing trailing parts count as zero, so 1.4 and
// 1.4.0 are the same version. Prefixes ("v1.4") and suffixes ("-rc1") are
// refused: a kiosk must be able to order every version it is offered.
func ParseVersion(s string) ([]uint64, error) {
	if s == "" {
		return nil, fmt.Errorf("version: empty: %w", ErrMalformed)
	}
	parts := strings.Split(s, ".")
	if len(parts) > maxVersionParts {
		return nil, fmt.Errorf("version %q: more than %d parts: %w", s, maxVersionParts, ErrMalformed)
	}
	out := make([]uint64, maxVersionParts)
	for i, p := range parts {
		if p == "" || len(p) > 9 || strings.Trim(p, "0123456789") != "" {
			return nil, fmt.Errorf("version %q: part %q is not a number of at most 9 digits: %w", s, p, ErrMalformed)
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("version %q: %w", s, ErrMalformed)
		}
		out[i] = n
	}
	return out, nil
}

// CompareVersions returns -1, 0 or +1 as a is older than, the same as, or
// newer than b.
func CompareVersions(a, b string) (int, error) {
	va, err := ParseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(b)
	if err != nil {
		return 0, err
	}
	for i := range va {
		switch {
		case va[i] < vb[i]:
			return -1, nil
		case va[i] > vb[i]:
			return 1, nil
		}
	}
	return 0, nil
}
