obj-dev/tests/unit/test_partition.o: tests/unit/test_partition.c \
 include/scenario.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/effects.h include/amqpc.h \
 include/effect_ledger.h include/ledger.h include/hist.h include/gates.h \
 include/run_schema.h include/services.h include/template.h \
 tests/unit/unit.h
include/scenario.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/gates.h:
include/run_schema.h:
include/services.h:
include/template.h:
tests/unit/unit.h:
