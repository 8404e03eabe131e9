obj-dev/loadgen/scenario/faults/fault_service.o: \
 loadgen/scenario/faults/fault_service.c \
 loadgen/scenario/faults/../scenario_int.h include/scenario.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/effects.h include/amqpc.h include/effect_ledger.h \
 include/ledger.h include/hist.h include/gates.h include/run_schema.h \
 include/services.h include/template.h loadgen/scenario/faults/faults.h \
 include/services.h include/timeline.h include/bench.h include/scenario.h \
 include/units.h include/util.h
loadgen/scenario/faults/../scenario_int.h:
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
loadgen/scenario/faults/faults.h:
include/services.h:
include/timeline.h:
include/bench.h:
include/scenario.h:
include/units.h:
include/util.h:
