"""Shared library of the cloud disaster victim support system (クラウド型被災者支援システム).

Domain models and rules, repositories and AWS adapters used by every Lambda function and by the
local runner. Shipped to AWS as a Lambda layer; installed into the project venv by pyproject.
"""
