"""Solutions to the exercises of 01-generate-a-csr.ipynb (run: ``course.run_solutions("01")``)."""
import csrlearn as cl
from csrlearn import course

# Exercise 1.1 — openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout shop.key -out shop.csr \
#                  -subj "/C=DE/CN=shop.example.org" -addext "subjectAltName=DNS:shop.example.org,DNS:example.org"
key = cl.generate_key("ec", curve="P-256")
csr = cl.build_csr(key, cl.Subject(country="DE", common_name="shop.example.org"), ["shop.example.org", "example.org"])
course.check("1.1", csr)

# Exercise 1.2 — without -nodes openssl asks for a passphrase and encrypts the key; csrlearn uses AES-256.
cl.save_key(key, "shop.key", passphrase="a long passphrase only I know")
course.check("1.2", "shop.key")
