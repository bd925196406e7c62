package vectorize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbrevKind says how a word followed by a full stop bears on a sentence
// break after it.
type abbrevKind uint8

const (
	notAbbrev abbrevKind = iota
	// title never ends a sentence: it stands before a name ("Mr.", "Dr.",
	// "Sra.", "M."), so the full stop is the abbreviation's.
	title
	// other may end one ("etc.", "Inc.", "U.S.", "J."): the break stays
	// when a capitalised stop word follows, and goes otherwise.
	other
)

// abbreviations are the abbreviations of each language that Sentences
// knows, lower case, without the final full stop. Kept small on purpose:
// the words news copy abbreviates before a name or a number, and the
// everyday ones that are followed by a capital. Two kinds need no list, in
// any language: a single letter ("J. Smith", "M. Dupont") and letters
// joined by full stops ("U.S.", "e.g.", "t.ex.", "f.eks.", "т.е.",
// "EE.UU."), both of kind other. Any abbreviation followed by a number is
// no sentence end ("Jan. 18", "No. 10", "kl. 14").
var abbreviations = map[string]map[string]abbrevKind{
	"en": {
		"mr": title, "mrs": title, "ms": title, "dr": title, "prof": title,
		"rev": title, "hon": title, "gen": title, "col": title, "lt": title,
		"maj": title, "capt": title, "sgt": title, "adm": title, "gov": title,
		"sen": title, "rep": title, "messrs": title, "mt": title,
		"jan": other, "feb": other, "mar": other, "apr": other, "jun": other,
		"jul": other, "aug": other, "sep": other, "sept": other, "oct": other,
		"nov": other, "dec": other,
		"etc": other, "vs": other, "inc": other, "ltd": other, "corp": other,
		"co": other, "bros": other, "jr": other, "sr": other, "st": other,
		"ave": other, "approx": other, "dept": other, "fig": other, "no": other,
	},
	"es": {
		"sr": title, "sra": title, "srta": title, "dr": title, "dra": title,
		"dña": title, "ud": title, "uds": title, "lic": title, "ing": title,
		"prof": title, "sto": title, "sta": title,
		"ene": other, "feb": other, "mar": other, "abr": other, "jun": other,
		"jul": other, "ago": other, "sep": other, "sept": other, "oct": other,
		"nov": other, "dic": other,
		"etc": other, "pág": other, "núm": other, "art": other, "cap": other,
		"aprox": other, "av": other, "tel": other, "ej": other,
	},
	"fr": {
		"m": title, "mm": title, "mme": title, "mmes": title, "mlle": title, "dr": title,
		"pr": title, "mgr": title, "st": title, "ste": title,
		"janv": other, "févr": other, "avr": other, "juil": other, "sept": other,
		"oct": other, "nov": other, "déc": other,
		"etc": other, "cf": other, "av": other, "bd": other, "env": other,
		"ex": other, "chap": other, "no": other,
	},
	"hu": {
		"dr": title, "id": title, "özv": title, "ifj": title, "prof": title,
		"jan": other, "febr": other, "márc": other, "ápr": other, "jún": other,
		"júl": other, "aug": other, "szept": other, "okt": other, "nov": other,
		"dec": other,
		"stb": other, "pl": other, "ill": other, "ún": other, "kb": other,
		"vö": other, "kft": other, "zrt": other, "nyrt": other, "bt": other,
		"sz": other, "ua": other, "ker": other,
	},
	"no": {
		"dr": title, "prof": title, "st": title,
		"jan": other, "feb": other, "mar": other, "apr": other, "jun": other,
		"jul": other, "aug": other, "sep": other, "sept": other, "okt": other,
		"nov": other, "des": other,
		"osv": other, "mv": other, "ca": other, "kl": other, "nr": other,
		"dvs": other, "jf": other, "pga": other, "iht": other, "tlf": other,
		"ang": other, "evt": other,
	},
	"ru": {
		"им": title, "ул": title, "пр": title, "проф": title, "акад": title,
		"св": title, "пл": title, "пос": title,
		"янв": other, "февр": other, "апр": other, "авг": other, "сент": other,
		"окт": other, "нояб": other, "дек": other,
		"гг": other, "др": other, "тыс": other, "млн": other, "млрд": other,
		"руб": other, "коп": other, "см": other, "стр": other, "рис": other,
		"ок": other, "вв": other,
	},
	"sv": {
		"dr": title, "prof": title, "hr": title, "st": title,
		"jan": other, "feb": other, "mar": other, "apr": other, "jun": other,
		"jul": other, "aug": other, "sep": other, "sept": other, "okt": other,
		"nov": other, "dec": other,
		"osv": other, "ca": other, "kl": other, "nr": other, "dvs": other,
		"jfr": other, "resp": other, "tel": other, "ang": other, "inkl": other,
		"exkl": other, "tf": other,
	},
}

// abbreviationsOf returns the abbreviations of the language with index li,
// or nil for none.
func abbreviationsOf(li int) map[string]abbrevKind {
	if li < 0 {
		return nil
	}
	return abbreviations[languages[li].code]
}

// maxAbbrevLen bounds the bytes of a listed abbreviation, so longer words
// are not even lowered.
const maxAbbrevLen = 12

// abbreviation returns the kind of tok, a token that stood before a full
// stop, without it.
func abbreviation(tok string, abbr map[string]abbrevKind) abbrevKind {
	if tok == "" {
		return notAbbrev
	}
	if k := listed(tok, abbr); k != notAbbrev {
		return k
	}
	if r, n := utf8.DecodeRuneInString(tok); n == len(tok) && unicode.IsLetter(r) {
		return other // an initial
	}
	if dotted(tok) {
		return other
	}
	return notAbbrev
}

// listed returns the kind abbr gives tok, case aside.
func listed(tok string, abbr map[string]abbrevKind) abbrevKind {
	if len(tok) > maxAbbrevLen || abbr == nil {
		return notAbbrev
	}
	if !isASCII(tok) {
		return abbr[strings.ToLower(tok)]
	}
	var buf [maxAbbrevLen]byte
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return abbr[string(buf[:len(tok)])] // a lookup by string(bytes) does not allocate
}

// dotted reports whether tok is letters joined by full stops, one to three
// between each: "u.s", "e.g", "t.ex", "f.eks", "EE.UU", not "N.Korea".
func dotted(tok string) bool {
	if !strings.Contains(tok, ".") {
		return false
	}
	for part := range strings.SplitSeq(tok, ".") {
		n := 0
		for _, r := range part {
			if !unicode.IsLetter(r) {
				return false
			}
			n++
		}
		if n < 1 || n > 3 {
			return false
		}
	}
	return true
}
