obj-dev/tests/unit/test_run_schema.o: tests/unit/test_run_schema.c \
 include/run_schema.h include/stats.h include/hist.h tests/unit/unit.h
include/run_schema.h:
include/stats.h:
include/hist.h:
tests/unit/unit.h:
