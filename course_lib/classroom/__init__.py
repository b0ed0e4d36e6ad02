"""Classroom tools: the table of exercises and their checkers that teach (`exercises`, with `feedback`, the
catalog of their sentences `messages`, and the cases they try `cases`), the teacher's grading script
(`python -m course_lib.classroom.grade`), and the interactive schedule and lr_find explorers (`widgets`)."""
