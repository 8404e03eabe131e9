obj-dev/loadgen/report/report.o: loadgen/report/report.c include/report.h \
 include/config.h include/schedule.h include/topo.h include/route.h \
 include/run_schema.h include/hist.h include/hdrfmt.h include/hist.h \
 include/proc.h include/junit.h include/util.h
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/hist.h:
include/hdrfmt.h:
include/hist.h:
include/proc.h:
include/junit.h:
include/util.h:
