package vectorize

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name, lang, in string
		want           []string
	}{
		// Shared by every language.
		{"plain", "en", "One. Two? Three!", []string{"One.", "Two?", "Three!"}},
		{"quote closes the sentence", "en",
			`He said, "This will only lead to a dead end." Then he left.`,
			[]string{`He said, "This will only lead to a dead end."`, "Then he left."}},
		{"bracket closes the sentence", "en", "It rose (as forecast.) Then it fell.",
			[]string{"It rose (as forecast.)", "Then it fell."}},
		{"decimals and numbers", "en", "It cost $1,000.50, 12.5% more than 3.5 times the 1.13bn. Next.",
			[]string{"It cost $1,000.50, 12.5% more than 3.5 times the 1.13bn.", "Next."}},
		{"ellipsis before lowercase", "en", "Wait... what happened? Nothing.",
			[]string{"Wait... what happened?", "Nothing."}},
		{"ellipsis before capital", "en", "Wait... What happened? He waited… Then he left. He waited…then left.",
			[]string{"Wait...", "What happened?", "He waited…", "Then he left.", "He waited…then left."}},
		{"?! and !!", "en", "Really?! Yes!! Fine.", []string{"Really?!", "Yes!!", "Fine."}},
		{"lowercase after a question", "en", `"Why?" he asked. "Because."`, []string{`"Why?" he asked.`, `"Because."`}},
		{"full stop before a number", "en", "Sales rose sharply. 2004 was a good year.",
			[]string{"Sales rose sharply.", "2004 was a good year."}},
		{"paragraph break ends a sentence", "en", "No full stop here\n\nNext paragraph. Two",
			[]string{"No full stop here", "Next paragraph.", "Two"}},
		{"hard-wrapped lines join", "en", "A sentence that\nwraps. Another\none.\n\nEnd.",
			[]string{"A sentence that\nwraps.", "Another\none.", "End."}},
		{"lines are paragraphs without blank lines", "en", "First line\nSecond line. Third.",
			[]string{"First line", "Second line.", "Third."}},
		{"a final newline is a blank line, as for Paragraphs", "en", "Wrapped\nline.\n", []string{"Wrapped\nline."}},
		{"crlf", "en", "One.\r\n\r\nTwo.", []string{"One.", "Two."}},
		{"empty", "en", " \n\n ", nil},

		// English abbreviations.
		{"titles", "en", "Mr. Smith met Dr. Jones and Mrs. Brown. They talked.",
			[]string{"Mr. Smith met Dr. Jones and Mrs. Brown.", "They talked."}},
		{"U.S. inside a sentence", "en", "The U.S. Senate voted. It passed.",
			[]string{"The U.S. Senate voted.", "It passed."}},
		{"U.S. ending a sentence", "en", "He lives in the U.S. The end.", []string{"He lives in the U.S.", "The end."}},
		{"N.Korea and S.Korea", "en", "N.Korea and S.Korea met. Japan, US, S.Korea confirm cooperation after N.Korea's launch.",
			[]string{"N.Korea and S.Korea met.", "Japan, US, S.Korea confirm cooperation after N.Korea's launch."}},
		{"months", "en", "Date: Jan. 18, 2024. It was cold on Feb. 2 and in Dec. Nobody came.",
			[]string{"Date: Jan. 18, 2024.", "It was cold on Feb. 2 and in Dec. Nobody came."}},
		{"e.g. i.e. etc.", "en", "Fruit, e.g. apples, i.e. Coxes, etc. were sold. Pears etc. The rest.",
			[]string{"Fruit, e.g. apples, i.e. Coxes, etc. were sold.", "Pears etc.", "The rest."}},
		{"initials", "en", "J. Smith and George W. Bush spoke. We make a good team, you and I. Did you see?",
			[]string{"J. Smith and George W. Bush spoke.", "We make a good team, you and I.", "Did you see?"}},
		{"No. before a number", "en", "He lives at No. 10 Downing Street. Acme Inc. The firm grew.",
			[]string{"He lives at No. 10 Downing Street.", "Acme Inc.", "The firm grew."}},

		// Spanish.
		{"es ¿ ¡", "es", "¿Qué pasa? ¡Nada! Bien.", []string{"¿Qué pasa?", "¡Nada!", "Bien."}},
		{"es titles", "es", "La Sra. García y el Dr. Pérez llegaron. EE.UU. Gana.",
			[]string{"La Sra. García y el Dr. Pérez llegaron.", "EE.UU. Gana."}},
		{"es etc.", "es", "Frutas, verduras, etc. El resto. Pág. 5.", []string{"Frutas, verduras, etc.", "El resto.", "Pág. 5."}},
		{"es «»", "es", "Dijo: «No lo sé.» Luego se fue.", []string{"Dijo: «No lo sé.»", "Luego se fue."}},

		// French.
		{"fr space before ? and !", "fr", "Vraiment ? Oui ! Bien : c'est fini.",
			[]string{"Vraiment ?", "Oui !", "Bien : c'est fini."}},
		{"fr « » with spaces", "fr", "Il a dit : « Bonjour. » Puis il est parti.",
			[]string{"Il a dit : « Bonjour. »", "Puis il est parti."}},
		{"fr incise after a quotation", "fr", "« Non ! » dit-il. Fin.", []string{"« Non ! » dit-il.", "Fin."}},
		{"fr M. is a title", "fr", "M. Le Pen parle. Mme Dupont écoute.", []string{"M. Le Pen parle.", "Mme Dupont écoute."}},
		{"fr etc.", "fr", "Des pommes, des poires, etc. La suite.", []string{"Des pommes, des poires, etc.", "La suite."}},

		// Hungarian.
		{"hu dr. and ordinal date", "hu", "Dr. Kovács érkezett. A 2024. január 18-i ülésen szólt. Aztán vége.",
			[]string{"Dr. Kovács érkezett.", "A 2024. január 18-i ülésen szólt.", "Aztán vége."}},
		{"hu stb. and pl.", "hu", "Alma, körte stb. Aztán pl. Péter jött. Vége.",
			[]string{"Alma, körte stb.", "Aztán pl. Péter jött.", "Vége."}},
		{"hu „”", "hu", "Azt mondta: „Nem tudom.” Majd elment.", []string{"Azt mondta: „Nem tudom.”", "Majd elment."}},

		// Norwegian.
		{"no f.eks. and kl.", "no", "Det var f.eks. bra. Kl. 14 startet det. Så slutt.",
			[]string{"Det var f.eks. bra.", "Kl. 14 startet det.", "Så slutt."}},
		{"no bl.a. and nr.", "no", "Han sa bl.a. Oslo. Nr. 5 vant. Ferdig.", []string{"Han sa bl.a. Oslo.", "Nr. 5 vant.", "Ferdig."}},

		// Russian.
		{"ru т.е. and quotes", "ru", "Он сказал: «Нет». Т.е. всё. Потом ушёл.",
			[]string{"Он сказал: «Нет».", "Т.е. всё.", "Потом ушёл."}},
		{"ru ул. им.", "ru", "Дом на ул. Ленина. Музей им. Пушкина открыт.", []string{"Дом на ул. Ленина.", "Музей им. Пушкина открыт."}},
		{"ru г. before a stop word", "ru", "Это было в 2024 г. В Москве шёл снег.", []string{"Это было в 2024 г.", "В Москве шёл снег."}},

		// Swedish.
		{"sv t.ex. and kl.", "sv", "Det var t.ex. bra. Kl. 14 började det. Sedan slut.",
			[]string{"Det var t.ex. bra.", "Kl. 14 började det.", "Sedan slut."}},
		{"sv ”” quotes", "sv", "Han sa: ”Nej.” Sedan gick han.", []string{"Han sa: ”Nej.”", "Sedan gick han."}},

		// An unsupported language gets the shared rules.
		{"unknown language", "xx", "Mr. Smith. U.S. Senate.", []string{"Mr.", "Smith.", "U.S. Senate."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Sentences(tt.in, tt.lang) {
				got = append(got, s.Text(tt.in))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q, %q)\n got %q\nwant %q", tt.in, tt.lang, got, tt.want)
			}
		})
	}
}

