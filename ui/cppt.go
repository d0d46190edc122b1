package ui

// registerCPPT adds the cppt pages and their JSON API (see staff.go for
// page, api and the role guard).
func (s *staff) registerCPPT() {}
