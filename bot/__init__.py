"""arXiv digest bot for Discord."""
