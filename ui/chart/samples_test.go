package chart

import "math/rand/v2"

// The sample data of the tests and benchmarks: a year of a centre's CPPT
// issues in Tajik, with long category names.

var monthsTG = []string{"Январ 2025", "Феврал 2025", "Март 2025", "Апрел 2025", "Май 2025", "Июн 2025",
	"Июл 2025", "Август 2025", "Сентябр 2025", "Октябр 2025", "Ноябр 2025", "Декабр 2025"}

var categoriesTG = []string{"Рӯшноии кӯчаҳо", "Ҷавонон ва мактаб", "Зӯроварӣ дар оила", "Ҳаракат дар роҳ",
	"Маводи мухаддир", "Дуздии чорво", "Муҳоҷирати меҳнатӣ ва оилаҳои муҳоҷирон", "Обу корез", "Дигар"}

// table is rows x cols of counts from a fixed seed, with some zeros.
func table(rows, cols int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float64, rows)
	for i := range out {
		out[i] = make([]float64, cols)
		for j := range out[i] {
			if r.IntN(5) > 0 {
				out[i][j] = float64(r.IntN(9))
			}
		}
	}
	return out
}

func byCategory(kind Kind) Chart {
	c := Chart{Kind: kind, Title: "Масъалаҳо аз рӯи навъ ва моҳ", Labels: monthsTG, YTitle: "масъала", Texts: TextsFor("tg")}
	for i, row := range table(len(categoriesTG), len(monthsTG), 1) {
		c.Series = append(c.Series, Series{Name: categoriesTG[i], Values: row})
	}
	return c
}

func openedResolved(kind Kind) Chart {
	return Chart{Kind: kind, Title: "Кушодашуда ва ҳалшуда", Labels: monthsTG, Texts: TextsFor("tg"),
		Series: []Series{
			{Name: "Кушода шуд", Values: []float64{12, 15, 9, 14, 20, 18, 11, 9, 16, 22, 19, 13}},
			{Name: "Ҳал шуд", Values: []float64{8, 11, 12, 10, 15, 19, 14, 9, 12, 17, 21, 15}},
		}}
}

var resolutionDays = []int{0, 1, 2, 3, 3, 5, 6, 7, 8, 9, 10, 12, 12, 13, 14, 15, 17, 20, 21, 25, 28, 29, 30,
	31, 33, 40, 45, 52, 59, 60, 64, 70, 88, 91, 120, 200, 4, 5, 6, 11}

func resolution() Chart {
	return Resolution("Рӯзҳо то ҳалшавӣ", resolutionDays, TextsFor("tg"))
}

func weekly() Chart {
	weeks := []string{}
	for w := 1; w <= 13; w++ {
		weeks = append(weeks, "Ҳ"+string(rune('0'+w/10))+string(rune('0'+w%10)))
	}
	c := Chart{Kind: Stacked, Title: "Хабарҳо аз рӯи навъ ва ҳафта", Labels: weeks, YTitle: "хабар", Texts: TextsFor("tg")}
	cats := []string{"Дуздӣ", "Қаллобӣ", "Латукӯб", "Зӯроварӣ дар оила", "Ҳаракат дар роҳ", "Дигар"}
	for i, row := range table(len(cats), len(weeks), 3) {
		c.Series = append(c.Series, Series{Name: cats[i], Values: row})
	}
	return c
}

// samples are the charts the golden files and the browser test show.
func samples() map[string]Chart {
	return map[string]Chart{
		"stacked":    byCategory(Stacked),
		"grouped":    openedResolved(Grouped),
		"lines":      openedResolved(Lines),
		"histogram":  resolution(),
		"weekly":     weekly(),
		"empty":      {Kind: Stacked, Title: "Масъалаҳо аз рӯи навъ ва моҳ", Texts: TextsFor("tg")},
		"empty-hist": Resolution("Рӯзҳо то ҳалшавӣ", nil, TextsFor("tg")),
	}
}
