package vectorize

import (
	"strings"

	"github.com/kljensen/snowball/french"
)

// isEnglishExtraStopWord reports whether w is one of the English words that
// StopExtended removes on top of Snowball's short list: further function
// words (determiners, prepositions, conjunctions, modals, pronoun forms),
// the contractions our tokenizer keeps whole ("don't", "it's": Snowball's
// list only has the pieces "don" and "t", and the stemmer would turn "it's"
// into "it"), number words, and the filler of news copy ("said", "mr",
// "year") and of mail and forum posts ("writes", "wrote", "article").
//
// The list is readalike's own, kept short on purpose: a word belongs here
// when it is frequent in every kind of text and says nothing about the
// subject. Words that are frequent but topical in some collections
// ("government", "system", "game", "million") are left to idf. The
// quality benchmark (benchmarks/quality) measures what the list is worth.
func isEnglishExtraStopWord(w string) bool {
	switch w {
	// Determiners, quantifiers and pronoun forms.
	case "another", "any", "anybody", "anyone", "anything", "anyway", "anywhere",
		"either", "else", "enough", "every", "everybody", "everyone",
		"everything", "everywhere", "less", "least", "lot", "lots", "many",
		"much", "neither", "nobody", "none", "nothing", "nowhere", "one's",
		"oneself", "others", "several", "somebody", "someone", "something",
		"sometime", "sometimes", "somewhat", "somewhere", "thing", "things",
		"us", "whatever", "whichever", "whoever", "whomever", "whose":
		return true
	// Prepositions and conjunctions.
	case "across", "along", "alongside", "although", "amid", "among", "amongst",
		"around", "beside", "besides", "beyond", "despite", "except", "hence",
		"inside", "instead", "like", "near", "nevertheless", "nonetheless",
		"onto", "outside", "per", "since", "thereby", "therefore", "though",
		"thus", "till", "toward", "towards", "unless", "unlike", "upon", "via",
		"whereas", "whereby", "wherever", "whenever", "whether", "whilst",
		"within", "without", "yet":
		return true
	// Modals and light verbs.
	case "cannot", "could", "may", "might", "must", "ought", "shall", "would",
		"get", "gets", "getting", "got", "gotten", "go", "goes", "going",
		"gone", "went", "make", "makes", "making", "made", "take", "takes",
		"taking", "took", "taken", "come", "comes", "coming", "came", "seem",
		"seems", "seemed", "let", "lets", "put", "puts", "use", "used",
		"uses", "using", "want", "wants", "wanted", "know", "knows", "knew",
		"think", "thinks", "thought", "see", "seen", "saw", "look", "looks",
		"looking", "looked", "give", "gives", "gave", "given", "keep",
		"keeps", "kept", "way", "ways":
		return true
	// Adverbs of degree, time and stance.
	case "about", "actually", "ago", "almost", "already", "also", "always",
		"anyhow", "away", "certainly", "clearly", "perhaps", "probably",
		"quite", "rather", "really", "simply", "soon", "still", "even",
		"ever", "never", "often", "indeed", "likely", "maybe",
		"meanwhile", "moreover", "furthermore", "however", "otherwise",
		"together", "usually", "well", "yes", "ok", "okay", "etc":
		return true
	// Contractions, which the tokenizer keeps as one word.
	case "i'm", "i've", "i'd", "i'll", "you're", "you've", "you'd", "you'll",
		"he's", "he'd", "he'll", "she's", "she'd", "she'll", "it's", "it'd",
		"it'll", "we're", "we've", "we'd", "we'll", "they're", "they've",
		"they'd", "they'll", "that's", "that'll", "there's", "here's",
		"what's", "who's", "where's", "how's", "let's", "isn't", "aren't",
		"wasn't", "weren't", "hasn't", "haven't", "hadn't", "doesn't",
		"don't", "didn't", "won't", "wouldn't", "shan't", "shouldn't",
		"can't", "couldn't", "mustn't", "mightn't", "needn't", "ain't":
		return true
	// Number words.
	case "one", "two", "three", "four", "five", "six", "seven", "eight",
		"nine", "ten", "first", "second", "third":
		return true
	// News copy: attribution, titles and time.
	case "said", "says", "say", "saying", "told", "tell", "telling", "added",
		"according", "including", "include", "includes", "included",
		"mr", "mrs", "ms", "new", "year", "years", "month", "months",
		"week", "weeks", "day", "days", "today", "yesterday", "tomorrow",
		"last", "next", "recent", "recently", "time", "times":
		return true
	// Mail and forum posts: the attribution line of a quoted reply.
	case "re", "writes", "wrote", "write", "article", "articles":
		return true
	}
	return false
}

