"""Managers' assessments from a spreadsheet to the staff topic (`motcua staff import`).

One row per (officer, period, assessor), one column per general criterion. Every row is checked
against the staff-event contract and the criteria catalogue (kpi_models/eval_criteria.csv); the
valid rows become `officer.assessed` events whose ids are derived from their content, so a file
imported twice is redelivered, never counted twice.

Modules, by responsibility:
  catalogue  the criteria catalogue (by version and date) and the known agencies
  columns    the sheet's headers: Vietnamese labels, English codes, criteria "name (code)"
  sheet      reading .csv and .xlsx files into numbered rows of cells
  rows       one row → an assessment or the reasons it is rejected; duplicates in the file
  events     assessments → contract events (deterministic ids, recorded time)
  send       producing the events to Kafka
  template   the blank template generated from the catalogue
  cli        `motcua staff import|template`
"""
