"""How a file is refused: one reason, and the line it is about when there is one."""


class FileRefused(ValueError):
    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
