package vectorize

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// LooksLikeHTML reports whether text appears to be HTML rather than plain
// text: it holds a start tag, an end tag, a comment or a doctype. A lone "<"
// as in "a < b" does not count.
func LooksLikeHTML(text string) bool {
	for i := strings.IndexByte(text, '<'); i >= 0 && i+1 < len(text); {
		c := text[i+1]
		isTag := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '/' || c == '!'
		if isTag && strings.IndexByte(text[i+1:], '>') >= 0 {
			return true
		}
		j := strings.IndexByte(text[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// VisibleText returns the text a browser would show for an HTML fragment or
// document: character references decoded, the contents of script, style,
// head and similar elements dropped, and block elements separated by blank
// lines so their paragraphs stay paragraphs. It uses the HTML5 tokenizer, so
// malformed markup degrades gracefully.
func VisibleText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	b.Grow(len(src))
	skip := 0 // depth inside elements whose text is not shown
	brk := "" // the separator owed before the next text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			text := z.Text()
			if skip > 0 || (brk != "" && len(bytes.TrimSpace(text)) == 0) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(brk)
			}
			brk = ""
			b.Write(text)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case !hidden(a):
				if sep := separator(a); len(sep) > len(brk) {
					brk = sep
				}
			case tt == html.StartTagToken:
				skip++
			case tt == html.EndTagToken && skip > 0:
				skip--
			}
		}
	}
}

func hidden(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Noscript, atom.Template, atom.Svg, atom.Iframe, atom.Object:
		return true
	}
	return false
}

// separator is what a tag puts between the texts around it: a blank line
// for block elements, a newline for br, nothing for inline elements.
func separator(a atom.Atom) string {
	switch a {
	case atom.Br:
		return "\n"
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Aside,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
		atom.Blockquote, atom.Pre, atom.Table, atom.Tr, atom.Td, atom.Th, atom.Figcaption,
		atom.Hr, atom.Dd, atom.Dt, atom.Main, atom.Nav, atom.Figure:
		return "\n\n"
	}
	return ""
}
