"""Classroom tools: exercise checkers that teach (`exercises`), the teacher's grading script
(`python -m course_lib.classroom.grade`), and the interactive schedule and lr_find explorers (`widgets`)."""
