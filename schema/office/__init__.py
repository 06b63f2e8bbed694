"""The district office's work: orders, extensions, escalations, looking back, assessment, reports.

Each module takes a decision or builds a document through the one write path (`schema.writes`),
after `roles.require_office` where the decision is the office's to take. The server checks the
same again on every pushed op, so the local check is about telling a person at once.
"""
