package central

import (
	"strings"
	"testing"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
)

// The central refuses a report of the T series of training mode for good,
// should a kiosk ever send one: training records are never relayed.
func TestCentralRefusesTrainingNumbers(t *testing.T) {
	e := newEnv(t)
	d := e.enroll("ISF", 1)
	tr := kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26, Seq: 1, Training: true}.String()
	acks := e.batch(d, e.record(rec{id: uuid(1), number: tr}), e.record(rec{id: uuid(2), number: number("ISF", 1, 26, 1)}))
	if acks[0].Result != relay.AckRejected || !strings.Contains(acks[0].Reason, "training") {
		t.Fatalf("training report: %+v", acks[0])
	}
	if acks[1].Result != relay.AckAccepted {
		t.Fatalf("the real report of the same sequence: %+v", acks[1])
	}
}
