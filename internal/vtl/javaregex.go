package vtl

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// javaRegex runs java.util.regex patterns on Go's RE2 engine. The common
// syntax is shared; lookaround, backreferences, possessive quantifiers and
// atomic groups are not available in RE2 and fail the render with
// ErrUnsupported rather than silently matching differently.
type javaRegex struct {
	pat  string
	re   *regexp.Regexp
	once sync.Once
	full *regexp.Regexp // anchored, for String.matches; compiled on first use
}

// Compiled patterns are shared by all renders: *regexp.Regexp is safe for
// concurrent use, and templates use a handful of literal patterns. The cache
// stops growing at maxRegexCache so patterns built from request data cannot
// exhaust memory; those are compiled per use.
const maxRegexCache = 512

var regexCache = struct {
	sync.RWMutex
	m map[string]*javaRegex
}{m: map[string]*javaRegex{}}

func (r *renderer) regex(pat string) (*javaRegex, error) {
	regexCache.RLock()
	jr, ok := regexCache.m[pat]
	regexCache.RUnlock()
	if ok {
		return jr, nil
	}
	jr, err := compileJava(pat)
	if err != nil {
		return nil, err
	}
	regexCache.Lock()
	if len(regexCache.m) < maxRegexCache {
		regexCache.m[pat] = jr
	}
	regexCache.Unlock()
	return jr, nil
}

var javaOnlyRegex = regexp.MustCompile(`\(\?[=!>]|\(\?<[=!]|\\[1-9]|[*+?}][+]`)

func compileJava(pat string) (*javaRegex, error) {
	re, err := regexp.Compile(translateJava(pat))
	if err != nil {
		if javaOnlyRegex.MatchString(pat) {
			return nil, fmt.Errorf("regex %q uses Java-only syntax: %w", pat, ErrUnsupported)
		}
		return nil, fmt.Errorf("PatternSyntaxException: %v", err)
	}
	return &javaRegex{pat: pat, re: re}, nil
}

func (j *javaRegex) matchesAll(s string) bool {
	j.once.Do(func() {
		// The pattern compiled alone, so wrapping it cannot fail.
		j.full = regexp.MustCompile(`\A(?:` + translateJava(j.pat) + `)\z`)
	})
	return j.full.MatchString(s)
}

// split is String.split(regex, limit) with Java's rules for leading and
// trailing empty strings.
func (j *javaRegex) split(s string, limit int) []string {
	matchLimited := limit > 0
	var out []string
	index := 0
	for _, m := range j.re.FindAllStringIndex(s, -1) {
		if !matchLimited || len(out) < limit-1 {
			if index == 0 && m[0] == 0 && m[0] == m[1] {
				// No empty leading string for a zero-width match at the start.
				continue
			}
			out = append(out, s[index:m[0]])
			index = m[1]
		} else if len(out) == limit-1 {
			out = append(out, s[index:])
			index = m[1]
		}
	}
	if index == 0 {
		return []string{s}
	}
	if !matchLimited || len(out) < limit {
		out = append(out, s[index:])
	}
	if limit == 0 {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
	}
	return out
}

// replace is String.replaceAll / replaceFirst, with Java's replacement
// syntax: $n and ${name} refer to groups, a backslash quotes the next char.
func (j *javaRegex) replace(s, repl string, all bool) (string, error) {
	n := -1
	if !all {
		n = 1
	}
	matches := j.re.FindAllStringSubmatchIndex(s, n)
	if len(matches) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		if err := j.expand(&b, repl, s, m); err != nil {
			return "", err
		}
		last = m[1]
		if b.Len() > MaxOutputBytes {
			return "", fmt.Errorf("string over %d bytes: %w", MaxOutputBytes, ErrLimit)
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func (j *javaRegex) expand(b *strings.Builder, repl, s string, m []int) error {
	groups := len(m)/2 - 1
	group := func(g int) {
		if m[2*g] >= 0 {
			b.WriteString(s[m[2*g]:m[2*g+1]])
		}
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return fmt.Errorf("IllegalArgumentException: character to be escaped is missing")
			}
			b.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return fmt.Errorf("IllegalArgumentException: Illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return fmt.Errorf("IllegalArgumentException: named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				g := j.re.SubexpIndex(name)
				if g < 0 {
					return fmt.Errorf("IllegalArgumentException: No group with name {%s}", name)
				}
				group(g)
				i += end
				continue
			}
			if !isDigit(repl[i]) {
				return fmt.Errorf("IllegalArgumentException: Illegal group reference")
			}
			g := int(repl[i] - '0')
			if g > groups {
				return fmt.Errorf("IndexOutOfBoundsException: No group %d", g)
			}
			// Java keeps reading digits while the number names a group.
			for i+1 < len(repl) && isDigit(repl[i+1]) {
				ng := g*10 + int(repl[i+1]-'0')
				if ng > groups {
					break
				}
				g = ng
				i++
			}
			group(g)
		default:
			b.WriteByte(c)
		}
	}
	return nil
}

// javaPOSIX maps java.util.regex's \p{Name} POSIX classes (US-ASCII only,
// as in Java) to RE2's [:name:] classes.
var javaPOSIX = map[string]string{
	"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha", "Digit": "digit",
	"Alnum": "alnum", "Punct": "punct", "Graph": "graph", "Print": "print", "Blank": "blank",
	"Cntrl": "cntrl", "XDigit": "xdigit", "Space": "space",
}

// translateJava rewrites the Java-only spellings RE2 can express: \p{Alpha}
// and friends, inside or outside character classes. Everything else is
// passed through unchanged.
func translateJava(pat string) string {
	if !strings.Contains(pat, `\p{`) && !strings.Contains(pat, `\P{`) {
		return pat
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat):
			if (pat[i+1] == 'p' || pat[i+1] == 'P') && i+2 < len(pat) && pat[i+2] == '{' {
				end := strings.IndexByte(pat[i:], '}')
				if end > 0 {
					if cls, ok := javaPOSIX[pat[i+3:i+end]]; ok {
						neg := ""
						if pat[i+1] == 'P' {
							neg = "^"
						}
						if inClass {
							b.WriteString("[:" + neg + cls + ":]")
						} else {
							b.WriteString("[[:" + neg + cls + ":]]")
						}
						i += end
						continue
					}
				}
			}
			b.WriteByte(c)
			b.WriteByte(pat[i+1])
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal in both dialects.
			if i+1 < len(pat) && pat[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pat) && pat[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
