#!/usr/bin/env python3
"""tests/vm-update/varstore.py VARS.fd NAME: the data of the live EFI variable
NAME in an OVMF variable store file, as hex on one line; exit 1 when there is
none. Lets the host read what the running OS cannot, SpineRollbackFloor
(NV|BS, docs/boot.md), straight from the store QEMU wrote.

OVMF's store holds AUTHENTICATED_VARIABLE_HEADERs (StartId 0x55AA, State,
Reserved, Attributes u32, MonotonicCount u64, TimeStamp 16 bytes,
PubKeyIndex u32, NameSize u32, DataSize u32, VendorGuid 16 bytes: 60 bytes),
then the UTF-16LE name with its NUL, then the data. A variable rewritten
leaves its old copies behind, marked deleted; the live one has State
VAR_ADDED (0x3f) exactly."""
import struct
import sys

HDR = 60
VAR_ADDED = 0x3F


def main():
    data = open(sys.argv[1], "rb").read()
    name = (sys.argv[2] + "\0").encode("utf-16-le")
    live = []
    at = data.find(name)
    while at >= 0:
        h = at - HDR
        if h >= 0:
            start, state, _, _attrs, _mc = struct.unpack_from("<HBBIQ", data, h)
            nsize, dsize = struct.unpack_from("<II", data, h + 36)
            if start == 0x55AA and state == VAR_ADDED and nsize == len(name):
                live.append(data[at + nsize:at + nsize + dsize])
        at = data.find(name, at + 1)
    if len(live) != 1:
        print(f"varstore: {sys.argv[2]}: {len(live)} live copies", file=sys.stderr)
        return 1
    print(live[0].hex())
    return 0


sys.exit(main())
