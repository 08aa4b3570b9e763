"""Pure text rendering: Telegram MarkdownV2 digests and Markdown summaries."""
