"""Text of notebook 03: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
}
