package receipt

// text holds one language's receipt strings. Terms follow
// /work/shared/GLOSSARY.md (docs: GLOSSARY).
type text struct {
	title, received, number, date, category, accessCode, keepSecret string
	next                                                            string
	scan, hotline, danger, reprint, stub, stubKept                  string
	categories                                                      map[string]string
}

var texts = map[string]text{
	"tg": {
		title:      "ТАЛОН-ОГОҲИНОМА",
		received:   "Хабари шумо дар бораи ҷиноят қабул шуд",
		number:     "Рақами бақайдгирӣ:",
		date:       "Сана ва вақт:",
		category:   "Навъи ҳодиса:",
		accessCode: "Рамзи дастрасӣ:",
		keepSecret: "Рамзи дастрасиро ба касе надиҳед.",
		next: "Хабари шумо ба милитсия фиристода шуда, баррасӣ мегардад. " +
			"Ҳолати онро дар ҳамин терминал бо рақами бақайдгирӣ ва рамзи дастрасӣ санҷида метавонед.",
		scan:     "Барои санҷиши ҳолат QR-рамзро скан кунед",
		hotline:  "Телефони боварӣ:",
		danger:   "Агар ҳоло дар хатар бошед, ба 102 занг занед",
		reprint:  "НУСХАИ ТАКРОРӢ",
		stub:     "РЕШАИ ТАЛОН",
		stubKept: "Дар марказ нигоҳ дошта мешавад",
		categories: map[string]string{
			"theft": "Дуздӣ", "robbery": "Ғоратгарӣ", "assault": "Латукӯб",
			"fraud": "Қаллобӣ", "domestic_violence": "Зӯроварӣ дар оила",
			"missing_person": "Шахси бедарак гумшуда", "lost_documents": "Гум шудани ҳуҷҷатҳо",
			"drugs": "Маводи мухаддир", "traffic": "Ҳаракат дар роҳ",
			"corruption": "Коррупсия", "other": "Дигар",
		},
	},
	"ru": {
		title:      "ТАЛОН-УВЕДОМЛЕНИЕ",
		received:   "Ваше сообщение о преступлении принято",
		number:     "Регистрационный номер:",
		date:       "Дата и время:",
		category:   "Категория:",
		accessCode: "Код доступа:",
		keepSecret: "Никому не сообщайте код доступа.",
		next: "Сообщение будет передано в милицию и рассмотрено. " +
			"Узнать его статус можно в этом терминале по регистрационному номеру и коду доступа.",
		scan:     "Отсканируйте QR-код, чтобы узнать статус",
		hotline:  "Телефон доверия:",
		danger:   "Если вам угрожает опасность, звоните 102",
		reprint:  "ПОВТОРНАЯ ПЕЧАТЬ",
		stub:     "КОРЕШОК ТАЛОНА",
		stubKept: "Остаётся в центре",
		categories: map[string]string{
			"theft": "Кража", "robbery": "Грабёж, разбой", "assault": "Побои, нападение",
			"fraud": "Мошенничество", "domestic_violence": "Насилие в семье",
			"missing_person": "Пропавший без вести", "lost_documents": "Утеря документов",
			"drugs": "Наркотики", "traffic": "Дорожное движение",
			"corruption": "Коррупция", "other": "Другое",
		},
	},
	"uz": {
		title:      "ТАЛОН-ХАБАРНОМА",
		received:   "Жиноят тўғрисидаги хабарингиз қабул қилинди",
		number:     "Рўйхатга олиш рақами:",
		date:       "Сана ва вақт:",
		category:   "Тоифа:",
		accessCode: "Кириш коди:",
		keepSecret: "Кириш кодини ҳеч кимга берманг.",
		next: "Хабарингиз милицияга юборилади ва кўриб чиқилади. " +
			"Унинг ҳолатини шу терминалда рўйхатга олиш рақами ва кириш коди орқали билишингиз мумкин.",
		scan:     "Ҳолатни билиш учун QR-кодни сканерланг",
		hotline:  "Ишонч телефони:",
		danger:   "Агар ҳозир хавф остида бўлсангиз, 102 га қўнғироқ қилинг",
		reprint:  "ТАКРОРИЙ НУСХА",
		stub:     "ТАЛОН ИЛДИЗИ",
		stubKept: "Марказда сақланади",
		categories: map[string]string{
			"theft": "Ўғирлик", "robbery": "Талончилик", "assault": "Калтаклаш, ҳужум",
			"fraud": "Фирибгарлик", "domestic_violence": "Оиладаги зўравонлик",
			"missing_person": "Бедарак йўқолган шахс", "lost_documents": "Ҳужжатларнинг йўқолиши",
			"drugs": "Гиёҳвандлик воситалари", "traffic": "Йўл ҳаракати",
			"corruption": "Коррупция", "other": "Бошқа",
		},
	},
	"en": {
		title:      "RECEIPT",
		received:   "Your crime report has been received",
		number:     "Registration number:",
		date:       "Date and time:",
		category:   "Category:",
		accessCode: "Access code:",
		keepSecret: "Do not share your access code with anyone.",
		next: "Your report will be passed to the police and reviewed. " +
			"Check its status at this kiosk with the registration number and access code.",
		scan:     "Scan the QR code to check the status",
		hotline:  "Hotline:",
		danger:   "In danger now? Call 102",
		reprint:  "REPRINT",
		stub:     "STUB",
		stubKept: "Kept by the centre",
		categories: map[string]string{
			"theft": "Theft", "robbery": "Robbery", "assault": "Assault",
			"fraud": "Fraud", "domestic_violence": "Domestic violence",
			"missing_person": "Missing person", "lost_documents": "Lost documents",
			"drugs": "Drugs", "traffic": "Road traffic",
			"corruption": "Corruption", "other": "Other",
		},
	},
}
