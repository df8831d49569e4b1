# keys/: the signify slot key. Without SLOT_PUB/SLOT_SEC given, a development
# pair is made in keys/dev/ (gitignored, named DEVELOPMENT everywhere).
SLOT_PUB ?= keys/dev/spine-slot-DEVELOPMENT.pub
SLOT_SEC ?= keys/dev/spine-slot-DEVELOPMENT.sec

keys/dev/spine-slot-DEVELOPMENT.pub keys/dev/spine-slot-DEVELOPMENT.sec: | deps
	keys/mkdevkeys.sh keys/dev
