obj-dev/tests/unit/test_topo.o: tests/unit/test_topo.c include/config.h \
 include/schedule.h include/topo.h include/route.h include/topo.h \
 tests/unit/unit.h include/util.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/topo.h:
tests/unit/unit.h:
include/util.h:
