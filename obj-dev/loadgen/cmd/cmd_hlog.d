obj-dev/loadgen/cmd/cmd_hlog.o: loadgen/cmd/cmd_hlog.c loadgen/cmd/cli.h \
 include/proc.h include/hdrfmt.h include/hist.h include/hist.h \
 include/util.h
loadgen/cmd/cli.h:
include/proc.h:
include/hdrfmt.h:
include/hist.h:
include/hist.h:
include/util.h:
