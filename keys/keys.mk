# keys/: the signify slot key. Without SLOT_PUB/SLOT_SEC given, a development
# pair is made in keys/dev/ (gitignored, named DEVELOPMENT everywhere).
SLOT_PUB ?= keys/dev/spine-slot-DEVELOPMENT.pub
SLOT_SEC ?= keys/dev/spine-slot-DEVELOPMENT.sec

# The persona key signs passports, and only passports (docs/passport.md,
# "Keys"): bay0 trusts the keys in PERSONA_PUBS (compiled in; rotation: old
# and new), never the slot key, so a persona publisher cannot sign a Spine
# and a passport signed with the slot key is refused. PERSONA_SEC/PUB sign.
PERSONA_PUB  ?= keys/dev/spine-persona-DEVELOPMENT.pub
PERSONA_SEC  ?= keys/dev/spine-persona-DEVELOPMENT.sec
PERSONA_PUBS ?= $(PERSONA_PUB)

keys/dev/spine-slot-DEVELOPMENT.pub keys/dev/spine-slot-DEVELOPMENT.sec \
keys/dev/spine-persona-DEVELOPMENT.pub keys/dev/spine-persona-DEVELOPMENT.sec: | deps
	keys/mkdevkeys.sh keys/dev
