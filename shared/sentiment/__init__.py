"""Sentiment models: the offline lexicon scorer, FinBERT via Hugging Face, and a cache."""
