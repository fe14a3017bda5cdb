"""Billing: statements per municipality from the issuance records and the usage fee (``statements``),
rendered as CSV and PDF (``render``), produced by the monthly run (``service``)."""