// checkSentences fails unless the sentences of text are in order, do not
// overlap, hold no space at either end, and leave out nothing but space.
func checkSentences(t *testing.T, text string, ss []Sentence) {
	t.Helper()
	prev := 0
	for _, s := range ss {
		if s.Start < prev || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("bad span %v after %d in %q", s, prev, text)
		}
		if gap := text[prev:s.Start]; strings.TrimSpace(gap) != "" {
			t.Fatalf("text %q left out before %v in %q", gap, s, text)
		}
		if s := s.Text(text); strings.TrimSpace(s) != s || s == "" {
			t.Fatalf("sentence %q not trimmed in %q", s, text)
		}
		prev = s.End
	}
	if rest := text[prev:]; strings.TrimSpace(rest) != "" {
		t.Fatalf("text %q left out at the end of %q", rest, text)
	}
}

func FuzzSentences(f *testing.F) {
	for _, s := range []string{
		`He said, "This will only lead to a dead end." Then.`, "Mr. U.S. Jan. 18 e.g. J. Smith", "« Non ! » dit-il",
		"¿Qué? ¡Nada!", "a...B… C", "x. 5", "\n\n.\n", "\u2029. »", "т.е. В", ". . .", "» »", "\xff. A",
	} {
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		if !utf8.ValidString(text) {
			return // callers hold valid UTF-8: Analyze and Summarize refuse the rest
		}
		checkSentences(t, text, Sentences(text, lang))
		var paras []string
		for p := range paragraphSpans(text) {
			paras = append(paras, p.Text(text))
		}
		if want := Paragraphs(text); !slices.Equal(paras, want) {
			t.Fatalf("paragraphs of %q: %q, Paragraphs gives %q", text, paras, want)
		}
	})
}
