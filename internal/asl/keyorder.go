package asl

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// keyOrder walks JSON text and records, for every object, its keys in
// document order, keyed by the object's JSON pointer ("" for the root).
// Go maps forget the order; state order matters for StateNames and for
// reporting problems in the order AWS does. dups lists pointers of
// duplicated keys.
func keyOrder(data []byte) (order map[string][]string, dups []string) {
	order = map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(ptr string) bool
	walk = func(ptr string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return true
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return false
				}
				k, _ := kt.(string)
				if seen[k] {
					dups = append(dups, ptr+"/"+k)
				}
				seen[k] = true
				keys = append(keys, k)
				if !walk(ptr + "/" + k) {
					return false
				}
			}
			order[ptr] = keys
			_, err := dec.Token()
			return err == nil
		case '[':
			for i := 0; dec.More(); i++ {
				if !walk(ptr + "/" + strconv.Itoa(i)) {
					return false
				}
			}
			_, err := dec.Token()
			return err == nil
		}
		return true
	}
	walk("")
	return order, dups
}
