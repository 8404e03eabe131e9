obj-dev/loadgen/scenario/scenario_topo.o: \
 loadgen/scenario/scenario_topo.c loadgen/scenario/scenario_int.h \
 include/scenario.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/effects.h include/amqpc.h \
 include/effect_ledger.h include/ledger.h include/hist.h include/gates.h \
 include/run_schema.h include/services.h include/template.h \
 include/topo.h include/units.h include/util.h
loadgen/scenario/scenario_int.h:
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
include/topo.h:
include/units.h:
include/util.h:
