"""The victim ledger (被災者台帳): disasters, households, persons, commands and queries."""
