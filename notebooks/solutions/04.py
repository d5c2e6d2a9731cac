"""Solutions to the exercises of 04-matching.ipynb (run: ``course.run_solutions("04")``)."""
from cryptography.hazmat.primitives.serialization import Encoding

import csrlearn as cl
from csrlearn import course

# Exercise 4.1 — match() groups the files by public key; keep the group of the new key.
report = cl.match(["sample-rsa-new.key", "sample-rsa.crt", "sample-rsa-renewed.crt", "sample-rsa-new.csr", "sample-rsa.csr"])
group = next(g for g in report.groups if any(e.file == "sample-rsa-new.key" for e in g.items))
course.check("4.1", [e.file for e in group.items if e.file != "sample-rsa-new.key"])

# Exercise 4.2 — load the chain, put the certificate that is not a CA first, write the PEM blocks back.
certs = [item.obj for item in cl.load("sample-chain-wrong-order.pem")]
leaf = next(c for c in certs if not cl.describe(c).is_ca)
ordered = [leaf] + [c for c in certs if c is not leaf]
cl.save(b"".join(c.public_bytes(Encoding.PEM) for c in ordered), "fixed-chain.pem")
course.check("4.2", "fixed-chain.pem")