// isNorwegianStopWord reports whether w is on Snowball's Norwegian stop
// list (snowballstem.org, algorithms/norwegian/stop.txt: Bokmål and Nynorsk
// function words). github.com/kljensen/snowball ships a different list
// under that name, which lacks "den", "de", "har", "seg", "ble" and "blir"
// and holds content words such as "arbeid", "folk", "makt" and "navn".
func isNorwegianStopWord(w string) bool {
	switch w {
	case "og", "i", "jeg", "det", "at", "en", "et", "den", "til", "er", "som",
		"på", "de", "med", "han", "av", "ikke", "ikkje", "der", "så", "var",
		"meg", "seg", "men", "ett", "har", "om", "vi", "min", "mitt", "ha",
		"hadde", "hun", "nå", "over", "da", "ved", "fra", "du", "ut", "sin",
		"dem", "oss", "opp", "man", "kan", "hans", "hvor", "eller", "hva",
		"skal", "selv", "sjøl", "her", "alle", "vil", "bli", "ble", "blei",
		"blitt", "kunne", "inn", "når", "være", "kom", "noen", "noe", "ville",
		"dere", "deres", "kun", "ja", "etter", "ned", "skulle", "denne", "for",
		"deg", "si", "sine", "sitt", "mot", "å", "meget", "hvorfor", "dette",
		"disse", "uten", "hvordan", "ingen", "din", "ditt", "blir", "samme",
		"hvilken", "hvilke", "sånn", "inni", "mellom", "vår", "hver", "hvem",
		"vors", "hvis", "både", "bare", "enn", "fordi", "før", "mange", "også",
		"slik", "vært", "båe", "begge", "siden", "dykk", "dykkar", "dei",
		"deira", "deires", "deim", "di", "då", "eg", "ein", "eit", "eitt",
		"elles", "honom", "hjå", "ho", "hoe", "henne", "hennar", "hennes",
		"hoss", "hossen", "ingi", "inkje", "korleis", "korso", "kva", "kvar",
		"kvarhelst", "kven", "kvi", "kvifor", "me", "medan", "mi", "mine",
		"mykje", "no", "nokon", "noka", "nokor", "noko", "nokre", "sia",
		"sidan", "so", "somt", "somme", "um", "upp", "vere", "vore", "verte",
		"vort", "varte", "vart":
		return true
	}
	return false
}

// isFrenchStopWord reports whether w is on Snowball's French stop list:
// the list github.com/kljensen/snowball ships, plus the later additions to
// Snowball's list that it lacks ("les", "ils", "cette", "sans", ...).
func isFrenchStopWord(w string) bool {
	switch w {
	case "ceci", "cela", "celà", "cet", "cette", "ici", "ils", "les", "leurs",
		"quel", "quels", "quelle", "quelles", "sans", "soi":
		return true
	}
	return french.IsStopWord(w)
}

// frenchElisions are the elided words French writes joined to the next one
// by an apostrophe: "l'école", "qu'il", "jusqu'à".
var frenchElisions = []string{"l'", "d'", "j'", "m'", "n'", "s'", "t'", "c'", "qu'", "jusqu'", "lorsqu'", "puisqu'", "quoiqu'"}

// elideFrench returns w without a leading elided article, pronoun or
// conjunction ("l'école" is "école"), so that the word is counted, stopped
// and stemmed as it is written alone. Apostrophes are ASCII by then
// (normalize folds them).
func elideFrench(w string) string {
	for _, e := range frenchElisions {
		if len(w) > len(e) && strings.HasPrefix(w, e) {
			return w[len(e):]
		}
	}
	return w
}
