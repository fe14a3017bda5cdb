"""Pure rules of the domain: municipal codes, Japanese eras, kana, postal codes."""
