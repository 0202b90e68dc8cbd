package slsconfig

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeYAML decodes a YAML document into plain Go values (map[string]any,
// []any, string, int, float64, bool, nil), turning CloudFormation short tags
// (!Ref, !GetAtt, !Sub, ...) into their long forms as serverless'
// cloudformation-schema does.
func decodeYAML(raw []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	c := &yamlConverter{}
	return c.convert(&doc, 0)
}

// yamlConverter counts the values it builds: aliases can expand a small
// document exponentially ("billion laughs").
type yamlConverter struct{ count int }

// maxYAMLValues bounds the values one document may expand to.
const maxYAMLValues = 1 << 20

// maxYAMLDepth bounds nesting, including through aliases.
const maxYAMLDepth = 200

func (c *yamlConverter) convert(n *yaml.Node, depth int) (any, error) {
	c.count++
	if c.count > maxYAMLValues {
		return nil, fmt.Errorf("line %d: YAML expands to more than %d values", n.Line, maxYAMLValues)
	}
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("line %d: YAML nested deeper than %d levels", n.Line, maxYAMLDepth)
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth+1)
	case yaml.AliasNode:
		return c.convert(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// "<<: *anchor" merges the anchor's keys, explicit keys winning.
				merged, err := c.convert(val, depth+1)
				if err != nil {
					return nil, err
				}
				if mm, ok := merged.(map[string]any); ok {
					for mk, mv := range mm {
						if _, exists := m[mk]; !exists {
							m[mk] = mv
						}
					}
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			cv, err := c.convert(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = cv
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			cv, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, cv)
		}
		v = l
	case yaml.ScalarNode:
		if isCFNTag(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if f, ok := v.(uint64); ok {
			v = float64(f)
		}
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	if isCFNTag(n.Tag) {
		return cfnTag(n, v)
	}
	return v, nil
}

func isCFNTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// cfnTag converts a short-form intrinsic into its long form.
func cfnTag(n *yaml.Node, v any) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			// "!GetAtt Logical.Attr" splits at the first dot.
			id, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not Logical.Attribute", n.Line, s)
			}
			return map[string]any{"Fn::GetAtt": []any{id, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
		"Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString":
		return map[string]any{"Fn::" + name: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
}
