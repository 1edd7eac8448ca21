"""Sensor logs -> anomaly reports: read (`sensors`), detect (`detection`, `detectors/`, `events`, `states`,
`variability`), diagnose (`diagnosis`: likely failure modes and repair actions), report (`report`: look-ups in the
manuals and past work orders; `summary`: the wording; `format`: the terminal text; `plot`: the PNG).
"""
