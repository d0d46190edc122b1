package ui

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The public board on the home screen, for anyone: what the partnership
// team is working on, what it resolved this quarter and when it meets next.
// It shows only kiosk.PublicBoard, which is built from the issues'
// summaries through kiosk.PublicSummary: no raiser, no description or other
// free text, no landmark outside public places, and for issues about
// people neither the settlement nor the day.

// Items of each list the home screen shows; the rest is counted.
const boardShown = 4

// boardItem is one issue as the board shows it, in the page's language.
type boardItem struct {
	Category kiosk.IssueCategory
	Place    string // settlement, with the landmark of a public place
	Status   kiosk.IssueStatus
	When     string // opened (active) or resolved, as a day or a month
	Actions  int
	Done     int
}

type boardView struct {
	Open          []boardItem
	OpenTotal     int
	OpenMore      int
	Resolved      []boardItem
	ResolvedTotal int
	ResolvedMore  int
	Quarter       string // "April-June 2026"
	Meeting       string // the next meeting's day and time, "" when none
	MeetingPlace  string
}

// publicWhen formats a PublicIssue date, "2006-01-02" or "2006-01".
func publicWhen(lang, s string) string {
	if t, err := time.ParseInLocation(time.DateOnly, s, kiosk.Zone); err == nil {
		return formatDay(lang, t)
	}
	if t, err := time.ParseInLocation("2006-01", s, kiosk.Zone); err == nil {
		return tr(lang, "cppt.month."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
	}
	return ""
}

func boardItems(lang string, list []kiosk.PublicIssue, ended bool) []boardItem {
	var out []boardItem
	for _, p := range list[:min(len(list), boardShown)] {
		it := boardItem{Category: p.Category, Place: p.Settlement, Status: p.Status, Actions: p.Actions, Done: p.ActionsDone}
		if p.Landmark != "" && p.Settlement != "" {
			it.Place += ", " + p.Landmark
		}
		if ended {
			it.When = publicWhen(lang, p.Ended)
		} else {
			it.When = publicWhen(lang, p.Opened)
		}
		out = append(out, it)
	}
	return out
}

// board is the home screen's board, or nil when the kiosk keeps no CPPT
// log or it cannot be read (the home screen must show anyway).
func (p *pages) board(c *gin.Context) *boardView {
	cp := p.d.CPPT
	if cp == nil {
		return nil
	}
	now := cp.Now()
	b, err := cp.PublicBoard(c.Request.Context(), now)
	if err != nil {
		p.d.Log.Error("public board", "err", err)
		return nil
	}
	lang := sess(c).lang
	v := &boardView{OpenTotal: b.OpenTotal, ResolvedTotal: b.ResolvedTotal,
		Open: boardItems(lang, b.Open, false), Resolved: boardItems(lang, b.Resolved, true)}
	v.OpenMore, v.ResolvedMore = b.OpenTotal-len(v.Open), b.ResolvedTotal-len(v.Resolved)
	qs, qe := kiosk.QuarterOf(now)
	last := qe.AddDate(0, 0, -1)
	v.Quarter = tr(lang, "cppt.month."+strconv.Itoa(int(qs.Month()))) + " - " +
		tr(lang, "cppt.month."+strconv.Itoa(int(last.Month()))) + " " + strconv.Itoa(qs.Year())
	if m := b.NextMeeting; m != nil {
		v.Meeting, v.MeetingPlace = formatDate(lang, m.Date), m.Place
	}
	return v
}
