"""Solutions to the exercises of 00-start-here.ipynb.

Run them from the notebook with ``course.run_solutions("00")`` (CI does the same). Read them with
``course.solution_source("00")`` — after you have tried.
"""
import csrlearn as cl
from csrlearn import course

# Exercise 0.1 — only files without a private key may leave the machine. Ask csrlearn what each holds.
candidates = ["sample-rsa.key", "sample-rsa.csr", "sample-rsa.crt", "sample-rsa-encrypted.key", "sample-fullchain.pem"]
public = [name for name in candidates
          if all(item.kind != "private_key" for item in cl.load(name, passphrase=course.SAMPLE_PASSPHRASE))]
course.check("0.1", public)

# Exercise 0.2 — describe() names the key type (and never shows the secret).
course.check("0.2", str(cl.describe("sample-ec.key").key))
