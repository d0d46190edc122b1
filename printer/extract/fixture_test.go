package extract

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"
)

// testKey returns a deterministic ed25519 key named by seed, so signatures
// and therefore goldens are stable.
func testKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("cpc kiosk test key " + seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func tm(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sample is a full extract in lang: reporter, history with a decision.
func sample(lang string) *Extract {
	occ := tm("2026-03-01T21:30:00+05:00")
	return &Extract{
		DocumentID:  "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f",
		Number:      "ISF1-26-000123-4",
		IssuedAt:    tm("2026-03-14T10:15:42Z"),
		Lang:        lang,
		Ministry:    "Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон",
		Centre:      "Маркази ҳамкории полис ва ҷомеа, ш. Истаравшан",
		Category:    "theft",
		CreatedAt:   tm("2026-03-02T09:05:10Z"),
		ClockSynced: true,
		Reporter: &Person{
			FullName: "Раҳимова Гулчеҳра Қурбоновна",
			Phone:    "+992 92 123 45 67",
			IDNumber: "A 01234567",
			Address:  "ш. Истаравшан, кӯчаи Ҳофизи Шерозӣ, 12, ҳуҷраи 5",
		},
		Incident: Incident{
			OccurredAt:  &occ,
			Place:       "бозори марказӣ, назди дарвозаи ҷанубӣ",
			Description: "Ҳангоми харид аз сумкаам ҳамёнро бо шиносномаи ҳамроҳ ва 850 сомонӣ дуздиданд. Шахси гумонбар ҷавони қадбаланд буд, куртаи сиёҳ дошт.",
		},
		History: []Event{
			{Status: "received", At: tm("2026-03-02T09:05:10Z")},
			{Status: "relayed", At: tm("2026-03-02T09:07:55Z")},
			{Status: "registered", At: tm("2026-03-02T11:40:00Z"), Note: "КҶ № 512"},
			{Status: "under_review", At: tm("2026-03-03T08:00:00Z"), Note: "нозири минтақавӣ Саидов Ф."},
			{Status: "decided", At: tm("2026-03-10T15:20:00Z"), Note: "қарори 10.03.2026"},
		},
		Decision:   "case_opened",
		CaseNumber: "ПҶ-2026/0412",
	}
}

// deviceSigner signs as an enrolled kiosk: device key plus a certificate from
// the central key "central".
func deviceSigner(t testing.TB) Signer {
	t.Helper()
	dev := testKey("device")
	cert, err := IssueCertificate(Certificate{
		DeviceID: KeyID(pub(dev)), CPC: "ISF", Kiosk: 1, PublicKey: pub(dev),
		NotBefore: tm("2026-01-01T00:00:00Z"), NotAfter: tm("2027-01-01T00:00:00Z"),
	}, testKey("central"))
	if err != nil {
		t.Fatal(err)
	}
	return Signer{Key: dev, Certificate: cert}
}
