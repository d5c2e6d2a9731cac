#!/usr/bin/env bash
# Make the course's fixed sample files with the openssl CLI alone. Run ONCE; the outputs are committed so
# that every notebook shows the same moduli and fingerprints (nbval compares them).
#
#   bash csrlearn/samples/make_samples.sh          # refuses to overwrite existing samples
#   bash csrlearn/samples/make_samples.sh --force  # make a new set (then re-run `make notebooks`)
#
# These keys are TRAINING MATERIAL, published on purpose: never use them for anything real.
# The encrypted sample key's passphrase is "correct horse" (the notebooks say so).
set -euo pipefail
cd "$(dirname "$0")"
if [ -e sample-rsa.key ] && [ "${1:-}" != "--force" ]; then
  echo "samples exist; pass --force to make a new set" >&2; exit 1
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
SUBJ_RSA="/C=US/ST=California/L=San Francisco/O=Example Inc/CN=www.example.com"
SANS_RSA="subjectAltName=DNS:www.example.com,DNS:example.com"

# A two-level sample CA (root -> intermediate), EC P-256. Its keys are thrown away.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/root.key" \
  -out sample-ca-root.crt -days 3650 -subj "/O=csrlearn samples/CN=csrlearn Sample Root CA - NOT TRUSTED" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/int.key" -out "$tmp/int.csr" \
  -subj "/O=csrlearn samples/CN=csrlearn Sample Intermediate CA - NOT TRUSTED"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$tmp/int.ext"
openssl x509 -req -in "$tmp/int.csr" -CA sample-ca-root.crt -CAkey "$tmp/root.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
  -days 1825 -extfile "$tmp/int.ext" -out sample-ca-intermediate.crt
printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' > "$tmp/leaf.ext"
issue() {  # issue CSR CERT: a leaf certificate from the intermediate, keeping the CSR's SANs
  openssl x509 -req -in "$1" -CA sample-ca-intermediate.crt -CAkey "$tmp/int.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -days 825 -copy_extensions copy -extfile "$tmp/leaf.ext" -out "$2"
}

# 1. The RSA trio, made exactly as the classic one-liner does: key, CSR, then the CA's certificate.
openssl req -newkey rsa:2048 -nodes -keyout sample-rsa.key -out sample-rsa.csr -subj "$SUBJ_RSA" -addext "$SANS_RSA"
issue sample-rsa.csr sample-rsa.crt
cat sample-rsa.crt sample-ca-intermediate.crt > sample-fullchain.pem          # nginx order: leaf first
cat sample-ca-intermediate.crt sample-rsa.crt > sample-chain-wrong-order.pem  # the classic mistake
# The same RSA key in other clothes: PKCS#1 PEM, PKCS#8 DER, encrypted PKCS#8 (passphrase "correct horse").
openssl pkey -in sample-rsa.key -traditional -out sample-rsa-pkcs1.key
openssl pkey -in sample-rsa.key -outform DER -out sample-rsa-key.der
openssl pkey -in sample-rsa.key -aes256 -passout "pass:correct horse" -out sample-rsa-encrypted.key

# 2. A renewal with a NEW key: same name, different key pair.
openssl req -newkey rsa:2048 -nodes -keyout sample-rsa-new.key -out sample-rsa-new.csr -subj "$SUBJ_RSA" -addext "$SANS_RSA"
issue sample-rsa-new.csr sample-rsa-renewed.crt

# 3. Two EC P-256 trios (the md5-pipe trap needs two different EC certificates).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sample-ec.key -out sample-ec.csr \
  -subj "/C=DE/O=Example GmbH/CN=api.example.com" -addext "subjectAltName=DNS:api.example.com,IP:203.0.113.10"
issue sample-ec.csr sample-ec.crt
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sample-ec2.key -out sample-ec2.csr \
  -subj "/C=DE/O=Example GmbH/CN=mail.example.com" -addext "subjectAltName=DNS:mail.example.com"
issue sample-ec2.csr sample-ec2.crt

# 4. Ed25519: key and CSR (few public CAs issue Ed25519 certificates yet).
openssl req -newkey ed25519 -nodes -keyout sample-ed25519.key -out sample-ed25519.csr \
  -subj "/CN=ed25519.example.com" -addext "subjectAltName=DNS:ed25519.example.com"

# 5. A legacy CSR full of habits the linter flags: RSA 1024, SHA-1, an OU, an e-mail in the subject,
#    no SAN and a challenge password. Its key is thrown away.
printf '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nC=US\nO=Example Inc\nOU=IT Department\nCN=legacy.example.com\nemailAddress=admin@example.com\n[attrs]\nchallengePassword=secret123\n' > "$tmp/legacy.cnf"
openssl req -new -newkey rsa:1024 -sha1 -nodes -keyout "$tmp/legacy.key" -config "$tmp/legacy.cnf" -out sample-legacy.csr

chmod 0644 sample-*
chmod 0600 sample-*.key sample-rsa-key.der
ls -l sample-*
