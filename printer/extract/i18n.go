package extract

import (
	"strings"
	"time"
)

// texts are the words of an extract in one language. The terms follow
// shared/GLOSSARY.md; Uzbek is in Cyrillic, as the glossary gives it.
type texts struct {
	Title       string // the document's name, on the page and in the PDF title
	Subtitle    string
	Number      string // registration number
	DocumentID  string
	IssuedAt    string
	CreatedAt   string
	Category    string
	Status      string // current status
	StatusCol   string // column heading of the history
	Decision    string
	CaseNumber  string
	Reporter    string // section heading
	FullName    string
	Phone       string
	IDNumber    string
	Address     string
	Anonymous   string // shown instead of the reporter of an anonymous tip
	Withheld    string // shown when the requester may not see the reporter
	Incident    string // section heading
	OccurredAt  string
	Place       string
	Description string
	NotStated   string
	History     string // section heading
	When        string
	Note        string
	ClockUnsync string // note after a time from an unsynchronised clock
	Stamp       string // word in the middle of the stamp
	Code        string // verification code
	Device      string
	VerifyNote  string // how to check the extract; must contain the word for "extract"
	Page        string // "page %d of %s"; %s is the total
	Categories  map[string]string
	Statuses    map[string]string
	Decisions   map[string]string
	months      []string // genitive month names, or nil for numeric dates
}

var lang = map[string]*texts{
	"tg": {
		Title:       "ИҚТИБОС",
		Subtitle:    "аз хабар дар бораи ҷиноят",
		Number:      "Рақами бақайдгирӣ",
		DocumentID:  "Мушаххаси ҳуҷҷат",
		IssuedAt:    "Санаи додани иқтибос",
		CreatedAt:   "Санаи қабули хабар",
		Category:    "Навъи ҳодиса",
		Status:      "Ҳолати ҷорӣ",
		StatusCol:   "Ҳолат",
		Decision:    "Қарор",
		CaseNumber:  "Рақами парванда",
		Reporter:    "Аризадиҳанда",
		FullName:    "Ному насаб",
		Phone:       "Телефон",
		IDNumber:    "Рақами ҳуҷҷати шахсият",
		Address:     "Суроға",
		Anonymous:   "Хабари беном: маълумот дар бораи аризадиҳанда нигоҳ дошта намешавад.",
		Withheld:    "Маълумоти шахсии аризадиҳанда дар ин иқтибос нишон дода намешавад.",
		Incident:    "Ҳодиса",
		OccurredAt:  "Вақти ҳодиса",
		Place:       "Ҷойи ҳодиса",
		Description: "Мазмуни хабар",
		NotStated:   "нишон дода нашудааст",
		History:     "Таърихи ҳолатҳо",
		When:        "Сана ва вақт",
		Note:        "Эзоҳ",
		ClockUnsync: "вақт аз рӯи соати киоск, ки ҳанӯз ҳамоҳанг нашуда буд",
		Stamp:       "ИҚТИБОС",
		Code:        "Рамзи санҷиш",
		Device:      "Дастгоҳ",
		VerifyNote: "Ин иқтибос бо имзои электронии киоск тасдиқ шудааст. Барои санҷиш рамзи QR-ро скан кунед " +
			"ё рамзи санҷишро ба маркази хидматрасонӣ хабар диҳед.",
		Page: "Саҳифаи %d аз %s",
		Categories: map[string]string{
			"theft": "дуздӣ", "robbery": "ғоратгарӣ", "assault": "латукӯб", "fraud": "қаллобӣ",
			"domestic_violence": "зӯроварӣ дар оила", "missing_person": "шахси бедарак гумшуда",
			"lost_documents": "гум шудани ҳуҷҷатҳо", "drugs": "маводи мухаддир", "traffic": "ҳаракат дар роҳ",
			"corruption": "коррупсия", "other": "дигар",
		},
		Statuses: map[string]string{
			"received": "қабул шуд", "relayed": "ба низоми марказӣ фиристода шуд",
			"registered": "ба қайд гирифта шуд", "under_review": "дар баррасӣ",
			"decided": "қарор қабул шуд", "closed": "пӯшида шуд",
		},
		Decisions: map[string]string{
			"case_opened": "парвандаи ҷиноятӣ оғоз шуд",
			"refused":     "дар оғози парвандаи ҷиноятӣ рад карда шуд",
			"transferred": "аз рӯи тобеият фиристода шуд",
		},
		months: []string{"январи", "феврали", "марти", "апрели", "майи", "июни", "июли", "августи",
			"сентябри", "октябри", "ноябри", "декабри"},
	},
	"ru": {
		Title:       "ВЫПИСКА",
		Subtitle:    "по сообщению о преступлении",
		Number:      "Регистрационный номер",
		DocumentID:  "Идентификатор документа",
		IssuedAt:    "Дата выдачи выписки",
		CreatedAt:   "Дата приёма сообщения",
		Category:    "Вид происшествия",
		Status:      "Текущий статус",
		StatusCol:   "Статус",
		Decision:    "Решение",
		CaseNumber:  "Номер дела",
		Reporter:    "Заявитель",
		FullName:    "Фамилия, имя, отчество",
		Phone:       "Телефон",
		IDNumber:    "Номер документа, удостоверяющего личность",
		Address:     "Адрес",
		Anonymous:   "Анонимное сообщение: сведения о заявителе не хранятся.",
		Withheld:    "Персональные данные заявителя в этой выписке не приводятся.",
		Incident:    "Происшествие",
		OccurredAt:  "Время происшествия",
		Place:       "Место происшествия",
		Description: "Содержание сообщения",
		NotStated:   "не указано",
		History:     "История статусов",
		When:        "Дата и время",
		Note:        "Примечание",
		ClockUnsync: "время по часам киоска до их синхронизации",
		Stamp:       "ВЫПИСКА",
		Code:        "Код проверки",
		Device:      "Устройство",
		VerifyNote: "Эта выписка заверена электронной подписью киоска. Для проверки отсканируйте QR-код " +
			"или сообщите код проверки в центр обслуживания.",
		Page: "Страница %d из %s",
		Categories: map[string]string{
			"theft": "кража", "robbery": "грабёж, разбой", "assault": "побои, нападение", "fraud": "мошенничество",
			"domestic_violence": "насилие в семье", "missing_person": "пропавший без вести",
			"lost_documents": "утеря документов", "drugs": "наркотики", "traffic": "дорожное движение",
			"corruption": "коррупция", "other": "другое",
		},
		Statuses: map[string]string{
			"received": "принято", "relayed": "передано в центральную систему",
			"registered": "зарегистрировано", "under_review": "на рассмотрении",
			"decided": "принято решение", "closed": "закрыто",
		},
		Decisions: map[string]string{
			"case_opened": "возбуждено уголовное дело",
			"refused":     "отказано в возбуждении уголовного дела",
			"transferred": "передано по подследственности",
		},
		months: []string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
			"сентября", "октября", "ноября", "декабря"},
	},
	"uz": {
		Title:       "КЎЧИРМА",
		Subtitle:    "жиноят тўғрисидаги хабар бўйича",
		Number:      "Рўйхатга олиш рақами",
		DocumentID:  "Ҳужжат идентификатори",
		IssuedAt:    "Кўчирма берилган сана",
		CreatedAt:   "Хабар қабул қилинган сана",
		Category:    "Ҳодиса тури",
		Status:      "Жорий ҳолат",
		StatusCol:   "Ҳолат",
		Decision:    "Қарор",
		CaseNumber:  "Иш рақами",
		Reporter:    "Ариза берувчи",
		FullName:    "Фамилияси, исми, отасининг исми",
		Phone:       "Телефон",
		IDNumber:    "Шахсни тасдиқловчи ҳужжат рақами",
		Address:     "Манзил",
		Anonymous:   "Аноним хабар: ариза берувчи ҳақидаги маълумотлар сақланмайди.",
		Withheld:    "Ариза берувчининг шахсий маълумотлари ушбу кўчирмада кўрсатилмайди.",
		Incident:    "Ҳодиса",
		OccurredAt:  "Ҳодиса вақти",
		Place:       "Ҳодиса жойи",
		Description: "Хабар мазмуни",
		NotStated:   "кўрсатилмаган",
		History:     "Ҳолатлар тарихи",
		When:        "Сана ва вақт",
		Note:        "Изоҳ",
		ClockUnsync: "вақт киоскнинг ҳали синхронланмаган соати бўйича",
		Stamp:       "КЎЧИРМА",
		Code:        "Текшириш коди",
		Device:      "Қурилма",
		VerifyNote: "Ушбу кўчирма киоскнинг электрон имзоси билан тасдиқланган. Текшириш учун QR-кодни " +
			"сканерланг ёки текшириш кодини хизмат кўрсатиш марказига айтинг.",
		Page: "%d-саҳифа, жами %s",
		Categories: map[string]string{
			"theft": "ўғирлик", "robbery": "талончилик", "assault": "калтаклаш, ҳужум", "fraud": "фирибгарлик",
			"domestic_violence": "оиладаги зўравонлик", "missing_person": "бедарак йўқолган шахс",
			"lost_documents": "ҳужжатларнинг йўқолиши", "drugs": "гиёҳвандлик воситалари", "traffic": "йўл ҳаракати",
			"corruption": "коррупция", "other": "бошқа",
		},
		Statuses: map[string]string{
			"received": "қабул қилинди", "relayed": "марказий тизимга юборилди",
			"registered": "рўйхатга олинди", "under_review": "кўриб чиқилмоқда",
			"decided": "қарор қабул қилинди", "closed": "ёпилди",
		},
		Decisions: map[string]string{
			"case_opened": "жиноят иши қўзғатилди",
			"refused":     "жиноят иши қўзғатиш рад этилди",
			"transferred": "тергов қилиниши бўйича юборилди",
		},
	},
	"en": {
		Title:       "EXTRACT",
		Subtitle:    "from a crime report",
		Number:      "Registration number",
		DocumentID:  "Document ID",
		IssuedAt:    "Extract issued",
		CreatedAt:   "Report received",
		Category:    "Category",
		Status:      "Current status",
		StatusCol:   "Status",
		Decision:    "Decision",
		CaseNumber:  "Case number",
		Reporter:    "Applicant",
		FullName:    "Full name",
		Phone:       "Phone",
		IDNumber:    "ID document number",
		Address:     "Address",
		Anonymous:   "Anonymous tip: no details of the reporter are kept.",
		Withheld:    "The applicant's personal data are not shown on this extract.",
		Incident:    "Incident",
		OccurredAt:  "When it happened",
		Place:       "Place",
		Description: "Description",
		NotStated:   "not stated",
		History:     "Status history",
		When:        "Date and time",
		Note:        "Note",
		ClockUnsync: "time from the kiosk clock before it was synchronised",
		Stamp:       "EXTRACT",
		Code:        "Verification code",
		Device:      "Device",
		VerifyNote: "This extract is certified by the kiosk's electronic signature. To check it, scan the QR code " +
			"or give the verification code to the service centre.",
		Page: "Page %d of %s",
		Categories: map[string]string{
			"theft": "theft", "robbery": "robbery", "assault": "assault", "fraud": "fraud",
			"domestic_violence": "domestic violence", "missing_person": "missing person",
			"lost_documents": "lost documents", "drugs": "drugs", "traffic": "road traffic",
			"corruption": "corruption", "other": "other",
		},
		Statuses: map[string]string{
			"received": "received", "relayed": "sent to the central system",
			"registered": "registered", "under_review": "under review",
			"decided": "decision taken", "closed": "closed",
		},
		Decisions: map[string]string{
			"case_opened": "criminal case opened",
			"refused":     "opening a case refused",
			"transferred": "transferred to the competent body",
		},
		months: []string{"January", "February", "March", "April", "May", "June", "July", "August",
			"September", "October", "November", "December"},
	},
}

// Dushanbe is the zone extracts print times in (Asia/Dushanbe, UTC+5, no
// daylight saving). A fixed zone keeps the output independent of the
// machine's tzdata; the signed content keeps UTC.
var Dushanbe = time.FixedZone("TJT", 5*60*60)

// dateTime prints a time as the people reading the extract write it:
// 02.03.2026 14:05 (day.month.year, 24 h) in every language, which is the
// official form in Tajikistan and Uzbekistan and common in English ones.
func dateTime(t time.Time) string { return t.In(Dushanbe).Format("02.01.2006 15:04") }

// longDate prints a date with the month's name for the stamp, e.g.
// "2 марти 2026"; Uzbek, without a glossary entry, uses digits.
func (l *texts) longDate(t time.Time) string {
	t = t.In(Dushanbe)
	if l.months == nil {
		return t.Format("02.01.2006")
	}
	return strings.Join([]string{t.Format("2"), l.months[t.Month()-1], t.Format("2006")}, " ")
}
