package summary

import "cpckiosk/ui/chart"

// texts are the page's words in one language.
type texts struct {
	Title          string // the page's heading
	Period         string
	Prepared       string
	Open           string // key number: open issues
	ResolvedQ      string // key number: resolved this quarter
	Overdue        string // key number: overdue actions
	Median         string // key number: median days to resolution
	ByCategory     string // chart: issues by category per month
	OpenedResolved string // chart: opened versus resolved per month
	Opened         string // series
	Resolved       string // series
	Days           string // chart: days to resolution
	Weekly         string // chart: reports by category per week
	Issues         string // unit of the monthly charts' axis
	Reports        string // unit of the weekly chart's axis
	OpenIssues     string // table heading
	Number         string
	Category       string
	Settlement     string
	Status         string
	Priority       string
	NextDue        string
	More           string // "and %d more"
	None           string // no open issues
	OverdueMark    string // explains the "!" before an overdue date
	Chart          chart.Texts
}

var lang = map[string]*texts{
	"tg": {
		Title:          "Ҷамъбаст барои ҷаласаи CPPT",
		Period:         "Давра",
		Prepared:       "Тартиб дода шуд",
		Open:           "Масъалаҳои кушода",
		ResolvedQ:      "Ҳалшуда дар ин семоҳа",
		Overdue:        "Чораҳои мӯҳлаташон гузашта",
		Median:         "Медианаи рӯзҳо то ҳалшавӣ",
		ByCategory:     "Масъалаҳо аз рӯи навъ ва моҳ",
		OpenedResolved: "Кушодашуда ва ҳалшуда",
		Opened:         "Кушода шуд",
		Resolved:       "Ҳал шуд",
		Days:           "Рӯзҳо то ҳалшавӣ",
		Weekly:         "Хабарҳо аз рӯи навъ ва ҳафта",
		Issues:         "масъала",
		Reports:        "хабар",
		OpenIssues:     "Масъалаҳои кушода",
		Number:         "Рақам",
		Category:       "Навъ",
		Settlement:     "Маҳал",
		Status:         "Ҳолат",
		Priority:       "Афзалият",
		NextDue:        "Мӯҳлати чораи навбатӣ",
		More:           "ва боз %d масъала",
		None:           "Масъалаи кушода нест.",
		OverdueMark:    "! — мӯҳлат гузаштааст",
		Chart:          chart.TextsFor("tg"),
	},
	"ru": {
		Title:          "Сводка к заседанию CPPT",
		Period:         "Период",
		Prepared:       "Составлено",
		Open:           "Открытые вопросы",
		ResolvedQ:      "Решено в этом квартале",
		Overdue:        "Просроченные действия",
		Median:         "Медиана дней до решения",
		ByCategory:     "Вопросы по категориям и месяцам",
		OpenedResolved: "Открыто и решено",
		Opened:         "Открыто",
		Resolved:       "Решено",
		Days:           "Дней до решения",
		Weekly:         "Сообщения по категориям и неделям",
		Issues:         "вопросов",
		Reports:        "сообщений",
		OpenIssues:     "Открытые вопросы",
		Number:         "Номер",
		Category:       "Категория",
		Settlement:     "Населённый пункт",
		Status:         "Статус",
		Priority:       "Приоритет",
		NextDue:        "Срок след. действия",
		More:           "и ещё %d",
		None:           "Открытых вопросов нет.",
		OverdueMark:    "! — срок истёк",
		Chart:          chart.TextsFor("ru"),
	},
	"uz": {
		Title:          "CPPT йиғилиши учун хулоса",
		Period:         "Давр",
		Prepared:       "Тузилди",
		Open:           "Очиқ масалалар",
		ResolvedQ:      "Шу чоракда ҳал қилинди",
		Overdue:        "Муддати ўтган чоралар",
		Median:         "Ҳал қилингунча кунлар медианаси",
		ByCategory:     "Масалалар тоифа ва ой бўйича",
		OpenedResolved: "Очилган ва ҳал қилинган",
		Opened:         "Очилди",
		Resolved:       "Ҳал қилинди",
		Days:           "Ҳал қилингунча кунлар",
		Weekly:         "Хабарлар тоифа ва ҳафта бўйича",
		Issues:         "масала",
		Reports:        "хабар",
		OpenIssues:     "Очиқ масалалар",
		Number:         "Рақам",
		Category:       "Тоифа",
		Settlement:     "Аҳоли пункти",
		Status:         "Ҳолат",
		Priority:       "Устуворлик",
		NextDue:        "Кейинги чора муддати",
		More:           "ва яна %d та",
		None:           "Очиқ масала йўқ.",
		OverdueMark:    "! — муддати ўтган",
		Chart:          chart.TextsFor("uz"),
	},
	"en": {
		Title:          "CPPT meeting summary",
		Period:         "Period",
		Prepared:       "Prepared",
		Open:           "Open issues",
		ResolvedQ:      "Resolved this quarter",
		Overdue:        "Overdue actions",
		Median:         "Median days to resolution",
		ByCategory:     "Issues by category per month",
		OpenedResolved: "Opened vs resolved",
		Opened:         "Opened",
		Resolved:       "Resolved",
		Days:           "Days to resolution",
		Weekly:         "Reports by category per week",
		Issues:         "issues",
		Reports:        "reports",
		OpenIssues:     "Open issues",
		Number:         "No.",
		Category:       "Category",
		Settlement:     "Settlement",
		Status:         "Status",
		Priority:       "Priority",
		NextDue:        "Next action due",
		More:           "and %d more",
		None:           "No open issues.",
		OverdueMark:    "! — overdue",
		Chart:          chart.TextsFor("en"),
	},
}
