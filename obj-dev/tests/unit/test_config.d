obj-dev/tests/unit/test_config.o: tests/unit/test_config.c \
 include/config.h include/schedule.h include/topo.h include/route.h \
 tests/unit/unit.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
tests/unit/unit.h:
