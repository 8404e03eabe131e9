obj-fuzz/loadgen/config/config_topo.o: loadgen/config/config_topo.c \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/effect_ledger.h include/ledger.h include/gates.h \
 include/run_schema.h include/topo.h include/util.h
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/effect_ledger.h:
include/ledger.h:
include/gates.h:
include/run_schema.h:
include/topo.h:
include/util.h:
