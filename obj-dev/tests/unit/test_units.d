obj-dev/tests/unit/test_units.o: tests/unit/test_units.c \
 tests/unit/unit.h include/units.h include/util.h
tests/unit/unit.h:
include/units.h:
include/util.h:
