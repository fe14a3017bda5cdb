"""The issuance records: every certificate handed out, by channel, with its copies and fees.

Certificate generation and kiosk issuance append records; billing reads them by month.
"""
