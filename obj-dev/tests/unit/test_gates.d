obj-dev/tests/unit/test_gates.o: tests/unit/test_gates.c include/config.h \
 include/schedule.h include/topo.h include/route.h include/gates.h \
 include/run_schema.h tests/unit/unit.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/gates.h:
include/run_schema.h:
tests/unit/unit.h:
