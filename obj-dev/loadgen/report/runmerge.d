obj-dev/loadgen/report/runmerge.o: loadgen/report/runmerge.c \
 include/runmerge.h include/hdrfmt.h include/hist.h include/hist.h \
 include/report.h include/config.h include/schedule.h include/topo.h \
 include/route.h include/run_schema.h include/run_schema.h include/util.h
include/runmerge.h:
include/hdrfmt.h:
include/hist.h:
include/hist.h:
include/report.h:
include/config.h:
include/schedule.h:
include/topo.h:
include/route.h:
include/run_schema.h:
include/run_schema.h:
include/util.h:
