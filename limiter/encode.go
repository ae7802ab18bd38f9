package limiter

// MarshalJSON writes the canonical form described in the package
// documentation; nil and the zero Limiter write null.
func (l *Limiter) MarshalJSON() ([]byte, error) {
	return l.appendJSON(nil), nil
}

// UnmarshalJSON parses data with [Parse], so a decoded limiter is validated
// exactly like one written through the API. null resets l to "no limiter".
// It mutates l, so call it only before the limiter is shared.
func (l *Limiter) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	if p == nil {
		*l = Limiter{}
		return nil
	}
	*l = *p
	return nil
}

// String returns the canonical JSON form, so a limiter reads the same in
// logs, errors and the store.
func (l *Limiter) String() string {
	return string(l.appendJSON(nil))
}

func (l *Limiter) appendJSON(dst []byte) []byte {
	items := l.all()
	if len(items) == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		for j, c := range it.conds {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, c.key)
			dst = append(dst, ':')
			if !c.anyOf {
				dst = appendString(dst, c.values[0])
				continue
			}
			dst = append(dst, '[')
			for k, v := range c.values {
				if k > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, v)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendString writes s, which Parse has checked is valid UTF-8, as a JSON
// string with the shortest escape for every character. Shortest escapes make
// the canonical form never longer than its input, so it always fits the size
// limit when parsed again. Neither library encoder does this: encoding/json
// always escapes U+2028 and U+2029, and gjson.AppendJSONString escapes HTML
// according to a process-wide switch.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
