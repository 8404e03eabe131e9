obj-fuzz/loadgen/report/hdrfmt.o: loadgen/report/hdrfmt.c \
 include/hdrfmt.h include/hist.h include/util.h
include/hdrfmt.h:
include/hist.h:
include/util.h:
