package embed

// specialCount returns how many tokens the model adds around every text
// (BOS, CLS, SEP, EOS...): a text that tokenizes to no more has no
// content token, and is refused like "" with ErrEmptyInput rather than
// embedded as the special tokens alone. -1 when it cannot be known.
func (m *model) specialCount() int {
	m.specialsOnce.Do(func() {
		m.specials = -1
		if t, err := m.vocab.Tokenize("", true, false); err == nil {
			m.specials = len(t)
		}
	})
	return m.specials
}
