"""Solutions to the exercises of 02-decode-a-csr.ipynb (run: ``course.run_solutions("02")``)."""
from cryptography.hazmat.primitives import serialization

import csrlearn as cl
from csrlearn import course

# Exercise 2.1 — the SANs row of the decoded CSR (openssl req -in sample-ec.csr -noout -text).
info = cl.describe("sample-ec.csr")
course.check("2.1", [f"{s['type']}:{s['value']}" for s in info.sans])

# Exercise 2.2 — the signature is the last field of the DER: flip the bits of the very last byte.
der = bytearray(cl.load_one("sample-rsa.csr").obj.public_bytes(serialization.Encoding.DER))
der[-1] ^= 0xFF
course.check("2.2", bytes(der))
