obj-dev/tests/unit/test_route.o: tests/unit/test_route.c include/route.h \
 tests/unit/unit.h
include/route.h:
tests/unit/unit.h:
