"""Compliance figures for officials: dossier records, the 766 index, roll-ups and rankings, roles.

Modules: ``models`` (tables), ``profile`` (export column profiles), ``clock`` (fast working-time
arithmetic for imports), ``dossiers`` (the importer), ``figures`` (SQL aggregates per unit and period),
``score`` (the 766 indicators), ``ranking`` (roll-up, classification, chart and spreadsheet),
``demo`` (deterministic demo data), ``roles`` (officials, invites, who may see what).
"""
