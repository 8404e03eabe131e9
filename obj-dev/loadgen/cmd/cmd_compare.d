obj-dev/loadgen/cmd/cmd_compare.o: loadgen/cmd/cmd_compare.c \
 loadgen/cmd/cli.h include/proc.h include/report.h include/config.h \
 include/schedule.h include/topo.h include/route.h include/run_schema.h \
 include/run_schema.h include/svg.h include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/run_schema.h:
include/svg.h:
include/util.h:
