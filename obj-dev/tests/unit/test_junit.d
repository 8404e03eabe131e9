obj-dev/tests/unit/test_junit.o: tests/unit/test_junit.c include/junit.h \
 tests/unit/unit.h
include/junit.h:
tests/unit/unit.h:
