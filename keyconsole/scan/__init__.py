"""`keyconsole scan`: finding leaked keys in files, pipes and git history, and what the store says of them."""
