obj-dev/tests/unit/test_capacity.o: tests/unit/test_capacity.c \
 include/capacity.h include/run_schema.h include/gates.h \
 tests/unit/unit.h
include/capacity.h:
include/run_schema.h:
include/gates.h:
tests/unit/unit.h:
