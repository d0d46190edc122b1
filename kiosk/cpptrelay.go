package kiosk

// CPPTPending is a pending entry of the CPPT outbox with its record as the
// change that queued the entry left it. A later change of the record
// replaces the entry (with a higher Seq), so while an entry is pending the
// record's state is the one that entry stands for: the relay sends it as
// version Entry.Seq of the record, and a resend of the same version carries
// the same content. Issue or Meeting (by Entry.Type) is nil when the record
// is gone from the kiosk.
type CPPTPending struct {
	Entry   OutboxEntry
	Issue   *CPPTIssue
	Meeting *Meeting
}
