"""The sentences course_lib prints for students, one table per area, each text in English and Chinese.

The tables are data files, <area>.toml: ["key"] with en = "..." and zh = "..."; `course_lib.lang.say(key, ...)`
picks and fills one. The Chinese uses the terms of the lesson's Chinese write-up; notebooks/zh/术语表.md lists them.
"""
