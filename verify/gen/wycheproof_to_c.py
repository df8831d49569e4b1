#!/usr/bin/env python3
"""Prints the Ed25519 cases of Wycheproof's testvectors_v1/ed25519_test.json
(github.com/C2SP/wycheproof, Apache License 2.0) as C data for
tests/unit/sv_vectors.h. Only cases with a 64-byte signature: verify/'s API
takes exactly 64 bytes, so the other lengths are a parser's concern.
Run: python3 verify/gen/wycheproof_to_c.py ed25519_test.json
"""
import json
import sys


def main(path):
    d = json.load(open(path))
    print("/* Wycheproof ed25519_test.json (C2SP/wycheproof, Apache-2.0), the %d"
          % sum(len(t["sig"]) == 128 for g in d["testGroups"] for t in g["tests"]))
    print(" * cases with a 64-byte signature, converted by verify/gen/wycheproof_to_c.py. */")
    print("struct wycheproof_case {\n\tint tc_id;\n\tconst char *public_hex;"
          "\n\tconst char *msg_hex;\n\tconst char *sig_hex;\n\tbool valid;\n};\n")
    print("static const struct wycheproof_case wycheproof_ed25519[] = {")
    for g in d["testGroups"]:
        pk = g["publicKey"]["pk"]
        for t in g["tests"]:
            if len(t["sig"]) != 128:
                continue
            assert t["result"] in ("valid", "invalid")
            print('\t{%d, "%s",\n\t "%s",\n\t "%s", %s},' % (
                t["tcId"], pk, t["msg"], t["sig"],
                "true" if t["result"] == "valid" else "false"))
    print("};")


main(sys.argv[1])
