"""Solutions to the exercises of 03-moduli.ipynb (run: ``course.run_solutions("03")``)."""
import hashlib

import csrlearn as cl
from csrlearn import course

# Exercise 3.1 — n = p·q, printed by openssl in uppercase hexadecimal after "Modulus=".
p, q = 11, 13
course.check("3.1", f"Modulus={p * q:X}")

# Exercise 3.2 — `openssl x509 -noout -modulus | openssl md5` hashes the line AND its newline.
line = cl.openssl_modulus_line(cl.load_one("sample-rsa-renewed.crt"))
course.check("3.2", hashlib.md5((line + "\n").encode()).hexdigest())
