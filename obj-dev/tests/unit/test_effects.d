obj-dev/tests/unit/test_effects.o: tests/unit/test_effects.c \
 include/effect_ledger.h include/ledger.h include/template.h \
 tests/unit/unit.h
include/effect_ledger.h:
include/ledger.h:
include/template.h:
tests/unit/unit.h:
