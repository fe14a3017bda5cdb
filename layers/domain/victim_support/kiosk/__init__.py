"""Convenience-store kiosk issuance (コンビニ交付): who the kiosk is, who the resident is, what may be printed.

* ``registry``: registered kiosks (operator, store, location, enabled) and their HMAC secrets, stored
  KMS-encrypted and decrypted at use (cached per container).
* ``signing``: every kiosk request is signed (HMAC-SHA256 over method, path, body hash, timestamp and
  nonce); the one verification of it, used by the kiosk API's Lambda authorizer on AWS and, through
  the same function, by the local gateway.
* ``jpki`` / ``jpki_sim``: the resident's 利用者証明用電子証明書 checked against the configured JPKI CA
  certificates and CRLs; the simulated CA, cards and CRL for the demo and the tests.
* ``links``: which card (certificate serial) belongs to which resident of a municipality.
* ``hours``: service hours, the year-end closure and maintenance windows per municipality.
* ``sessions``: a kiosk session (single resident, single-use nonce, 3 minutes idle) and its
  authentication; ``printable``: what the authenticated resident may print now, with the price.

Modules are imported lazily on the kiosk path: ``cryptography`` and the ledger load only where used.
"""
