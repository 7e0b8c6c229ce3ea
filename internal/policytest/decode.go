package policytest

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"

	"github.com/eligo/eligo"
)

// decodeStrict decodes the file at path, whose bytes are data, into v: JSON
// for a name ending in .json, YAML for .yaml or .yml. Both are decoded the
// same strict way: YAML is first turned into the JSON it stands for, then
// either is decoded into v refusing unknown and duplicate members, so a
// misspelt field is an error in both formats. Errors are EINVALID and name
// the file and the place ("cases[2].expect: unknown field ..."), with the
// line.
func decodeStrict(path string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return eligo.Errorf(eligo.EINVALID, "%s is empty", path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return decodeJSON(path, data, v, func(off int64, _ string) int { return lineAt(data, off) }, false)
	case ".yaml", ".yml":
		doc, lines, err := yamlToJSON(data)
		var ye *yamlError
		if errors.As(err, &ye) {
			return eligo.Errorf(eligo.EINVALID, "%s:%d: %s", path, ye.line, ye.msg)
		}
		if err != nil {
			return eligo.Errorf(eligo.EINVALID, "%s: %s", path, err)
		}
		return decodeJSON(path, doc, v, func(_ int64, ptr string) int { return lines.near(ptr) }, true)
	}
	return eligo.Errorf(eligo.EINVALID, "%s: unknown file type %q; expected a name ending in .json, .yaml or .yml", path, filepath.Ext(path))
}

// decodeJSON decodes one JSON value, and nothing after it, into v. line
// gives the line of an error, from its byte offset or its JSON pointer;
// fromYAML adds the hints a YAML writer needs.
func decodeJSON(path string, data []byte, v any, line func(off int64, ptr string) int, fromYAML bool) error {
	err := json.Unmarshal(data, v, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var se *json.SemanticError
	if errors.As(err, &se) {
		place, what := describeSemantic(se)
		if fromYAML && se.GoType != nil && se.GoType.Kind() == reflect.String && (se.JSONKind == '0' || se.JSONKind == 't' || se.JSONKind == 'f') {
			// YAML reads 12 and true as a number and a boolean.
			what += `; quote it in YAML ("12")`
		}
		return eligo.Errorf(eligo.EINVALID, "%s:%d: %s%s", path, line(se.ByteOffset, string(se.JSONPointer)), place, what)
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		ptr := string(syn.JSONPointer)
		n := line(syn.ByteOffset, ptr)
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			parent, name := splitPointer(ptr)
			return eligo.Errorf(eligo.EINVALID, "%s:%d: %sfield %q is given twice", path, n, placeOf(parent), name)
		}
		msg := "malformed"
		if syn.Err != nil {
			msg = strings.TrimPrefix(syn.Err.Error(), "jsontext: ")
		}
		return eligo.Errorf(eligo.EINVALID, "%s:%d: %sinvalid JSON: %s", path, n, placeOf(ptr), msg)
	}
	return eligo.Errorf(eligo.EINVALID, "%s: %v", path, err)
}

// describeSemantic words a decoding error: the place, and what is wrong
// there in the file's terms (never Go's).
func describeSemantic(se *json.SemanticError) (place, what string) {
	ptr := string(se.JSONPointer)
	if errors.Is(se.Err, json.ErrUnknownName) {
		parent, name := splitPointer(ptr)
		return placeOf(parent), fmt.Sprintf("unknown field %q; expected %s", name, fieldNames(se.GoType))
	}
	want := "a value of another kind"
	if se.GoType != nil {
		want = kindWord(se.GoType)
	}
	got := "a value"
	if se.JSONKind != 0 {
		got = jsonKindWord(se.JSONKind)
	}
	if se.Err != nil && !strings.Contains(se.Err.Error(), "cannot unmarshal") {
		return placeOf(ptr), fmt.Sprintf("%s; expected %s", se.Err, want)
	}
	return placeOf(ptr), fmt.Sprintf("is %s; expected %s", got, want)
}

// placeOf turns a JSON pointer into the path a reader of the file knows,
// followed by ": ": "/cases/2/expect" is "cases[2].expect: ", the root "".
func placeOf(ptr string) string {
	if ptr == "" || ptr == "/" {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String() + ": "
}

// splitPointer splits a JSON pointer into its parent and its last name.
func splitPointer(ptr string) (parent, name string) {
	i := strings.LastIndexByte(ptr, '/')
	if i < 0 {
		return "", unescapePointer(ptr)
	}
	return ptr[:i], unescapePointer(ptr[i+1:])
}

func unescapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// fieldNames lists the members a struct type takes, for an unknown one.
func fieldNames(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "another name"
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return "one of " + strings.Join(names, ", ")
}

func kindWord(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object (a mapping)"
	}
	return "a value of another kind"
}

func jsonKindWord(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object (a mapping)"
	case '[':
		return "a list"
	}
	return "a value"
}

// lineAt is the line (from 1) of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// yamlLines maps the JSON pointer of each value of a YAML document to its
// line, so that an error found in the JSON names the YAML line.
type yamlLines map[string]int

// near returns the line of ptr, or of its nearest enclosing value.
func (l yamlLines) near(ptr string) int {
	for {
		if n, ok := l[ptr]; ok {
			return n
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return 1
		}
		ptr = ptr[:i]
	}
}

// yamlToJSON returns the JSON that one YAML document stands for, and the
// line of each of its values. Mapping keys must be strings; timestamps
// are kept as they were written (strings), so that they are checked as
// RFC 3339 like JSON's, not read by YAML's own rules.
func yamlToJSON(data []byte) ([]byte, yamlLines, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, &yamlError{extra.Line, "a second YAML document; expected one"}
	}
	lines := yamlLines{}
	v, err := yamlValue(&doc, "", lines, 0)
	if err != nil {
		return nil, nil, err
	}
	out, err := json.Marshal(v, json.Deterministic(true))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot be read as JSON: %v", err)
	}
	return out, lines, nil
}

// maxYAMLDepth bounds nesting (and alias expansion) of a YAML document.
const maxYAMLDepth = 32

func yamlValue(n *yaml.Node, ptr string, lines yamlLines, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, &yamlError{n.Line, fmt.Sprintf("%snested more than %d deep", placeOf(ptr), maxYAMLDepth)}
	}
	lines[ptr] = n.Line
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0], ptr, lines, depth+1)
	case yaml.AliasNode:
		return yamlValue(n.Alias, ptr, lines, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, &yamlError{k.Line, placeOf(ptr) + "a key must be a plain name"}
			}
			kptr := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k.Value, "~", "~0"), "/", "~1")
			if _, dup := m[k.Value]; dup {
				return nil, &yamlError{k.Line, fmt.Sprintf("%sfield %q is given twice", placeOf(ptr), k.Value)}
			}
			lines[kptr] = k.Line
			v, err := yamlValue(val, kptr, lines, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := yamlValue(c, ptr+"/"+strconv.Itoa(i), lines, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp", "!!binary":
			return n.Value, nil
		case "!!null":
			return nil, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, &yamlError{n.Line, fmt.Sprintf("%s%v", placeOf(ptr), err)}
		}
		return v, nil
	}
	return nil, &yamlError{n.Line, placeOf(ptr) + "unexpected YAML"}
}

// yamlError is a mistake in a YAML document, at a line.
type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }
