"""Text of notebook 01: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
}
