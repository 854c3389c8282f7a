"""Security questionnaires answered from the evidence: question maps (maps.py, data in maps/*.yaml),
the company's own answers (knowledge.py), the judgement (judge.py) and the workbook (workbook.py).

A report-layer package: it answers from an Assessment it is handed and never opens the locker."""
