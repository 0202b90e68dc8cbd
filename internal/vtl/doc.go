// Package vtl renders API Gateway (REST API) mapping templates: the
// Velocity Template Language as Apache Velocity 1.7 implements it, plus the
// variables API Gateway adds ($input, $util, $context, $stageVariables).
//
// Templates are parsed once with Parse and rendered with Template.Render,
// concurrently if wanted: a Template is immutable and every render keeps its
// state (variables, copies of $context) to itself.
//
// # Language
//
// References $a, ${a}, $!a, $!{a}, properties $a.b (Map get, getB(), isB()),
// methods $a.b('x', 1), index $a[0] / $a[-1] / $m['k']; #set, #if / #elseif /
// #else / #end, #foreach with $foreach.index/count/hasNext/first/last/parent
// and $velocityCount/$velocityHasNext, #break, #stop, #define, #macro and
// macro calls, the braced forms #{if} #{end} ..., ## and #* *# comments,
// #[[ unparsed ]]#; literals: strings ("..." interpolates $ and #
// directives, '...' does not, a doubled quote is one quote, backslashes are
// literal), integers, doubles, true/false, lists, ranges [1..n], maps
// {"k": v}; operators || && ! == != < > <= >= + - * / % and the words
// or and not eq ne lt gt le ge. Identifiers may contain '-' ($a-b is one
// reference), as in Velocity 1.7. Methods are called on references only,
// never on literals ('a'.length() is a syntax error, as in Velocity 1.7).
//
// Semantics follow Velocity 1.7: == compares numbers by value, objects of one
// class with equals(), anything else by toString(), and null equals null and,
// as on API Gateway (not in Velocity 1.7), ""; < > on non-numbers are
// false; integer arithmetic stays integer, division or modulo by zero is
// null; "+" with a String concatenates; #if is false only for null and
// false; #set with a null right side leaves the variable unchanged; #foreach
// over a Map iterates its values, over null or a non-collection does
// nothing, and restores the loop variable afterwards; an unknown method or a
// method on null yields null; an exception in a method (substring out of
// range, List.get out of range, a bad regex, a null argument) fails the
// render. Values print as Java prints them: 1.0E7, {a=1, b=[x, y]}.
//
// Java methods: String length isEmpty charAt substring indexOf lastIndexOf
// contains startsWith endsWith concat replace replaceAll replaceFirst
// (java.util.regex patterns and $1/${name} replacements) split (Java's
// rules for empty strings) matches toLowerCase toUpperCase trim equals
// equalsIgnoreCase compareTo compareToIgnoreCase hashCode toString; List
// size isEmpty get contains indexOf add addAll set remove clear subList;
// Map size isEmpty get getOrDefault containsKey containsValue put putAll
// remove clear keySet values entrySet (entries have key/value); Number
// intValue longValue doubleValue compareTo; equals/toString on everything.
// Lengths and indexes count UTF-16 units, as in Java.
//
// # Whitespace (decision)
//
// Velocity 1.7's lexer (Parser.jjt, RPAREN, SET_DIRECTIVE, ELSE_DIRECTIVE and
// END tokens) decides what a template prints around directives, and it is
// reproduced exactly:
//   - the ')' closing #set, #if, #elseif, #foreach, #define, #macro or a
//     macro call swallows the blanks and one newline after it;
//   - #else and #end swallow the blanks and one newline after them;
//   - #set also swallows the spaces and tabs before it when they start a
//     token: after another directive's swallowed newline, or right after a
//     reference ("$a #set(...)" prints "$a" with no space), but not after
//     ordinary text on the same line;
//   - indentation before #if, #foreach, #else, #end is printed;
//   - ## swallows the rest of its line including the newline; #* *# does not.
//
// So a line holding only "#set(...)", "#if(...)", "#else" or "#end" prints
// nothing, and the same line indented prints its indentation (except #set).
// This was checked against the 1.7 grammar and agrees with velocityjs 2.1.7
// on the cases in test/vtl-diff.
//
// # API Gateway (decisions)
//
//   - A null reference prints as nothing, quiet or not: $foo, $!foo and
//     $input.path('$.missing') all print "". Stock Velocity would print "$foo";
//     API Gateway does not (serverless-offline renders in velocityjs's silent
//     mode "just like APIG"; serverless-step-functions' own template relies
//     on "$v" == "" for null values). An escaped \$foo still prints as
//     written when $foo is null.
//   - $input.body is the raw body, and {} when the body is empty (recorded
//     on AWS, testdata/aws); $input.json(path) prints JSON (compact,
//     key order kept, strings escaped as Jackson does); $input.path(path)
//     returns Maps, Lists, Strings, numbers, booleans, as JSON Smart reads
//     them (recorded on AWS, testdata/aws): an object is a LinkedHashMap
//     ({a=b}), an array a JSONArray, which prints as compact JSON, objects
//     inside included ([{"a":"b"}], {a=["x"]}), with / escaped as \/;
//     both treat an empty body as {}; a body that is not JSON fails the
//     render with ErrInvalidJSONBody (API Gateway answers 400 "Could not
//     parse request body into json"), except $input.path('$'), which returns the raw body
//     (form templates split it). JSONPath: $, .a, ['a'], [n], [-n], [*],
//     .*, ..a; paths with * or .. return a list.
//   - $input.params() is {path, querystring, header}; $input.params(x)
//     searches path, query string, then headers (case-insensitively) and is
//     "" when absent.
//   - $util.escapeJavaScript is commons-lang 2's escapeJavaScript: ' -> \',
//     " -> \", \ -> \\, / -> \/, control characters and every non-ASCII
//     char -> \uXXXX (upper-case hex, surrogate pairs for emoji).
//     $util.parseJson returns objects (a Map prints as {a=b}); urlEncode and
//     urlDecode are java.net.URLEncoder/URLDecoder (UTF-8, '+' for space);
//     base64Encode/Decode use the standard alphabet over UTF-8.
//   - $context is Env.Context (or Env.Prepared) converted to Maps (keys sorted, since Go maps
//     have none); the maps inside it ($context.identity,
//     $context.requestOverride.header, ...) print as nothing, as on API
//     Gateway (recorded on AWS, testdata/aws), while their entries read as
//     usual; #set($context.responseOverride.status = 400) and
//     #set($context.responseOverride.header.Name = "v") come back in Result.
//
// # Limits
//
// MaxLoopIterations (1,000,000 #foreach iterations per render), MaxRangeSize
// (100,000 elements per range literal), MaxOutputBytes (10 MiB of rendered
// text, counting text rendered into strings and blocks, and per string),
// MaxBuiltBytes (256 MiB of strings built, or scanned by String methods,
// per render), MaxCallDepth (64
// nested #define/macro renders), 200 levels of syntactic nesting, 1000
// levels of JSON nesting. Exceeding one fails the render with ErrLimit. The
// render also stops when its context is done (checked every 1024 steps), so
// callers should pass a deadline (API Gateway's integration timeout is 29 s).
//
// # Not emulated
//
//   - #parse, #include, #evaluate (fail with ErrUnsupported); Velocity 2
//     syntax (${a|default}, #elseif without parens); $foreach.stop().
//   - Java-only regex features RE2 lacks: lookaround, backreferences,
//     possessive quantifiers, atomic groups (ErrUnsupported); Java's '.' and
//     '$' line-terminator details; Java's empty-match rules in replaceAll
//     differ in rare cases.
//   - Macro arguments are evaluated once at the call (Velocity 1.7 passes
//     them by name and re-evaluates on each use).
//   - Long overflow widens to double here, to BigInteger in Velocity.
//   - Java arrays (String.split results) behave and print as Lists; Velocity
//     would print "[Ljava.lang.String;@1b2c3d".
//   - #foreach iterates over a snapshot; Java would throw
//     ConcurrentModificationException when the body modifies the list.
//   - Numbers in JSON: integers are Integer/Long, others Double, printed as
//     Java prints doubles (1e2 prints 100.0); very large integers lose
//     precision.
//   - $util.parseJson, $input.path and $context Maps keep insertion order
//     (JSON order); API Gateway's order for parsed JSON is not documented.
//   - $context holds only what the caller puts in Env.Context; the local
//     gateway decides which variables exist ($context.authorizer.claims and
//     others are absent, hence empty, unless provided).
package vtl
