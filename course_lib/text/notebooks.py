TEXT: dict = {}
