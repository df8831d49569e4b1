# tests/: rules arrive with its issue.
include tests/bench/bench.mk
