"""Which tasks each estimation method covers."""

# Tasks estimated by the text-generation model (a prompt in, tokens out).
TEXT_TASKS = frozenset(
    {"text-generation", "chat", "summarization", "translation", "question-answering"}
)
