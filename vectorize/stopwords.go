package vectorize

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
