"""Text of notebook 02: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
}
