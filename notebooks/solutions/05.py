"""Solutions to the exercises of 05-runbook.ipynb (run: ``course.run_solutions("05")``)."""
import csrlearn as cl
from csrlearn import course

# Exercise 5.1 — a group with a certificate but no private key: that key is lost (or lives elsewhere).
course.messy_folder("incoming")
report = cl.match(["incoming"])
orphan = next(e.file for g in report.groups for e in g.items
              if e.kind == "certificate" and not any(i.kind == "private_key" for i in g.items))
course.check("5.1", orphan)

# Exercise 5.2 — the full chain is the server certificate, then the intermediate that issued it.
chain = open("sample-rsa-renewed.crt", "rb").read() + open("sample-ca-intermediate.crt", "rb").read()
cl.save(chain, "renewed-fullchain.pem")
course.check("5.2", "renewed-fullchain.pem")
