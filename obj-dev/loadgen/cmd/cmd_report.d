obj-dev/loadgen/cmd/cmd_report.o: loadgen/cmd/cmd_report.c \
 loadgen/cmd/cli.h include/proc.h include/gates.h include/run_schema.h \
 include/hdrfmt.h include/hist.h include/junit.h include/report.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/gates.h:
include/run_schema.h:
include/hdrfmt.h:
include/hist.h:
include/junit.h:
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/util.h:
