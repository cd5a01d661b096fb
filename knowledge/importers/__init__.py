"""knowledge/importers"""
