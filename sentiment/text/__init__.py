"""How Japanese becomes tokens: the tokenizers and the text limits."""
